#!/usr/bin/env bash
# Model-side stages of `analyze` on Qwen3-0.6B's shapes (random weights, .bench/qwen3-0.6b-random as made by
# bench-analyze.sh) over the first 4096-token batch of the physics corpus (sae-bench ablation): forward to blocks.9;
# the clean + spliced suffix in one stacked call; the LM head fused with CE/KL (DecoderModel.nextTokenStatistics),
# spot-checked against Double log-softmax of the explicit logits; logit effects of a 4096-feature decoder.
# OpenBLAS runs as the environment configures it; a second run repeats the suffix and head with OPENBLAS_CORETYPE
# unset (OpenBLAS then picks its kernels for the CPU, AVX-512 where available) for comparison.
# Usage: scripts/bench/bench-ablation.sh [tokens=4096] [repeats=2]   (no Python needed once .bench/ exists)
set -euo pipefail
cd "$(dirname "$0")/../.."
TOKENS=${1:-4096} REPEATS=${2:-2}
MODEL=.bench/qwen3-0.6b-random CORPUS=.bench/physics300.json
[ -f "$MODEL/model.safetensors" ] && [ -f "$MODEL/tokenizer.json" ] && [ -f "$CORPUS" ] || { echo "run scripts/bench/bench-analyze.sh once first (it makes $MODEL and $CORPUS)" >&2; exit 1; }
swift build -c release --quiet --scratch-path .build-model --product sae-bench
BENCH=.build-model/release/sae-bench
echo "before: $(uptime)"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}"
$BENCH ablation "$MODEL" "$CORPUS" "$TOKENS" "$REPEATS"
echo "with OPENBLAS_CORETYPE unset:"
env -u OPENBLAS_CORETYPE $BENCH ablation "$MODEL" "$CORPUS" "$TOKENS" "$REPEATS" suffix,head
echo "after: $(uptime)"
