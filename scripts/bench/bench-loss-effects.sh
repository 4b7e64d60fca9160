#!/usr/bin/env bash
# Cost of the per-example loss effects (`analyze --loss-effects`), measured side by side: the same analyze run with
# --loss-effects 0 (baseline) and with the given settings (default: the defaults, 5 per feature within
# --loss-effect-rows 2048); prints the loss_effects stage's seconds, the examples done and left out, and the stage's
# share of the baseline run's time before writing. Inputs default to the embedded demo; for Qwen3-0.6B's shapes pass
# the inputs bench-analyze.sh makes:
#   scripts/bench/bench-loss-effects.sh                                   # demo
#   scripts/bench/bench-loss-effects.sh .bench/qwen3-0.6b-random .bench/sae-btopk128-l9 .bench/physics300.json
#   EXTRA="--loss-effect-rows all" scripts/bench/bench-loss-effects.sh    # every top example
# env BIN: the sae-report binary (default: builds and uses .build/release/sae-report).
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=${1:-demo/model} SAE=${2:-demo/sae} CORPUS=${3:-demo/corpus.json}
if [ -z "${BIN:-}" ]; then
    swift build -c release --product sae-report 2>&1 | grep -E "error|complete" | tail -3
    BIN=.build/release/sae-report
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "before: $(uptime)"
for name in baseline effects; do
    if [ $name = baseline ]; then flags=(--loss-effects 0); else read -r -a flags <<< "${EXTRA:-}"; fi
    start=$(date +%s.%N)
    "$BIN" analyze --model "$MODEL" --sae "$SAE" --data "$CORPUS" "${flags[@]}" -o "$out/$name" >/dev/null 2>"$out/$name.log" \
        || { tail -3 "$out/$name.log" >&2; exit 1; }
    echo "$name: wall $(python3 -c "import time; print(f'{time.time() - $start:.2f}')") s"
done
python3 - "$out" <<'PY'
import glob, json, sys
out = sys.argv[1]
def run(name):
    return json.load(open(glob.glob(f"{out}/{name}/results/analysis_results_*.json")[0]))
base, effects = run("baseline"), run("effects")
t = effects["run"]["timings_s"]
examples = 0
for path in glob.glob(f"{out}/effects/results/feature_summaries_*.jsonl"):
    for line in open(path):
        examples += sum("loss_effects" in e for e in json.loads(line)["top_examples"])
left_out = [w for w in effects["warnings"] if w.startswith("loss effects")]
kernels = effects["run"].get("versions", {}).get("openblas", "?")
print(f"{effects['run']['n_tokens']} tokens; OpenBLAS {kernels}")
print(f"loss_effects stage: {t['loss_effects']:.2f} s for {examples} examples"
      + (f" ({left_out[0]})" if left_out else " (every requested example)"))
total = base["run"]["timings_s"]["total_before_writing"]
print(f"baseline run (--loss-effects 0) before writing: {total:.2f} s; loss effects = {t['loss_effects'] / total:.1%} of it")
PY
echo "after: $(uptime)"
