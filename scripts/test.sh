#!/usr/bin/env bash
# The test command (README, command 2; CI runs exactly this).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build
swift test --parallel
