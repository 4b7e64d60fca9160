# Sourced by the benchmarks that run `analyze` on the 0.6B inputs bench-analyze.sh makes (bench-default-rate.sh,
# bench-seed-scope.sh), from the repository root: checks that .bench/ holds them, sets MODEL, SAE and CORPUS, builds
# the release binary into BIN unless BIN is set, and defines `corpus_slice N FILE` (the first N non-empty texts of
# the corpus, as a JSON list) and `warm_page_cache`.
MODEL=.bench/qwen3-0.6b-random SAE=.bench/sae-btopk128-l9
CORPUS=${SAE_CORPUS:-/work/shared/corpora/physics_paragraphs.json}
[ -f "$MODEL/model.safetensors" ] && [ -f "$SAE/weights.pt" ] || { echo "run scripts/bench/bench-analyze.sh once first (it makes $MODEL and $SAE)" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then
    swift build -c release --product sae-report 2>&1 | grep -E "error|complete" | tail -3
    BIN=.build/release/sae-report
fi

corpus_slice() {
    python3 -c "import json,sys; t=[x for x in json.load(open(sys.argv[1])) if x.strip()][:int(sys.argv[3])]; json.dump(t, open(sys.argv[2],'w'), ensure_ascii=False)" \
        "$CORPUS" "$2" "$1"
}

# Every job starts with the files in the page cache.
warm_page_cache() { cat "$MODEL"/*.safetensors "$MODEL"/tokenizer.json "$SAE"/* > /dev/null; }
