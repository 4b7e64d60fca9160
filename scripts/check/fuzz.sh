#!/usr/bin/env bash
# Fuzzes the parsers of untrusted files with libFuzzer and AddressSanitizer. Not run in CI.
#
#   scripts/check/fuzz.sh [SECONDS_PER_HARNESS] [HARNESS...]  build, then run each harness in turn (default: all,
#                                                             600 s each); one summary line per harness at the end
#   scripts/check/fuzz.sh --build [HARNESS...]                build the harnesses only
#   scripts/check/fuzz.sh --no-build [SECONDS] [HARNESS...]   run the harnesses as last built
#   scripts/check/fuzz.sh --unit                              the parsers' randomized ("damaged files never crash")
#                                                             unit tests, built in release mode
#
# Harnesses: Fuzz/<Name>/main.swift, with Fuzz/Common/*.swift and, where a parser lives in a module the harness
# does not link (Corpus, in Analyze), that one source file. The package's modules are built by SwiftPM in the
# scratch path .build-fuzz with -sanitize=fuzzer,address and -enable-testing (so harnesses can `@testable import`);
# each harness is then compiled and linked by swiftc against those objects. Nothing here is a product of the package.
#
# One fuzzer runs at a time, one process (-workers=1 -jobs=1), under `nice -n 19`. Seeds are the test fixtures,
# copied into .build-fuzz/fuzz/<Name>/corpus, which keeps what the fuzzer adds from run to run; crashing inputs are
# written to .build-fuzz/fuzz/<Name>/artifacts. Reproduce one with `.build-fuzz/fuzz-bin/<Name> <file>`.
set -euo pipefail
cd "$(dirname "$0")/../.."

SCRATCH=.build-fuzz
HARNESSES=(Safetensors Pickle TorchStateDict NPY NPZ Tokenizer Corpus SAELensConfig SeedConfig)
SEED_LIMIT=65536   # larger fixtures are left out of the seed corpora: they only slow the fuzzer down

fail() { echo "fuzz.sh: $*" >&2; exit 1; }

# --- the parsers' randomized unit tests, in release mode -----------------------------------------------------------
if [[ "${1:-}" == "--unit" ]]; then
    # Every suite with a "damaged files never crash" test (fuzzedVariants in Tests/AnalyzeTests/Formats).
    filter='SafetensorsFuzzTests|NPYTests/damagedFilesNeverCrash|NPZTests/damagedArchivesNeverCrash|TorchStateDictTests/damagedFilesNeverCrash|PickleTests/damagedPicklesNeverCrash'
    exec nice -n 19 swift test -c release -Xswiftc -enable-testing --scratch-path .build-release-tests \
        --filter "$filter"
fi

# --- building -------------------------------------------------------------------------------------------------------
# Extra sources a harness compiles in (its parser's module is not linked).
extra_sources() {
    case "$1" in
        Corpus) echo Sources/Analyze/Pipeline/Corpus.swift ;;
    esac
}

# Every `swift build` here gets the same flags: SwiftPM rewrites its build plan for other flags, and the next build
# with these would then recompile everything.
# SwiftPM's --sanitize=fuzzer links libFuzzer but does not hand the Swift compiler the coverage instrumentation that
# swiftc's own -sanitize=fuzzer implies, so the package's modules had no counters and the fuzzers saw only the
# harness (cov ~30 on a valid tokenizer.json). The counters libFuzzer reads are asked for explicitly.
SWIFT_BUILD=(swift build -c release --scratch-path "$SCRATCH" --sanitize=fuzzer --sanitize=address -Xswiftc -enable-testing
    -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp)

build_modules() {
    local target
    for target in Tokenizers SAECore; do   # with their dependencies: Formats, LMRuntime, ZIPFoundation, Crypto, ...
        nice -n 19 "${SWIFT_BUILD[@]}" --target "$target" \
            || fail "building $target with the fuzzer and address sanitizers failed"
    done
}

