#!/usr/bin/env bash
# An 8B model in 24 GiB (issue #14): `activations --dtype bf16` to blocks.16.hook_resid_post of a Llama-3-8B-shaped
# checkpoint with random bf16 weights (16 GB, made once by make_llama8b.py under BIG, outside the repository), on the
# first N texts of the physics corpus; prints wall time, peak RSS and tokens/s (/usr/bin/time), and the bytes that
# the embedding and blocks 0-16 take in the checkpoint, which the peak RSS should be close to (the loader touches
# every page of each matrix it maps, to refuse NaN). Then the same run on a copy of the index that lists only the
# embedding and blocks 0-16 (the shards are symlinked): it succeeds only if nothing past block 16 is looked up.
# env BIN: the sae-report binary (default: builds and uses .build/release/sae-report).
# Usage: scripts/bench/bench-llama8b.sh [N=4] [BIG=/work/big]   (run one 8B job at a time: 16 GB of page cache)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-4} BIG=${2:-/work/big}
MODEL=$BIG/llama3-8b-random
[ -f "$MODEL/model.safetensors.index.json" ] || python3 scripts/bench/make_llama8b.py "$MODEL" Tests/Fixtures/tokenizer/tiny-llama3.json
if [ -z "${BIN:-}" ]; then
    swift build -c release --product sae-report 2>&1 | grep -E "error|complete" | tail -3
    BIN=$PWD/.build/release/sae-report
fi
mkdir -p .bench
python3 -c "import json,sys; t=[x for x in json.load(open(sys.argv[1]))if x.strip()][:int(sys.argv[3])]; json.dump(t, open(sys.argv[2],'w'), ensure_ascii=False)" \
    "${SAE_CORPUS:-/work/shared/corpora/physics_paragraphs.json}" .bench/llama8b-texts.json "$N"
# The index restricted to what the hook needs, beside symlinks to the shards.
PARTIAL=$BIG/llama3-8b-blocks0-16
rm -rf "$PARTIAL" && mkdir -p "$PARTIAL"
for f in "$MODEL"/*; do ln -s "$f" "$PARTIAL/"; done
rm "$PARTIAL/model.safetensors.index.json"
python3 - "$MODEL" "$PARTIAL" <<'PY'
import json, re, struct, sys
model, partial = sys.argv[1:]
index = json.load(open(f"{model}/model.safetensors.index.json"))
def needed(name):
    m = re.match(r"model\.layers\.(\d+)\.", name)
    return name == "model.embed_tokens.weight" or (m is not None and int(m.group(1)) <= 16)
kept = {k: v for k, v in index["weight_map"].items() if needed(k)}
json.dump({"metadata": index["metadata"], "weight_map": kept}, open(f"{partial}/model.safetensors.index.json", "w"))
size = 0
for shard in set(kept.values()):
    with open(f"{model}/{shard}", "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
    size += sum(e - b for k, (b, e) in ((k, v["data_offsets"]) for k, v in header.items() if k in kept))
print(f"embedding + blocks 0-16 in the checkpoint: {size / 2**30:.2f} GiB of {index['metadata']['total_size'] / 2**30:.2f} GiB")
PY
for model in "$MODEL" "$PARTIAL"; do
    out=.bench/llama8b-activations
    rm -rf "$out"
    echo "load: $(uptime)"
    /usr/bin/time -f "%e s %M KB" -o .bench/llama8b-time.txt \
        "$BIN" activations --model "$model" --data .bench/llama8b-texts.json --hook blocks.16.hook_resid_post --dtype bf16 -o "$out" \
        2>.bench/llama8b.log || { tail -3 .bench/llama8b.log >&2; exit 1; }
    tail -1 .bench/llama8b.log
    python3 - .bench/llama8b-time.txt "$out" "$model" <<'PY'
import json, sys
import numpy as np
seconds, _, kb, _ = open(sys.argv[1]).read().split()[-4:]
tokens = np.load(sys.argv[2] + "/" + json.load(open(sys.argv[2] + "/activations.json"))["tokens"]).shape[0]
print(f"{sys.argv[3]}: {tokens} tokens in {float(seconds):.1f} s wall (load included) = {tokens / float(seconds):.1f} tokens/s, "
      f"peak RSS {int(kb) / 2**20:.2f} GiB")
PY
done
echo "after: $(uptime)"
