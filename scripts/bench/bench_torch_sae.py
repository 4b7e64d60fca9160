#!/usr/bin/env python3
"""PyTorch CPU baseline for scripts/bench/bench-sae.sh: the seed's analysis-time SAE encode (full_analysis.py
_encode_sparse_features: x − b_dec, ReLU(x·W_enc), global top N·k over a pool, to a sparse tensor) and its
reconstruction (sparse codes · W_dec + b_dec), plus per-token top-k, on random weights of the given shapes.
Prints `NAME: N tokens/s` lines (best of 3 after a warm-up), like `sae-bench sae`.

    python3 scripts/bench/bench_torch_sae.py [tokens=4096] [d_in=1024] [d_sae=4096] [k=128]
"""
import sys
import time

import torch


def best(body):
    body()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    n, d, m, k = (int(a) for a in (sys.argv[1:] + ["4096", "1024", "4096", "128"][len(sys.argv) - 1:])[:4])
    torch.manual_seed(42)
    w_dec = torch.randn(m, d)
    w_dec /= w_dec.norm(dim=1, keepdim=True)
    w_enc = (w_dec + 0.1 * torch.randn(m, d)).T.contiguous()
    b_dec = 0.1 * torch.randn(d)
    x = torch.randn(n, d)
    pool = 1024
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; d_in {d}, d_sae {m}, k {k}, {n} tokens")

    def encode_batch():
        out = []
        for start in range(0, n, pool):
            xb = x[start:start + pool]
            dense = torch.relu((xb - b_dec) @ w_enc)
            flat = dense.flatten()
            values, indices = torch.topk(flat, min(xb.shape[0] * k, flat.numel()))
            sparse = torch.zeros_like(flat).scatter_(0, indices, values).view_as(dense)
            out.append(sparse.to_sparse_csr())
        return out

    def encode_token():
        dense = (x - b_dec) @ w_enc
        values, indices = torch.topk(dense, k, dim=1)
        sparse = torch.zeros_like(dense).scatter_(1, indices, torch.relu(values))
        return sparse.to_sparse_csr()

    with torch.no_grad():
        t = best(encode_batch)
        print(f"torch encode batch (pools of {pool}): {round(n / t)} tokens/s ({t:.4f} s)")
        t = best(encode_token)
        print(f"torch encode token: {round(n / t)} tokens/s ({t:.4f} s)")
        codes = encode_token()
        t = best(lambda: torch.sparse.mm(codes, w_dec) + b_dec)
        print(f"torch decode sparse (L0 {k}): {round(n / t)} tokens/s ({t:.4f} s)")
        dense_codes = codes.to_dense()
        t = best(lambda: dense_codes @ w_dec + b_dec)
        print(f"torch decode dense (L0 {k}): {round(n / t)} tokens/s ({t:.4f} s)")


if __name__ == "__main__":
    main()
