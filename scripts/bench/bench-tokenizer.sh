#!/usr/bin/env bash
# Tokenizer throughput, side by side on the same texts, one thread each: our Swift Tokenizer.encode
# (sae-bench tokenizer) against Hugging Face tokenizers (encode in a loop and encode_batch with RAYON_NUM_THREADS=1),
# with the real Qwen vocabulary from the committed fixture. Prints both rates and swift / HF (HF's faster mode).
# Usage: scripts/bench/bench-tokenizer.sh [CORPUS_JSON] [repeats=3]   (SCRATCH_PATH=.build by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus="${1:-${SAE_SHARED:-/work/shared}/corpora/physics_paragraphs.json}"
repeats="${2:-3}"
scratch="${SCRATCH_PATH:-.build}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
    Tests/Fixtures/tokenizer/qwen-tokenizer.json.zip "$work"
swift build -c release --scratch-path "$scratch" --product sae-bench >&2
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
"$bin/sae-bench" tokenizer "$work/tokenizer.json" "$corpus" "$repeats" | tee "$work/swift.txt"

RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false python3 - "$work/tokenizer.json" "$corpus" "$repeats" "$work/swift.txt" <<'PY'
import json, re, sys, time
from tokenizers import Tokenizer
path, corpus, repeats, swift = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
tokenizer = Tokenizer.from_file(path)
texts = json.load(open(corpus))
size = sum(len(t.encode()) for t in texts)
loop, batch, tokens = [], [], 0
for _ in range(max(1, repeats)):
    start = time.perf_counter()
    tokens = sum(len(tokenizer.encode(t).ids) for t in texts)
    loop.append(time.perf_counter() - start)
    start = time.perf_counter()
    tokenizer.encode_batch(texts)
    batch.append(time.perf_counter() - start)
rate = lambda s: f"{size / s / 1e6:.2f} MB/s {tokens / s / 1e6:.3f} Mtok/s"
print(f"hf first pass {rate(loop[0])}")
print(f"hf best encode loop {rate(min(loop))}")
print(f"hf best encode_batch (1 thread) {rate(min(batch))}")
swift_seconds = float(re.search(r"swift best .* seconds ([0-9.]+)", open(swift).read()).group(1))
hf_seconds = min(min(loop), min(batch))
print(f"ratio swift/hf throughput: {hf_seconds / swift_seconds:.2f}x")
PY
