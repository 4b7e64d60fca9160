#!/usr/bin/env bash
# The feature map's layout time at 16,384 and 65,536 features (issue #15: "measure its time at 16k and 65k features"):
# `sae-bench map` on a random grouped decoder of d = 1024 (Qwen3-0.6B's width), the code `analyze` runs (the
# decoder-cosine neighbour table, then FeatureMap: fuzzy graph, PCA start, SGD), on THREADS threads; at 16k also
# on one thread side by side. Prints each stage's wall and CPU seconds, the thread count, the BLAS kernels, the load,
# and the layout's quality figures. Usage: scripts/bench/bench-map.sh [THREADS=every core] [SIZES=16384,65536]
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${1:-$(nproc)}
IFS=, read -r -a sizes <<< "${2:-16384,65536}"
scratch=${SCRATCH:-.build}
swift build -c release --scratch-path "$scratch" --product sae-bench >/dev/null
echo "before: $(uptime)"
for n in "${sizes[@]}"; do
    # The one-thread baseline doubles a 65k run's time; the 16k run shows the thread scaling.
    baseline=$([ "$n" -le 16384 ] && echo yes || echo no)
    "$scratch/release/sae-bench" map "$n" 1024 "$threads" 1 "$baseline"
done
echo "after: $(uptime)"
