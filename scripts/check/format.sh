#!/usr/bin/env bash
# The Swift sources against the project's formatter configuration (.swift-format): `scripts/check/format.sh` lints
# (non-zero exit on any finding; the test command runs it), `scripts/check/format.sh --fix` rewrites the files.
set -euo pipefail
cd "$(dirname "$0")/../.."
paths=(Package.swift Sources Tests/AnalyzeTests Tests/SiteGenTests Tests/CLITests Tests/TestSupport Benchmarks Fuzz)
if [[ "${1:-}" == "--fix" ]]; then
    exec swift format format --in-place --recursive --configuration .swift-format "${paths[@]}"
fi
exec swift format lint --strict --recursive --configuration .swift-format "${paths[@]}"
