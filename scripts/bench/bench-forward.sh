#!/usr/bin/env bash
# Forward-pass throughput: our Swift forward vs transformers (PyTorch fp32, CPU, same threads) on Qwen3-0.6B's
# exact shapes (random weights), both to blocks.9.hook_resid_post on 8 sequences of 256 tokens, in one run.
# Also: the machine's sgemm GFLOP/s on the MLP's shape, the FLOP-weighted fraction of it our forward reaches, peak RSS.
# OpenBLAS runs as the environment configures it (this machine pins OPENBLAS_CORETYPE=Haswell, AVX2); a second line
# shows our forward with OPENBLAS_CORETYPE unset (OpenBLAS then picks its kernels for the CPU, AVX-512 here).
# Usage: scripts/bench/bench-forward.sh   (needs python3 with torch + transformers; the first run makes .bench/qwen3-0.6b-random)
set -euo pipefail
cd "$(dirname "$0")/../.."
BATCH=8 SEQLEN=256 STOP=9
MODEL=.bench/qwen3-0.6b-random
TOOLS=scripts/bench  # make_qwen3.py, make_qwen_tokenizer.py, bench_torch_forward.py
if [ ! -f "$MODEL/model.safetensors" ]; then
    mkdir -p .bench
    python3 "$TOOLS/make_qwen3.py" "$MODEL" 0.6b
fi
swift build -c release --quiet --scratch-path .build-model --product sae-bench
bench() { swift run -c release --skip-build --scratch-path .build-model sae-bench forward "$MODEL" $BATCH $SEQLEN $STOP; }

echo "before: $(uptime)"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}"
ours=$(bench)
echo "$ours"
torch=$(python3 "$TOOLS/bench_torch_forward.py" "$MODEL" float32 $BATCH $SEQLEN $STOP 2>/dev/null | tail -1)
echo "$torch"
unset_line=$(env -u OPENBLAS_CORETYPE swift run -c release --skip-build --scratch-path .build-model sae-bench forward "$MODEL" $BATCH $SEQLEN $STOP | head -2)
echo "with OPENBLAS_CORETYPE unset: $unset_line"
echo "after: $(uptime)"

rate() { sed -nE 's/.*: ([0-9]+) tokens\/s.*/\1/p' <<<"$1" | head -1; }
python3 -c "import sys; o,u,t=map(float,sys.argv[1:]); print(f'ratio ours/torch: {o/t:.2f}x as configured; {u/t:.2f}x with OPENBLAS_CORETYPE unset')" \
    "$(rate "$ours")" "$(rate "$unset_line")" "$(rate "$torch")"
