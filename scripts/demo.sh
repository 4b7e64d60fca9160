#!/usr/bin/env bash
# README command 1: install what is missing, build in release mode, and run the embedded demo
# (a tiny model, SAE and corpus shipped in demo/) into ./sae-report-demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product sae-report
.build/release/sae-report demo -o sae-report-demo "$@"
