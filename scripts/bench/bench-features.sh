#!/usr/bin/env bash
# The feature analysis (co-occurrence, decoder similarity, neighbour lists, clustering) of our release build against
# the seed's numpy/scipy formulation (`A.T @ A` on the binary CSR, dense phi, argsort neighbours, scipy average
# linkage) on the same synthetic codes, in the same command. Usage: scripts/bench/bench-features.sh [TOKENS] [D_SAE] [L0]
set -euo pipefail
cd "$(dirname "$0")/../.."
tokens=${1:-200000}
features=${2:-4096}
l0=${3:-64}
scratch=${SCRATCH_PATH:-.build-bench-features}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

python3 - "$dir" "$tokens" "$features" "$l0" <<'PY'
import sys, numpy as np, scipy.sparse as sp
out, n, m, l0 = sys.argv[1], *map(int, sys.argv[2:])
rng = np.random.default_rng(0)
popularity = rng.zipf(1.3, size=m).astype(np.float64)  # some features fire far more often, like real SAEs
popularity /= popularity.sum()
indices = np.stack([np.sort(rng.choice(m, size=l0, replace=False, p=popularity)) for _ in range(n)]).astype(np.int32)
data = rng.lognormal(0.0, 1.0, size=n * l0).astype(np.float32)
csr = sp.csr_matrix((data, indices.reshape(-1), np.arange(0, n * l0 + 1, l0, dtype=np.int64)), shape=(n, m))
sp.save_npz(f"{out}/codes.npz", csr)
np.save(f"{out}/w_dec.npy", rng.standard_normal((m, 1024)).astype(np.float32))
PY

swift build -c release --scratch-path "$scratch" --product sae-bench >/dev/null
echo "load: $(uptime)"
"$scratch/release/sae-bench" features "$dir/codes.npz" "$dir/w_dec.npy" "$dir/out"

python3 - "$dir" <<'PY'
import sys, time, numpy as np, scipy.sparse as sp
from scipy.cluster.hierarchy import linkage, leaves_list
from scipy.spatial.distance import squareform
d = sys.argv[1]
a = sp.load_npz(f"{d}/codes.npz")
w = np.load(f"{d}/w_dec.npy")
n, m = a.shape

def neighbors(s, k=32):
    s = s.copy()
    np.fill_diagonal(s, -np.inf)
    top = np.argpartition(-s, k, axis=1)[:, :k]
    return np.take_along_axis(top, np.argsort(-np.take_along_axis(s, top, 1), axis=1), 1)

start = time.perf_counter()
dn = w / (np.linalg.norm(w, axis=1, keepdims=True) + 1e-8)
sim = dn @ dn.T
neighbors(sim)
print(f"numpy decoder_similarity s={time.perf_counter() - start:.3f}")

start = time.perf_counter()
b = a.copy(); b.data[:] = 1
joint = (b.T @ b).toarray().astype(np.float64)
p = np.asarray(b.sum(0)).ravel() / n
sigma = np.sqrt(np.clip(p * (1 - p), 1e-12, None))
phi = ((joint / n - np.outer(p, p)) / (np.outer(sigma, sigma) + 1e-8)).astype(np.float32)
neighbors(np.where(joint > 0, phi, -np.inf))
print(f"scipy cooccurrence s={time.perf_counter() - start:.3f}")

start = time.perf_counter()
chosen = np.sort(np.argsort(-np.var(phi, axis=1))[:500])
dist = np.clip(1 - np.abs(phi[np.ix_(chosen, chosen)].astype(np.float64)), 0, 2)
np.fill_diagonal(dist, 0)
leaves_list(linkage(squareform(dist, checks=False), method="average"))
print(f"scipy clustering s={time.perf_counter() - start:.3f}")
PY
