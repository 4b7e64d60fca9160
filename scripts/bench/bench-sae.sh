#!/usr/bin/env bash
# SAE encode/decode throughput: our Swift encoder (sgemm + per-row selection straight into CSR) and decoder against
# PyTorch CPU doing the seed's encode (full_analysis.py _encode_sparse_features: dense ReLU, global top N·k per pool,
# sparse) and per-token top-k, on random weights of the analysed SAE's shapes (d_in 1024, d_sae 4096, k 128), in one
# run on the same machine. Also prints both decode paths at several L0 (where SparseAutoencoder.denseDecodeDensity
# comes from) and the metric accumulators' throughput.
# Usage: scripts/bench/bench-sae.sh [tokens=4096]   (needs python3 with torch)
set -euo pipefail
cd "$(dirname "$0")/../.."
TOKENS=${1:-4096}
swift build -c release --scratch-path .build-sae --product sae-bench >/dev/null
echo "load: $(uptime)"
ours=$(swift run -c release --skip-build --scratch-path .build-sae sae-bench sae "$TOKENS" 1024 4096 128)
echo "$ours"
torch=$(python3 scripts/bench/bench_torch_sae.py "$TOKENS" 1024 4096 128 2>/dev/null)
echo "$torch"
echo "load: $(uptime)"
rate() { grep -F "$1" <<<"$2" | head -1 | sed -E 's/.*: ([0-9]+) tokens\/s.*/\1/'; }
python3 - "$(rate 'encode batch' "$ours")" "$(rate 'encode batch' "$torch")" "$(rate 'encode token' "$ours")" \
    "$(rate 'encode token' "$torch")" "$(rate 'encode threshold' "$ours")" \
    "$(rate 'decode sparse (L0 128' "$ours")" "$(rate 'decode sparse (L0 128' "$torch")" <<'PY'
import sys
ob, tb, ot, tt, oth, od, td = map(float, sys.argv[1:])
print(f"ratio ours/torch: encode batch (seed rule) {ob/tb:.2f}x, encode token {ot/tt:.2f}x, "
      f"our threshold mode vs torch seed rule {oth/tb:.2f}x, sparse decode {od/td:.2f}x")
PY
