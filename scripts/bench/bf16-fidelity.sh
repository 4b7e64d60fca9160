#!/usr/bin/env bash
# bf16 against fp32 on the same inputs: `analyze --dtype fp32` and `--dtype bf16` on Qwen3-0.6B's shapes (random bf16
# weights), the random 4096-feature BatchTopK k=128 SAE at blocks.9.hook_resid_post, the first N (100) physics
# paragraphs, ablation on every token. Prints every headline metric of both runs with the difference, and the share
# of features whose top-20 example token positions are identical. Usage: scripts/bench/bf16-fidelity.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-100}
CORPUS=${SAE_CORPUS:-/work/shared/corpora/physics_paragraphs.json}
MODEL=.bench/qwen3-0.6b-random
if [ ! -f "$MODEL/model.safetensors" ] || [ ! -f "$MODEL/tokenizer.json" ]; then
    echo "run scripts/bench/bench-bf16.sh first (it makes $MODEL)" >&2; exit 1
fi
python3 scripts/bench/bench_make_inputs.py .bench/sae-btopk128-l9 "$CORPUS" .bench/physics$N.json "$N"
swift build -c release --product sae-report 2>&1 | grep -E "error|complete" | tail -3
for dtype in fp32 bf16; do
    out=.bench/fidelity-$dtype-$N
    rm -rf "$out" ".bench/.fidelity-$dtype-$N.partial"
    start=$(date +%s.%N)
    .build/release/sae-report analyze --model "$MODEL" --sae .bench/sae-btopk128-l9 --data .bench/physics$N.json \
        --ablation zero --ablation-tokens all --dtype $dtype -o "$out" > /dev/null 2> .bench/fidelity-$dtype.log \
        || { tail -3 .bench/fidelity-$dtype.log >&2; exit 1; }
    echo "analyze --dtype $dtype: $(python3 -c "print(f'{$(date +%s.%N)-$start:.1f}')") s wall"
done
python3 - "$N" <<'PY'
import glob, json, sys
n = sys.argv[1]
def load(dtype):
    d = f".bench/fidelity-{dtype}-{n}"
    results = json.load(open(glob.glob(f"{d}/results/analysis_results_*.json")[0]))
    features = {}
    for line in open(glob.glob(f"{d}/results/feature_summaries_*.jsonl")[0]):
        f = json.loads(line)
        features[f["feature"]] = [e["global_idx"] for e in f["top_examples"][:20]]
    return results, features
(a, fa), (b, fb) = load("fp32"), load("bf16")
print(f"{'metric (variant)':48s} {'fp32':>12s} {'bf16':>12s} {'bf16 - fp32':>12s}")
for x, y in zip(a["metric_table"], b["metric_table"]):
    if x["value"] is None or y["value"] is None:
        continue
    name = f"{x['group']}.{x['name']} ({x.get('variant', '')})"
    print(f"{name:48s} {x['value']:12.6g} {y['value']:12.6g} {y['value'] - x['value']:12.3g}")
shared = set(fa) & set(fb)
same = sum(fa[f] == fb[f] for f in shared)
print(f"features that fired: fp32 {len(fa)}, bf16 {len(fb)}, both {len(shared)}; identical top-20 example positions: "
      f"{same}/{len(shared)} = {100 * same / max(1, len(shared)):.1f}%")
as_sets = sum(set(fa[f]) == set(fb[f]) for f in shared)
overlap = sum(len(set(fa[f]) & set(fb[f])) / max(1, len(fa[f])) for f in shared) / max(1, len(shared))
print(f"same top-20 example positions as a set: {100 * as_sets / max(1, len(shared)):.1f}% of features; "
      f"mean overlap {100 * overlap:.1f}%")
print(f"top-k threshold: fp32 {a['run'].get('topk_threshold')}, bf16 {b['run'].get('topk_threshold')}")
PY
