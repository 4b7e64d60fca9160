#!/usr/bin/env bash
# Two builds of sae-report side by side on the same inputs (bench-analyze.sh's: Qwen3-0.6B shapes, a 4096-feature
# BatchTopK k=128 SAE at layer 9, the first N paragraphs), alternating A, B, A, B so that a machine's varying load
# falls on both: wall seconds of `analyze` per job and variant, and the ratio B/A of the medians.
# Usage: scripts/bench/ab-analyze.sh BIN_A BIN_B [N=100] [ROUNDS=2] [VARIANTS=none,default]
# (run scripts/bench/bench-analyze.sh once first: it makes .bench/qwen3-0.6b-random and the inputs)
set -euo pipefail
cd "$(dirname "$0")/../.."
A=$1 B=$2 N=${3:-100} ROUNDS=${4:-2}
IFS=, read -r -a VARIANTS <<< "${5:-none,default}"
MODEL=.bench/qwen3-0.6b-random
[ -f .bench/physics$N.json ] || python3 scripts/bench/bench_make_inputs.py .bench/sae-btopk128-l9 "${SAE_CORPUS:-/work/shared/corpora/physics_paragraphs.json}" .bench/physics$N.json "$N"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}"
echo "before: $(uptime)"
cat "$MODEL"/*.safetensors "$MODEL"/tokenizer.json > /dev/null
for variant in "${VARIANTS[@]}"; do
    case $variant in
        none) flags=(--ablation none) ;;
        all) flags=(--ablation zero --ablation-tokens all) ;;
        default) flags=() ;;
        *) echo "unknown variant $variant" >&2; exit 1 ;;
    esac
    for round in $(seq "$ROUNDS"); do
        for side in A B; do
            bin=${!side}
            out=.bench/ab-$side-$variant-$N
            rm -rf "$out" ".bench/.ab-$side-$variant-$N.partial"
            start=$(date +%s.%N)
            "$bin" analyze --model "$MODEL" --sae .bench/sae-btopk128-l9 --data .bench/physics$N.json "${flags[@]}" -o "$out" \
                >/dev/null 2>.bench/ab-$side.log || { tail -3 .bench/ab-$side.log >&2; exit 1; }
            end=$(date +%s.%N)
            echo "$variant $side $(python3 -c "print(f'{$end-$start:.2f}')")"
        done
    done
done | tee .bench/ab-$N.txt
echo "after: $(uptime)"
python3 -c "import json,glob; r=json.load(open(glob.glob('.bench/ab-B-${VARIANTS[0]}-$N/results/analysis_results_*.json')[0]))['run']; print('OpenBLAS kernels:', r['versions']['openblas'])"
python3 - ".bench/ab-$N.txt" <<'PY'
import sys, statistics, collections
times = collections.defaultdict(list)
for line in open(sys.argv[1]):
    variant, side, seconds = line.split()
    times[variant, side].append(float(seconds))
for variant in dict.fromkeys(v for v, _ in times):
    a, b = statistics.median(times[variant, "A"]), statistics.median(times[variant, "B"])
    print(f"{variant}: A {a:.2f} s, B {b:.2f} s (medians), B/A = {b / a:.3f}")
PY
