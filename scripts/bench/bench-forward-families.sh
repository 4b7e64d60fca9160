#!/usr/bin/env bash
# Forward throughput of the spec-driven decoder on real model shapes (random weights) vs transformers fp32 on the CPU,
# same threads, GPT-2 small and Gemma-2-2B. Two modes:
#
#   scripts/bench/bench-forward-families.sh            kernel-bound: `sae-bench forward` on 4 random sequences of 256
#       tokens (equal lengths, no padding on either side) to the last loaded block's hook_resid_post, GPT-2 small (all 12
#       blocks) and Gemma-2-2B (its first 4 blocks), best of 3, against transformers fp32 eager on the same shapes
#       (bench_family_forward.py); ours with the default kernel (oneDNN's fp32 matmul) and with OpenBLAS sgemm.
#   scripts/bench/bench-forward-families.sh corpus [N]   the issue's comparison, in the Qwen3 methodology of
#       bench-bf16.sh: `sae-report activations --dtype fp32` to a middle layer (GPT-2 small: blocks.6, 12-block
#       checkpoint; Gemma-2-2B: blocks.12, a 13-block checkpoint, since our runtime loads only blocks <= 12 anyway) over
#       the first N (200) physics paragraphs, end to end (load, tokenize, forward, write; packed, no padding), against
#       transformers' forward alone on the same token ids (bench_torch_hook.py: the model folder's tokenizer.json,
#       windows of 1024 tokens on both sides, sorted by length, batches of 16, right padding + attention mask, best of 2).
#       Tokenizers: GPT-2's real vocabulary (Tests/Fixtures/tokenizer/gpt2-tokenizer.json.zip, 50,257 ids); for Gemma
#       the committed Gemma-pipeline tokenizer trained on the corpus (sp-gemma.json, 3,260 ids, so more tokens per text
#       than Gemma's own; ids stay below 3,260, the embedding and head keep Gemma-2-2B's 256,000 rows).
#       FAMILIES="gpt2-small gemma2-2b" picks the models, KERNELS="openblas openblasColumns onednn" ours' fp32 kernels
#       (SAE_REPORT_FP32_KERNEL; default: onednn, the default kernel, then openblas).
# Needs python3 with torch + transformers + tokenizers; the first run writes the checkpoints under .bench/ (Gemma's
# 13 blocks: 3.2 GB of bf16; transformers holds 6.4 GB in fp32 while it runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=${1:-shapes}
SCRATCH=${SCRATCH:-.build-model}  # SCRATCH: the SwiftPM build folder to use
make_model() { [ -f ".bench/$1/model.safetensors" ] || python3 scripts/bench/bench_family_forward.py make ".bench/$1" "$2" ${3:-}; }
mkdir -p .bench

if [ "$MODE" != corpus ]; then
    BATCH=4 SEQLEN=256
    make_model gpt2-small gpt2-small
    make_model gemma2-2b gemma2-2b 4
    swift build -c release --quiet --scratch-path "$SCRATCH" --product sae-bench
    rate() { sed -nE 's/.*: ([0-9]+) tokens\/s.*/\1/p' <<<"$1" | head -1; }
    echo "before: $(uptime)"
    for entry in "gpt2-small 11" "gemma2-2b 3"; do
        set -- $entry
        ours=$(swift run -c release --skip-build --scratch-path "$SCRATCH" sae-bench forward ".bench/$1" $BATCH $SEQLEN "$2" | head -1)
        sgemm=$(SAE_REPORT_FP32_KERNEL=openblas swift run -c release --skip-build --scratch-path "$SCRATCH" sae-bench forward ".bench/$1" $BATCH $SEQLEN "$2" | head -1)
        torch=$(python3 scripts/bench/bench_family_forward.py torch ".bench/$1" $BATCH $SEQLEN "$2" 2>/dev/null | tail -1)
        echo "$1: $ours"
        echo "$1: $sgemm"
        echo "$1: $torch"
        python3 -c "import sys; print(f'$1 ratio ours/torch: {float(sys.argv[1]) / float(sys.argv[3]):.2f}x (OpenBLAS sgemm: {float(sys.argv[2]) / float(sys.argv[3]):.2f}x)')" \
            "$(rate "$ours")" "$(rate "$sgemm")" "$(rate "$torch")"
    done
    echo "after: $(uptime)"
    exit 0
