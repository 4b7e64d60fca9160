#!/usr/bin/env bash
# Two builds of sae-report side by side on the same analysis directories, alternating A, B, A, B so that a machine's
# varying load falls on both: `sae-report site` on the embedded demo's analysis (1024 features) and on synthetic
# 4096- and 65,536-feature analyses (scripts/fixtures/make_site_fixture.py; the 65k one without dense matrices),
# each job's feature pages/s (as `site --verbose` reports it), wall seconds, CPU seconds (user + system, steadier
# than wall time on a shared machine) and peak RSS (/usr/bin/time -v), and the ratio B/A of the medians. Targets: >= 500 feature pages/s; the 65k site within 2 GB peak RSS.
# SIZES may also name grown-N and grown-N-nomap: the demo's own analysis grown to N features by
# scripts/bench/make_large_analysis.py (real records, every panel), with and without its feature map.
# Usage: scripts/bench/ab-site.sh BIN_A BIN_B [ROUNDS=3] [SIZES=demo,4096,65536]
# (BIN is a release sae-report, e.g. .build/release/sae-report, with its resource bundles beside it)
set -euo pipefail
cd "$(dirname "$0")/../.."
A=$1 B=$2 ROUNDS=${3:-3}
IFS=, read -r -a SIZES <<< "${4:-demo,4096,65536}"
work=.bench/ab-site
mkdir -p "$work"
echo "before: $(uptime)"
for size in "${SIZES[@]}"; do
    case $size in
        demo) dir=$work/demo/analysis; [ -d "$dir" ] || "$B" demo -o "$work/demo" >/dev/null ;;
        grown-*)
            # The demo's real analysis grown to N features (scripts/bench/make_large_analysis.py); "-nomap" is the
            # same directory without its feature map (so without map.html).
            n=${size#grown-}; n=${n%-nomap}
            [ -d "$work/demo/analysis" ] || "$B" demo -o "$work/demo" >/dev/null
            full=$work/grown-$n
            [ -f "$full/done" ] || { python3 scripts/bench/make_large_analysis.py "$work/demo/analysis" "$n" "$full" >&2 && touch "$full/done"; }
            dir=$full
            if [ "$size" != "grown-$n" ]; then
                dir=$work/grown-$n-nomap
                rm -rf "$dir" && mkdir -p "$dir"
                for path in "$full"/*; do
                    case $(basename "$path") in SUMMARY_*|done) ;; *) ln -s "$(realpath "$path")" "$dir/" ;; esac
                done
                python3 - "$full" "$dir" <<'PY'
import json, os, sys
full, out = sys.argv[1:]
name = next(n for n in os.listdir(full) if n.startswith("SUMMARY_"))
summary = json.load(open(os.path.join(full, name)))
summary["files"].pop("feature_map", None)
json.dump(summary, open(os.path.join(out, name), "w"))
PY
            fi ;;
        65536) dir=$work/synthetic-$size.analysis
               [ -f "$dir/SUMMARY_20260101_120000.json" ] || python3 scripts/fixtures/make_site_fixture.py --features "$size" --no-matrices "$dir" ;;
        *) dir=$work/synthetic-$size.analysis
           [ -f "$dir/SUMMARY_20260101_120000.json" ] || python3 scripts/fixtures/make_site_fixture.py --features "$size" "$dir" ;;
    esac
    for round in $(seq "$ROUNDS"); do
        for side in A B; do
            bin=${!side}
            out=$work/site-$side-$size
            rm -rf "$out"
            /usr/bin/time -v "$bin" site "$dir" -o "$out" --no-record --verbose >"$work/$side.out" 2>"$work/$side.time" \
                || { tail -3 "$work/$side.time" >&2; exit 1; }
            pages=$(grep -o '([0-9]* feature pages/s)' "$work/$side.out" | tr -dc 0-9)
            wall=$(grep -o 'in [0-9.]* s' "$work/$side.out" | tr -dc 0-9.)
            rss=$(awk '/Maximum resident set size/ {print int($6 / 1024)}' "$work/$side.time")
            cpu=$(awk '/User time|System time/ {s += $NF} END {print s}' "$work/$side.time")
            echo "$size $side $pages $wall $rss $cpu"
        done
    done
done | tee "$work/results.txt"
echo "after: $(uptime)"
python3 - "$work/results.txt" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    size, side, pages, wall, rss, cpu = line.split()
    rows[size, side].append((float(pages), float(wall), int(rss), float(cpu)))
print(f"{'analysis':>8} {'side':>4} {'pages/s':>8} {'build s':>8} {'peak RSS MiB':>13} {'CPU s':>7}")
for size in dict.fromkeys(k[0] for k in rows):
    med = {}
    for side in "AB":
        r = rows[size, side]
        med[side] = [statistics.median(x[i] for x in r) for i in range(4)]
        print(f"{size:>8} {side:>4} {med[side][0]:8.0f} {med[side][1]:8.2f} {med[side][2]:13.0f} {med[side][3]:7.2f}")
    print(f"{size:>8}  B/A {med['B'][0] / med['A'][0]:7.2f}× pages/s, {med['B'][1] / med['A'][1]:.2f}× build time, "
          f"{med['B'][3] / med['A'][3]:.2f}× CPU time, {med['B'][2] / med['A'][2]:.2f}× peak RSS")
PY
