#!/usr/bin/env bash
# The test command (README, command 2; CI runs exactly this): the formatter lint, the suite, then the suite again under
# ThreadSanitizer (the model, the pass and the site run on all cores; any data race it reports fails the run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/check/format.sh   # the sources as the formatter configuration (.swift-format) writes them
swift build
swift test --parallel
TSAN_OPTIONS=halt_on_error=1 swift test --sanitize=thread --scratch-path .build-tsan
