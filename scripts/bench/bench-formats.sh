#!/usr/bin/env bash
# Converting safetensors tensors to float32: our reader (release build) against safetensors + torch `.float()`,
# on the same freshly written file, in the same command. Usage: scripts/bench/bench-formats.sh [MILLIONS_OF_ELEMENTS]
set -euo pipefail
cd "$(dirname "$0")/../.."
millions=${1:-64}
scratch=${SCRATCH_PATH:-.build-bench-formats}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

python3 - "$dir/bench.safetensors" "$millions" <<'PY'
import sys, torch
from safetensors.torch import save_file
n = int(sys.argv[2]) * 1_000_000
g = torch.Generator().manual_seed(0)
x = torch.randn(n, generator=g)
save_file({"bf16": x.bfloat16(), "f16": x.half(), "f32": x}, sys.argv[1])
PY

swift build -c release --scratch-path "$scratch" --product sae-bench >/dev/null
echo "load: $(uptime)"
"$scratch/release/sae-bench" formats "$dir/bench.safetensors" 5

python3 - "$dir/bench.safetensors" <<'PY'
import sys, time, torch
from safetensors import safe_open
torch.set_num_threads(1)  # our conversion is single-threaded; compare like with like
with safe_open(sys.argv[1], framework="pt") as f:
    for name in sorted(f.keys()):
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            t = f.get_tensor(name).to(torch.float32, copy=True)  # an owned float32 copy, like ours
            best = min(best, time.perf_counter() - start)
        print(f"torch {name} elements={t.numel()} best_s={best:.4f} Melem_per_s={t.numel() / best / 1e6:.0f}")
PY
