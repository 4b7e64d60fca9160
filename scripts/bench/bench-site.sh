#!/usr/bin/env bash
# Site-generation speed on synthetic 4096- and 16384-feature analysis directories (scripts/fixtures/make_site_fixture.py,
# realistic layout per docs/artifacts.md). Targets: >= 500 feature pages/s at 4096 features; 16384 features in
# under 2 minutes; feature pages <= 30 KB typical. Usage: scripts/bench/bench-site.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-.bench/site}
scratch=${SCRATCH:-.build}
mkdir -p "$work"
swift build -c release --scratch-path "$scratch" --product sae-bench >/dev/null
for n in 4096 16384; do
    dir="$work/synthetic-$n.analysis"
    [ -f "$dir/SUMMARY_20260101_120000.json" ] || python3 scripts/fixtures/make_site_fixture.py --features "$n" --examples 20 "$dir"
    echo "== $n features ($(du -sh "$dir" | cut -f1) analysis directory, $(nproc) cores)"
    "$scratch/release/sae-bench" site "$dir"
done
