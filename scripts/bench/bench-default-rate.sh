#!/usr/bin/env bash
# `analyze` with default settings on the first N (300) non-empty paragraphs of the physics corpus, Qwen3-0.6B's shapes
# (.bench/qwen3-0.6b-random) and the 4096-feature BatchTopK k=128 layer-9 SAE (.bench/sae-btopk128-l9), in fp32 and
# `--dtype bf16`, each with OPENBLAS_CORETYPE as the environment sets it and pinned to Haswell (AVX2) kernels: tokens
# per second end to end (wall time, load and writing included) against the seed's ~4 tokens/s (#14's target: 100x).
# Unlike bench-analyze.sh it never writes the SAE, so .bench/ may hold links to another checkout's inputs.
# env BIN: the sae-report binary (default: builds and uses .build/release/sae-report).
# env ROUNDS: runs of each variant (default 1), the variants taking turns; with more than one, the median of each
# variant's rates is printed last (this machine's run-to-run spread is about ±2 %).
# Usage: scripts/bench/bench-default-rate.sh [N=300] [VARIANTS=fp32,bf16,fp32-haswell,bf16-haswell]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-300}
IFS=, read -r -a VARIANTS <<< "${2:-fp32,bf16,fp32-haswell,bf16-haswell}"
source scripts/bench/analyze-bench-inputs.sh
corpus_slice "$N" ".bench/default-rate-$N.json"
warm_page_cache
ROUNDS=${ROUNDS:-1}
rates=$(mktemp)
trap 'rm -f "$rates"' EXIT
for round in $(seq "$ROUNDS"); do
    for variant in "${VARIANTS[@]}"; do
        dtype=${variant%%-*}
        case $variant in
            *-haswell) runner=(env OPENBLAS_CORETYPE=Haswell) ;;
            *) runner=() ;;
        esac
        out=.bench/default-rate-out-$variant-$N
        rm -rf "$out" ".bench/.default-rate-out-$variant-$N.partial"
        echo "load: $(uptime)"
        start=$(date +%s.%N)
        "${runner[@]}" $BIN analyze --model "$MODEL" --sae "$SAE" --data ".bench/default-rate-$N.json" --dtype "$dtype" -o "$out" \
            >/dev/null 2>".bench/default-rate-$variant-$N.log" || { tail -3 ".bench/default-rate-$variant-$N.log" >&2; exit 1; }
        end=$(date +%s.%N)
        python3 - "$out" "$variant" "$start" "$end" "$rates" <<'PY'
import glob, json, sys
out, variant, start, end, rates = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
run = json.load(open(glob.glob(out + "/results/analysis_results_*.json")[0]))["run"]
rate = run["n_tokens"] / (end - start)
v = run.get("versions", {})
kernel = v.get("bf16_kernel" if variant.startswith("bf16") else "fp32_kernel", "?")
print(f"{variant} ({kernel}; OpenBLAS {v.get('openblas', '?')} kernels; row kernels {v.get('row_kernels', '?')}): {run['n_tokens']} tokens in {end - start:.1f} s "
      f"= {rate:.0f} tokens/s end to end = {rate / 4:.0f}x the seed's ~4 tokens/s (target 100x)")
print("  stages:", ", ".join(f"{k} {v:.2f}" for k, v in run["timings_s"].items()))
open(rates, "a").write(f"{variant} {rate:.1f} {end - start:.2f}\n")
PY
    done
done
echo "after: $(uptime)"
if [ "$ROUNDS" -gt 1 ]; then
    python3 - "$rates" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    variant, rate, wall = line.split()
    runs.setdefault(variant, []).append((float(rate), float(wall)))
for variant, values in runs.items():
    rate = statistics.median(r for r, _ in values)
    print(f"{variant}: median of {len(values)} runs {rate:.0f} tokens/s = {rate / 4:.0f}x the seed (runs: "
          + ", ".join(f"{w:.1f} s" for _, w in values) + ")")
PY
fi
