#!/usr/bin/env bash
# Full-corpus tokenizer check: `sae-report tokenize` on every text of physics_paragraphs.json must give exactly the
# ids HF tokenizers gave (scripts/fixtures/make_tokenizer_fixtures.py committed a hash of each text's ids; the corpus itself
# is not in the repository). Skips when the shared corpus is absent (CI). Needs python3 (standard library only).
# Usage: scripts/check/check-tokenizer.sh   (SAE_SHARED=/work/shared, SCRATCH_PATH=.build by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus="${SAE_SHARED:-/work/shared}/corpora/physics_paragraphs.json"
scratch="${SCRATCH_PATH:-.build}"
fixtures=Tests/Fixtures/tokenizer
if [ ! -f "$corpus" ]; then
    echo "check-tokenizer: skipped, $corpus not present"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$fixtures/qwen-tokenizer.json.zip" "$work"
swift build -c release --scratch-path "$scratch" --product sae-report >&2
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
"$bin/sae-report" tokenize --model "$work" "$corpus" > "$work/ids.jsonl"

python3 - "$corpus" "$work/ids.jsonl" "$fixtures/physics_ids.bin" "$fixtures/physics_ids.json" <<'PY'
import hashlib, json, sys
corpus, ids_path, hashes_path, meta_path = sys.argv[1:]
meta = json.load(open(meta_path))
raw = open(corpus, "rb").read()
if hashlib.sha256(raw).hexdigest() != meta["corpus_sha256"]:
    sys.exit(f"check-tokenizer: {corpus} is not the corpus the fixture was made from (sha256 differs)")
texts = json.loads(raw)
lines = open(ids_path).read().splitlines()
expected = open(hashes_path, "rb").read()
if len(lines) != len(texts) or len(expected) != 8 * len(texts):
    sys.exit(f"check-tokenizer: {len(lines)} id lines, {len(expected) // 8} expected hashes, {len(texts)} texts")
bad, total = [], 0
for i, line in enumerate(lines):
    ids = json.loads(line)
    total += len(ids)
    digest = hashlib.blake2b(b"".join(x.to_bytes(4, "little", signed=True) for x in ids), digest_size=8).digest()
    if digest != expected[8 * i: 8 * i + 8]:
        bad.append(i)
if bad:
    sys.exit(f"check-tokenizer: {len(bad)} of {len(texts)} texts differ from HF tokenizers, first indices {bad[:10]}")
if total != meta["total_ids"]:
    sys.exit(f"check-tokenizer: {total} ids in all, HF had {meta['total_ids']}")
print(f"check-tokenizer: all {len(texts)} texts ({total} ids) match HF tokenizers")
PY
