#!/usr/bin/env bash
# Forward throughput of the spec-driven decoder on real model shapes (random weights) vs transformers fp32 eager on
# the CPU, same threads: GPT-2 small (all 12 blocks) and Gemma-2-2B (its first 4 blocks; full vocabulary), both to
# the last loaded block's hook_resid_post on 4 sequences of 256 tokens. Prints each side and the ratio; ours runs with
# the default kernel (OpenBLAS sgemm) and with oneDNN's fp32 matmul (SAE_REPORT_FP32_KERNEL=onednn).
# Usage: scripts/bench/bench-forward-families.sh   (needs python3 with torch + transformers; the first run writes .bench/)
set -euo pipefail
cd "$(dirname "$0")/../.."
BATCH=4 SEQLEN=256 SCRATCH=${SCRATCH:-.build-model}  # SCRATCH: the SwiftPM build folder to use
make_model() { [ -f ".bench/$1/model.safetensors" ] || python3 scripts/bench/bench_family_forward.py make ".bench/$1" "$1" ${2:-}; }
mkdir -p .bench
make_model gpt2-small
make_model gemma2-2b 4
swift build -c release --quiet --scratch-path "$SCRATCH" --product sae-bench
rate() { sed -nE 's/.*: ([0-9]+) tokens\/s.*/\1/p' <<<"$1" | head -1; }
for entry in "gpt2-small 11" "gemma2-2b 3"; do
    set -- $entry
    ours=$(swift run -c release --skip-build --scratch-path "$SCRATCH" sae-bench forward ".bench/$1" $BATCH $SEQLEN "$2" | head -1)
    onednn=$(SAE_REPORT_FP32_KERNEL=onednn swift run -c release --skip-build --scratch-path "$SCRATCH" sae-bench forward ".bench/$1" $BATCH $SEQLEN "$2" | head -1)
    torch=$(python3 scripts/bench/bench_family_forward.py torch ".bench/$1" $BATCH $SEQLEN "$2" 2>/dev/null | tail -1)
    echo "$1: $ours"
    echo "$1: $onednn"
    echo "$1: $torch"
    python3 -c "import sys; print(f'$1 ratio ours/torch: {float(sys.argv[1]) / float(sys.argv[3]):.2f}x (oneDNN fp32: {float(sys.argv[2]) / float(sys.argv[3]):.2f}x)')" \
        "$(rate "$ours")" "$(rate "$onednn")" "$(rate "$torch")"
done
