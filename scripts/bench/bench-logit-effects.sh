#!/usr/bin/env bash
# The logit effects' fixed costs, before and after, side by side in one command: `analyze` by a baseline binary
# (BASELINE, e.g. a release build of main) and this tree's release build, each with --dtype fp32 and bf16, on
# Qwen3-0.6B's shapes (random bf16 weights, 151,936 × 1024 head), the random 4096-feature BatchTopK k=128 SAE at
# blocks.9.hook_resid_post and the first N (20) physics paragraphs; no ablation, loss effects, map or browser
# sample, so the run is the pass plus the feature analysis. Prints per run the `logit_effects` stage time
# (timings_s), the features that fired, wall time and peak RSS (/usr/bin/time), the kernels, and whether both
# binaries wrote the same logit effects for every feature (exactly in fp32; in bf16 the baseline multiplied an fp32
# copy of the head, so there the share of identical top-10 token ids is printed).
# Usage: BASELINE=/path/to/sae-report [AFTER=/path/to/sae-report] scripts/bench/bench-logit-effects.sh [N]
# (AFTER: a release binary of this tree built elsewhere; by default this tree is built with -c release.)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-20}
BASELINE=${BASELINE:?set BASELINE to the release binary to compare with}
CORPUS=${SAE_CORPUS:-/work/shared/corpora/physics_paragraphs.json}
MODEL=.bench/qwen3-0.6b-random
SAE=.bench/sae-btopk128-l9
if [ ! -f "$MODEL/model.safetensors" ] || [ ! -f "$SAE/weights.pt" ]; then
    echo "needs $MODEL (scripts/bench/bench-bf16.sh makes it) and $SAE (scripts/bench/bench_make_inputs.py)" >&2; exit 1
fi
[ -x "$BASELINE" ] || { echo "no baseline binary at $BASELINE" >&2; exit 1; }
TEXTS=.bench/logit-texts$N.json
python3 -c "import json,sys; json.dump([t for t in json.load(open(sys.argv[1])) if t.strip()][:int(sys.argv[2])], open(sys.argv[3], 'w'))" "$CORPUS" "$N" "$TEXTS"
if [ -z "${AFTER:-}" ]; then
    swift build -c release --product sae-report 2>&1 | grep -E "error|complete" | tail -2
    AFTER=.build/release/sae-report
fi
cat "$MODEL"/*.safetensors > /dev/null  # every run starts with the checkpoint in the page cache
echo "load before: $(uptime)"
for dtype in fp32 bf16; do
    for side in before after; do
        bin=$BASELINE; [ $side = after ] && bin=$AFTER
        out=.bench/logit-$side-$dtype-$N
        rm -rf "$out" .bench/.logit-$side-$dtype-$N.partial
        /usr/bin/time -f "%e s %M KB" -o .bench/logit-$side-$dtype.time "$bin" analyze --model "$MODEL" --sae "$SAE" \
            --data "$TEXTS" --dtype $dtype --ablation none --loss-effects 0 --no-feature-map --browse-texts 0 \
            -o "$out" > .bench/logit-$side-$dtype.log 2>&1 || { tail -5 .bench/logit-$side-$dtype.log >&2; exit 1; }
    done
done
echo "load after: $(uptime)"
bf16=$(grep -q -m1 avx512_bf16 /proc/cpuinfo && echo "AVX-512 BF16" || echo "portable (no avx512_bf16)")
echo "kernels: fp32 OpenBLAS $(python3 -c "import glob,json; print(json.load(open(glob.glob('.bench/logit-after-fp32-$N/results/analysis_results_*.json')[0]))['run']['versions']['openblas'])"); bf16 ${SAE_REPORT_BF16_KERNEL:-$bf16}"
python3 - "$N" <<'PY'
import glob, json, sys
n = sys.argv[1]
def load(side, dtype):
    d = f".bench/logit-{side}-{dtype}-{n}"
    results = json.load(open(glob.glob(f"{d}/results/analysis_results_*.json")[0]))
    effects = {}
    for line in open(glob.glob(f"{d}/results/feature_summaries_*.jsonl")[0]):
        f = json.loads(line)
        if "logit_effects" in f:
            effects[f["feature"]] = (f["logit_effects"], f["logit_histogram"])
    wall, rss = open(f".bench/logit-{side}-{dtype}.time").read().split()[0::2]
    return results["run"]["timings_s"], effects, float(wall), int(rss) / 1e6
print(f"{'run':18s} {'logit_effects s':>15s} {'features':>9s} {'wall s':>8s} {'peak RSS GB':>12s}")
for dtype in ("fp32", "bf16"):
    runs = {side: load(side, dtype) for side in ("before", "after")}
    for side, (timings, effects, wall, rss) in runs.items():
        print(f"{side + ' ' + dtype:18s} {timings['logit_effects']:15.2f} {len(effects):9d} {wall:8.1f} {rss:12.2f}")
    (tb, eb, _, rb), (ta, ea, _, ra) = runs["before"], runs["after"]
    print(f"  {dtype}: logit_effects stage {tb['logit_effects'] / max(ta['logit_effects'], 1e-9):.2f}x as fast, "
          f"peak RSS {ra - rb:+.2f} GB")
    assert set(ea) == set(eb), "both binaries must write logit effects for the same (fired) features"
    if dtype == "fp32":
        same = sum(ea[f] == eb[f] for f in ea)
        print(f"  fp32 logit effects and histograms identical for {same}/{len(ea)} features")
    else:
        lists = [(ea[f][0][k], eb[f][0][k]) for f in ea for k in ("promoted", "suppressed")]
        ids = lambda items: [t["token_id"] for t in items]
        ordered = sum(ids(x) == ids(y) for x, y in lists)
        as_sets = sum(set(ids(x)) == set(ids(y)) for x, y in lists)
        first = sum(x[0]["token_id"] == y[0]["token_id"] for x, y in lists)
        gap = max(abs(p["value"] - q["value"]) for x, y in lists for p, q in zip(x, y))
        top = max(abs(y[0]["value"]) for _, y in lists)
        print(f"  bf16 (decoder rows rounded to bf16 x bf16 head, vs fp32 rows x fp32 copy of the head), of {len(lists)} "
              f"top-10 lists: same first token {first}, same set {as_sets}, same order {ordered}; "
              f"max |value difference| {gap:.2e} (largest |value| {top:.3f})")
PY
