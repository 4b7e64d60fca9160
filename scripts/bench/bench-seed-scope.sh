#!/usr/bin/env bash
# `analyze` at the seed's scope against the seed's own times (issue #14): Qwen3-0.6B's shapes (.bench/qwen3-0.6b-random),
# the 4096-feature BatchTopK k=128 layer-9 SAE (.bench/sae-btopk128-l9), the first N non-empty texts of the physics
# corpus, every token ablated (`--ablation zero --ablation-tokens all`: the seed's ablation_study runs every text), in
# fp32 (the default) and `--dtype bf16`. Wall time of the whole command, load and writing included; printed with the
# ratio to the seed's wall time on the same inputs (148 / 605 / 2,953 s for 8 / 40 / 100 texts, the seed's pipeline
# unmodified on a 2-core AVX-512 machine, measured by #14's author) and #14's targets (7.4 / 30 / 74 s: the first two are the seed ÷ 20, the last is
# the seed ÷ 40, as the issue writes them; both bars are printed), then where the
# time went (the run's `timings_s`).
# env BIN: the sae-report binary (default: builds and uses .build/release/sae-report).
# env SCOPE: `ours` (default: every panel of a default analysis) or `seed` (only what the seed computes: no per-example
# loss effects, logit effects, feature map or corpus browser; `--loss-effects 0 --logit-effects 0 --no-feature-map
# --browse-texts 0`).
# Usage: scripts/bench/bench-seed-scope.sh [COUNTS=8,40,100] [DTYPES=fp32,bf16]
# (needs python3 for the corpus slices and the summary; make .bench/ once with scripts/bench/bench-analyze.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
IFS=, read -r -a COUNTS <<< "${1:-8,40,100}"
IFS=, read -r -a DTYPES <<< "${2:-fp32,bf16}"
source scripts/bench/analyze-bench-inputs.sh
for n in "${COUNTS[@]}"; do corpus_slice "$n" ".bench/seed-scope-$n.json"; done
warm_page_cache
case ${SCOPE:-ours} in
    ours) EXTRA=() ;;
    seed) EXTRA=(--loss-effects 0 --logit-effects 0 --no-feature-map --browse-texts 0) ;;
    *) echo "SCOPE must be ours or seed" >&2; exit 1 ;;
esac
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>} SAE_REPORT_BF16_KERNEL=${SAE_REPORT_BF16_KERNEL:-<unset>} scope: ${SCOPE:-ours} ${EXTRA[*]:-}"
for n in "${COUNTS[@]}"; do
    for dtype in "${DTYPES[@]}"; do
        out=.bench/seed-scope-out-$n-$dtype
        rm -rf "$out" ".bench/.seed-scope-out-$n-$dtype.partial"
        echo "load: $(uptime)"
        start=$(date +%s.%N)
        $BIN analyze --model "$MODEL" --sae "$SAE" --data ".bench/seed-scope-$n.json" --ablation zero --ablation-tokens all \
            --dtype "$dtype" "${EXTRA[@]}" -o "$out" >/dev/null 2>".bench/seed-scope-$n-$dtype.log" \
            || { tail -3 ".bench/seed-scope-$n-$dtype.log" >&2; exit 1; }
        end=$(date +%s.%N)
        python3 - "$out" "$n" "$dtype" "$start" "$end" <<'PY'
import glob, json, sys
out, n, dtype, start, end = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
run = json.load(open(glob.glob(out + "/results/analysis_results_*.json")[0]))["run"]
seed = {8: 148.0, 40: 605.0, 100: 2953.0}.get(n)
target = {8: 7.4, 40: 30.0, 100: 74.0}.get(n)
wall = end - start
line = f"{n} texts ({run['n_tokens']} tokens, {run['n_tokens_ablation']} ablated), {dtype}: wall {wall:.1f} s"
if seed:
    line += (f", seed {seed:.0f} s: {seed / wall:.1f}x the seed (20x = {seed / 20:.1f} s: {'met' if wall <= seed / 20 else 'not met'}; "
             f"#14's target {target:.1f} s: {'met' if wall <= target else 'not met'})")
print(line)
v = run.get("versions", {})
print(f"  kernels: {v.get('fp32_kernel' if dtype == 'fp32' else 'bf16_kernel', '?')} (OpenBLAS {v.get('openblas', '?')}; "
      f"row kernels {v.get('row_kernels', '?')}) | stages:",
      ", ".join(f"{k} {v:.2f}" for k, v in run["timings_s"].items()))
PY
    done
done
echo "after: $(uptime)"