build_harness() {
    local name="$1" products
    products="$("${SWIFT_BUILD[@]}" --show-bin-path)"
    [[ -d "Fuzz/$name" ]] || fail "no harness Fuzz/$name"
    local objects=() module_maps=()
    # The objects of the current sources only: a Swift file deleted since an earlier build leaves its .o behind.
    local object
    while IFS= read -r object; do
        local source
        source="$(basename "$object" .o)"
        if [[ "$source" == *.swift ]] && [[ -z "$(find Sources "$SCRATCH/checkouts" -name "$source" -print -quit)" ]]; then
            continue
        fi
        objects+=("$object")
    done < <(find "$products" -path '*.build/*' -name '*.o' | sort)
    # C targets with a module map of their own, and those SwiftPM writes one for in the build folder (CBF16Gemm).
    mapfile -t module_maps < <(
        { find "$SCRATCH/checkouts" Sources -name module.modulemap; find "$products" -maxdepth 2 -name module.modulemap; } | sort)
    local flags=(-O -sanitize=fuzzer,address -parse-as-library -use-ld=lld -module-name "Fuzz$name" -I "$products/Modules")
    local map
    for map in "${module_maps[@]}"; do flags+=(-Xcc "-fmodule-map-file=$map"); done
    # shellcheck disable=SC2046
    flags+=($(pkg-config --cflags-only-I openblas | sed 's/-I/-Xcc -I/g'))
    mkdir -p "$SCRATCH/fuzz-bin"
    # shellcheck disable=SC2046
    nice -n 19 swiftc "${flags[@]}" "Fuzz/$name"/*.swift Fuzz/Common/*.swift $(extra_sources "$name") \
        "${objects[@]}" -lstdc++ -o "$SCRATCH/fuzz-bin/$name" \
        || fail "building the $name harness failed"
}

# --- seeds ----------------------------------------------------------------------------------------------------------
seed_files() {
    local fixtures=Tests/Fixtures
    case "$1" in
        Safetensors) find "$fixtures" -name '*.safetensors' ;;
        TorchStateDict) find "$fixtures" -name '*.pt' ;;
        NPY) find "$fixtures" -name '*.npy' ;;
        NPZ) find "$fixtures" -name '*.npz' ;;
        Tokenizer) find "$fixtures/tokenizer" -name 'tiny-*.json' ! -name '*_cases.json'
                   echo "$fixtures/pipeline/model/tokenizer.json" ;;
        Corpus) echo "$fixtures/pipeline/corpus.json" ;;
        SAELensConfig) find "$fixtures/sae" -name cfg.json -o -name activation_scaler.json ;;
        SeedConfig) find "$fixtures/sae" -name config.json ;;
        Pickle) ;;   # the data.pkl members of the .pt fixtures: see seed_corpus
    esac
}

# Copies the seeds into the harness's corpus directory, each under its fixture path (slashes become underscores).
seed_corpus() {
    local name="$1" corpus="$2" file
    mkdir -p "$corpus"
    while IFS= read -r file; do
        [[ -f "$file" && $(stat -c %s "$file") -le $SEED_LIMIT ]] || continue
        cp "$file" "$corpus/seed_$(echo "$file" | tr / _)"
    done < <(seed_files "$name")
    if [[ "$name" == Pickle ]]; then
        while IFS= read -r file; do
            local member
            for member in $(zipinfo -1 "$file" 2>/dev/null | grep 'data\.pkl$'); do
                unzip -p "$file" "$member" > "$corpus/seed_$(echo "$file" | tr / _).data.pkl" 2>/dev/null || true
            done
        done < <(find Tests/Fixtures -name '*.pt')
    fi
}

# --- running --------------------------------------------------------------------------------------------------------
run_harness() {
    local name="$1" seconds="$2"
    local work="$SCRATCH/fuzz/$name"
    local corpus="$work/corpus" artifacts="$work/artifacts" log="$work/fuzz.log"
    mkdir -p "$artifacts"
    seed_corpus "$name" "$corpus"
    local before
    before=$(ls "$artifacts")
    rm -f "$work"/fuzz-*.log
    echo "== $name: ${seconds} s, corpus $(find "$corpus" -type f | wc -l) files, log $log"
    # -jobs=1 runs the fuzzer in one child process whose output goes to fuzz-0.log in the working directory.
    # SWIFT_BACKTRACE=enable=no leaves a Swift trap (an index out of range, an overflow) to libFuzzer's signal
    # handler, which saves the input; Swift's own backtracer would end the process first.
    local root binary status=0 started=$SECONDS
    root="$(pwd)"
    binary="$root/$SCRATCH/fuzz-bin/$name"
    (cd "$work" && TMPDIR="${FUZZ_TMPDIR:-/tmp}" SWIFT_BACKTRACE=enable=no LSAN_OPTIONS="suppressions=$root/Fuzz/lsan.supp" nice -n 19 "$binary" -workers=1 -jobs=1 \
        -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$(pwd)/artifacts/" corpus) > /dev/null 2>&1 || status=$?
    cp "$work/fuzz-0.log" "$log" 2>/dev/null || true
    local found
    found=$(comm -13 <(echo "$before") <(ls "$artifacts") | tr '\n' ' ' | sed 's/ $//')
    # The time it ran, which is less than asked for when it stopped at a crash.
    summary "$name" "$(( SECONDS - started ))" "$log" "$found" "$status" >> "$SCRATCH/fuzz/summary.txt"
    tail -n 1 "$SCRATCH/fuzz/summary.txt"
}

# One line from libFuzzer's log: the last status line's cov/ft/corp and the final stats.
summary() {
    local name="$1" seconds="$2" log="$3" found="$4" status="$5"
    local status_line execs rate
    status_line=$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -n 1 || true)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    local cov ft corp
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$status_line")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$status_line")
    corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<< "$status_line")
    local crashes=0
    [[ -n "$found" ]] && crashes=$(wc -w <<< "$found") && found=" ($found)"
    printf 'fuzz %-14s %5s s  execs %-9s exec/s %-6s cov %-6s ft %-6s corp %-12s crashes %s%s  [exit %s] %s\n' \
        "$name" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" "$found" \
        "$status" "$(date -u +%H:%M)"
}

# --- main -----------------------------------------------------------------------------------------------------------
build_only=false build=true
if [[ "${1:-}" == "--build" ]]; then build_only=true; shift
elif [[ "${1:-}" == "--no-build" ]]; then build=false; shift
fi
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds="$1"; shift
else seconds=600
fi
selected=("$@")
(( ${#selected[@]} )) || selected=("${HARNESSES[@]}")

if $build; then
    build_modules
    for name in "${selected[@]}"; do build_harness "$name"; done
fi
$build_only && exit 0

mkdir -p "$SCRATCH/fuzz"
for name in "${selected[@]}"; do run_harness "$name" "$seconds"; done
echo "== summary"
tail -n "${#selected[@]}" "$SCRATCH/fuzz/summary.txt"