fi

N=${2:-200}
FAMILIES=${FAMILIES:-gpt2-small gemma2-2b}
KERNELS=${KERNELS:-onednn openblas}
TEXTS=.bench/texts$N.json
python3 -c "import json,sys; json.dump(json.load(open(sys.argv[1]))[:int(sys.argv[2])], open(sys.argv[3], 'w'))" \
    "${SAE_CORPUS:-/work/shared/corpora/physics_paragraphs.json}" "$N" "$TEXTS"
swift build -c release --scratch-path "$SCRATCH" --product sae-report 2>&1 | grep -E "error|complete" | tail -3
BIN=$SCRATCH/release/sae-report
for family in $FAMILIES; do
    case $family in
        gpt2-small) model=.bench/gpt2-small layer=6 ;;
        gemma2-2b) model=.bench/gemma2-2b-13 layer=12 ;;
        *) echo "unknown family $family (gpt2-small, gemma2-2b)" >&2; exit 1 ;;
    esac
    make_model "${model#.bench/}" "$family" $([ "$family" = gemma2-2b ] && echo 13)
    if [ ! -f "$model/tokenizer.json" ]; then
        case $family in
            gpt2-small) unzip -p Tests/Fixtures/tokenizer/gpt2-tokenizer.json.zip tokenizer.json > "$model/tokenizer.json" ;;
            gemma2-2b) cp Tests/Fixtures/tokenizer/sp-gemma.json "$model/tokenizer.json" ;;
        esac
    fi
    cat "$model"/*.safetensors "$model"/tokenizer.json > /dev/null  # every job starts with the files in the page cache
    echo "$family before: $(uptime)"
    for kernel in $KERNELS; do
        rm -rf ".bench/acts-$family-$kernel"  # activations writes a new folder
        SAE_REPORT_FP32_KERNEL=$kernel /usr/bin/time -v $BIN activations --model "$model" --data "$TEXTS" \
            --hook blocks.$layer.hook_resid_post --dtype fp32 -o ".bench/acts-$family-$kernel" 2> ".bench/activations-$family-$kernel.log" \
            || { tail -5 ".bench/activations-$family-$kernel.log" >&2; exit 1; }
        rm -rf ".bench/acts-$family-$kernel"
        echo "ours $family $kernel: $(grep -m1 "float32 at" ".bench/activations-$family-$kernel.log")"
    done
    python3 scripts/bench/bench_torch_hook.py "$model" "$TEXTS" $layer 16 float32 1024 2>/dev/null | tail -2 | tee ".bench/torch-$family-$N.txt"
    echo "$family after: $(uptime)"
    python3 - "$family" "$N" $KERNELS <<'PY'
import re, sys
family, n, kernels = sys.argv[1], sys.argv[2], sys.argv[3:]
torch_text = open(f".bench/torch-{family}-{n}.txt").read()
torch_tokens, torch_rate = map(float, re.search(r": (\d+) tokens in [\d.]+ s = (\d+) tokens/s", torch_text).groups())
torch_cpu = float(re.search(r"user\+sys ([\d.]+) s per pass", torch_text).group(1))
for kernel in kernels:
    log = open(f".bench/activations-{family}-{kernel}.log").read()
    tokens = int(re.search(r"\[(\d+), \d+\] float32", log).group(1))
    h, m, s = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", log).groups()
    wall = int(h or 0) * 3600 + int(m) * 60 + float(s)
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): ([\d.]+)", log).group(1)) for kind in ("User", "System"))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", log).group(1)) / 1e6
    same = "same tokens" if tokens == torch_tokens else f"TOKEN COUNTS DIFFER: torch {torch_tokens:.0f}"
    print(f"{family} {kernel}: ours {tokens} tokens in {wall:.2f} s end to end (user+sys {cpu:.1f} s) = {tokens / wall:.0f} tokens/s, "
          f"peak RSS {rss:.2f} GB; torch {torch_rate:.0f} tokens/s (forward only) -> {tokens / wall / torch_rate:.2f}x ({same}); "
          f"CPU time torch/ours {torch_cpu / cpu:.2f}x")
PY
done
