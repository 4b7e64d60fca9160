#!/usr/bin/env bash
# What leaving positions out costs: `analyze` on the embedded demo (1M-parameter Qwen3, BatchTopK k=16 SAE, ablation
# on every token so the splice with kept rows only and the seed's per-batch sums run on every batch), alternating
# keep (--keep-special-tokens: no mask), default (special tokens left out) and high-norm (--ignore-high-norm 3: a
# norm per position, the calibration's median, and a mask that leaves positions out), ROUNDS times each; wall seconds
# per run, the medians, and each variant's ratio to keep. BASE_BIN (optional) runs the keep job with another build
# (e.g. main's) as one more baseline, for the cost of the code paths themselves.
# Usage: scripts/bench/bench-exclusion.sh [BIN=.build/release/sae-report] [ROUNDS=3] [BASE_BIN]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-.build/release/sae-report} ROUNDS=${2:-3} BASE=${3:-}
DEMO=Sources/DemoData/demo
OUT=.bench/exclusion
mkdir -p "$OUT"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}"
echo "before: $(uptime)"
run() {  # name binary flags...
    local name=$1 bin=$2
    shift 2
    rm -rf "$OUT/$name" "$OUT/.$name.partial"
    local start end
    start=$(date +%s.%N)
    "$bin" analyze --model "$DEMO/model" --sae "$DEMO/sae" --data "$DEMO/corpus.json" --ablation-tokens all "$@" \
        -o "$OUT/$name" >/dev/null 2>"$OUT/$name.log" || { tail -3 "$OUT/$name.log" >&2; exit 1; }
    end=$(date +%s.%N)
    echo "$name $(python3 -c "print(f'{$end-$start:.2f}')")"
}
for round in $(seq "$ROUNDS"); do
    run keep "$BIN" --keep-special-tokens
    run default "$BIN"
    run high-norm "$BIN" --ignore-high-norm 3
    if [ -n "$BASE" ]; then run base "$BASE"; fi
done | tee "$OUT/times.txt"
echo "after: $(uptime)"
python3 - "$OUT" <<'PY'
import sys, json, glob, statistics, collections
out = sys.argv[1]
times = collections.defaultdict(list)
for line in open(f"{out}/times.txt"):
    name, seconds = line.split()
    times[name].append(float(seconds))
run = json.load(open(glob.glob(f"{out}/high-norm/results/analysis_results_*.json")[0]))["run"]
print("OpenBLAS kernels:", run["versions"]["openblas"])
print("high-norm run left out:", run["excluded_positions"])
keep = statistics.median(times["keep"])
for name, values in times.items():
    median = statistics.median(values)
    print(f"{name}: median {median:.2f} s over {len(values)} runs, / keep = {median / keep:.3f}")
PY
