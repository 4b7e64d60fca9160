#!/usr/bin/env bash
# Headless-Chromium screenshots of a generated site: the summary, the feature index, a feature page (light and,
# with the system in dark mode, dark) and a cluster page. Usage: scripts/check/screenshots.sh [ANALYSIS_DIR] [OUT_DIR]
# (default: the committed synthetic fixture, screenshots into .bench/screenshots; env SCRATCH: swift scratch path);
# with a corpus browser, also a text page and one with a tooltip held open
set -euo pipefail
cd "$(dirname "$0")/../.."
scratch=${SCRATCH:-.build}
analysis=${1:-Tests/Fixtures/site/synthetic}
out=${2:-.bench/screenshots}
mkdir -p "$out"
swift build --scratch-path "$scratch" --product sae-report >/dev/null
site=$(mktemp -d)/site
"$scratch/debug/sae-report" site --no-record "$analysis" -o "$site" >/dev/null
feature=$(ls "$site/features" | sort -n | head -1)
for cluster in "$site"/clusters/*.html; do break; done
shot() {  # name page [height] [chromium flags]
    # shellcheck disable=SC2086
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,"${3:-1600}" ${4:-} \
        --virtual-time-budget=3000 --screenshot="$out/$1.png" "file://$2" 2>/dev/null
    echo "$out/$1.png"
}
shot summary "$site/index.html" 2400
shot index "$site/features.html" 1400
shot feature "$site/features/$feature" 2400
shot feature-dark "$site/features/$feature" 2400 --force-dark-mode
if [ -f "${cluster:-}" ]; then shot cluster "$cluster" 1400; else echo "no cluster pages in this run"; fi
# The corpus browser: a text page, and the same page with one token's tooltip held open (as on hover or focus).
text=$(ls "$site/texts" 2>/dev/null | grep -v index | sort -n | head -1 || true)
if [ -n "$text" ]; then
    shot text "$site/texts/$text" 1400
    sed 's#</head>#<style>.w\#t3 > .pop { display: block; }</style></head>#' "$site/texts/$text" > "$site/texts/open-$text"
    shot text-tooltip "$site/texts/open-$text" 1000
else
    echo "no texts in this run"
fi
