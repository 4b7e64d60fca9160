#!/usr/bin/env bash
# bf16 against fp32 on the same inputs: `analyze --dtype fp32` and `--dtype bf16`, ablation on every token. Prints every
# headline metric of both runs with the difference, and how many features keep their top-20 examples.
#   scripts/bench/bf16-fidelity.sh [N]        Qwen3-0.6B's shapes (random bf16 weights), the random 4096-feature
#                                             BatchTopK k=128 SAE at blocks.9.hook_resid_post, the first N (100)
#                                             physics paragraphs
#   INPUTS=demo scripts/bench/bf16-fidelity.sh [N]
#                                             the embedded demo's trained model (Qwen3 architecture, weights stored
#                                             in bf16) and its trained 1024-feature BatchTopK SAE on
#                                             blocks.2.hook_resid_post, the first N (4000: all) demo paragraphs
set -euo pipefail
cd "$(dirname "$0")/../.."
INPUTS=${INPUTS:-random}
if [ "$INPUTS" = demo ]; then
    N=${1:-4000}
    MODEL=Sources/DemoData/demo/model
    SAE=Sources/DemoData/demo/sae
    DATA=.bench/demo$N.json
    python3 -c "import json,sys; json.dump(json.load(open(sys.argv[1]))[:int(sys.argv[2])], open(sys.argv[3], 'w'))" \
        Sources/DemoData/demo/corpus.json "$N" "$DATA"
else
    N=${1:-100}
    CORPUS=${SAE_CORPUS:-/work/shared/corpora/physics_paragraphs.json}
    MODEL=.bench/qwen3-0.6b-random
    SAE=.bench/sae-btopk128-l9
    DATA=.bench/physics$N.json
    if [ ! -f "$MODEL/model.safetensors" ] || [ ! -f "$MODEL/tokenizer.json" ]; then
        echo "run scripts/bench/bench-bf16.sh first (it makes $MODEL)" >&2; exit 1
    fi
    python3 scripts/bench/bench_make_inputs.py "$SAE" "$CORPUS" "$DATA" "$N"
fi
N=$INPUTS-$N
swift build -c release --product sae-report 2>&1 | grep -E "error|complete" | tail -3
for dtype in fp32 bf16; do
    out=.bench/fidelity-$dtype-$N
    rm -rf "$out" ".bench/.fidelity-$dtype-$N.partial"
    start=$(date +%s.%N)
    .build/release/sae-report analyze --model "$MODEL" --sae "$SAE" --data "$DATA" \
        --ablation zero --ablation-tokens all --dtype $dtype -o "$out" > /dev/null 2> .bench/fidelity-$dtype.log \
        || { tail -3 .bench/fidelity-$dtype.log >&2; exit 1; }
    echo "analyze --dtype $dtype: $(python3 -c "print(f'{$(date +%s.%N)-$start:.1f}')") s wall"
done
python3 - "$N" <<'PY'
import glob, json, sys
import numpy as np
import scipy.sparse as sp
n = sys.argv[1]
def load(dtype):
    d = f".bench/fidelity-{dtype}-{n}"
    results = json.load(open(glob.glob(f"{d}/results/analysis_results_*.json")[0]))
    features = {}
    for line in open(glob.glob(f"{d}/results/feature_summaries_*.jsonl")[0]):
        f = json.loads(line)
        top = f["top_examples"][:20]
        features[f["feature"]] = ([e["global_idx"] for e in top], [e["token_id"] for e in top])
    z = np.load(glob.glob(f"{d}/activation_database/activation_db_*.npz")[0])
    codes = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"])).tocsc()
    return results, features, codes
(a, fa, codes_a), (b, fb, _) = load("fp32"), load("bf16")
print(f"{'metric (variant)':48s} {'fp32':>12s} {'bf16':>12s} {'bf16 - fp32':>12s}")
for x, y in zip(a["metric_table"], b["metric_table"]):
    if x["value"] is None or y["value"] is None:
        continue
    name = f"{x['group']}.{x['name']} ({x.get('variant', '')})"
    print(f"{name:48s} {x['value']:12.6g} {y['value']:12.6g} {y['value'] - x['value']:12.3g}")
shared = sorted(set(fa) & set(fb))
def share(test):
    k = sum(test(f) for f in shared)
    return f"{k}/{len(shared)} = {100 * k / max(1, len(shared)):.1f}%"
print(f"features that fired: fp32 {len(fa)}, bf16 {len(fb)}, both {len(shared)}")
print(f"top-20 example positions identical in order: {share(lambda f: fa[f][0] == fb[f][0])}; "
      f"as a set: {share(lambda f: set(fa[f][0]) == set(fb[f][0]))}")
print(f"top-20 token ids identical in order: {share(lambda f: fa[f][1] == fb[f][1])}; "
      f"as a multiset: {share(lambda f: sorted(fa[f][1]) == sorted(fb[f][1]))}")
overlap = sum(len(set(fa[f][0]) & set(fb[f][0])) / max(1, len(fa[f][0])) for f in shared) / max(1, len(shared))
print(f"mean overlap of the top-20 positions: {100 * overlap:.1f}%")
# Where the sets differ: how far below fp32's 20th activation (in fp32) does bf16's weakest choice sit? A near-tie
# is a swap inside bf16's rounding (a relative 2^-8 per product, a few of them along the way).
deficits = []
for f in shared:
    if set(fa[f][0]) == set(fb[f][0]):
        continue
    column = codes_a[:, f].toarray().ravel()
    twentieth = column[fa[f][0][-1]]
    deficits.append(max(0.0, (twentieth - column[fb[f][0]].min()) / twentieth))
if deficits:
    q = np.quantile(deficits, [0.5, 0.95, 1.0])
    print(f"features whose top-20 sets differ: {len(deficits)}; bf16's weakest pick below fp32's 20th activation "
          f"(relative, in fp32): median {q[0]:.1e}, 95th pct {q[1]:.1e}, max {q[2]:.1e}; "
          f"within 1e-2: {100 * np.mean(np.array(deficits) <= 1e-2):.1f}%")
print(f"top-k threshold: fp32 {a['run'].get('topk_threshold')}, bf16 {b['run'].get('topk_threshold')}")
PY
