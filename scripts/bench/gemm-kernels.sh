#!/usr/bin/env bash
# GEMM kernel candidates on the real linear shapes of Qwen3-0.6B, GPT-2 small (with its 50257-wide head) and
# Gemma-2-2B, m = 64 and 512 rows, side by side: OpenBLAS sgemm as it dispatches by default and pinned to its AVX2
# kernels (OPENBLAS_CORETYPE=Haswell, a second process: the core is chosen at load), oneDNN's fp32 matmul, our
# AVX-512 BF16 kernel (Sources/CBF16Gemm) and oneDNN's bf16 matmul, at 1 and 2 threads. Prints GFLOP/s (best of 5;
# 3 for products over 20 GFLOP; with one thread from the thread's CPU time, which the other processes of a shared
# machine do not inflate), oneDNN's primitive creation time, each result's max relative difference from sgemm, the
# OpenBLAS cores and the oneDNN implementations that ran.
# Usage: scripts/bench/gemm-kernels.sh [threads...]   (default: 1 2; needs libdnnl-dev and an AVX-512 BF16 CPU)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
clang -O2 -march=x86-64-v3 -I Sources/CBF16Gemm/include scripts/bench/gemm_kernels.c Sources/CBF16Gemm/bf16_gemm.c \
    -o "$out/gemm_kernels" -lopenblas -ldnnl -lgomp -lpthread -lm
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}; $(uptime)"
for threads in "${@:-1 2}"; do
    for t in $threads; do
        OPENBLAS_CORETYPE=Haswell OMP_NUM_THREADS=$t "$out/gemm_kernels" "$t" sgemm-only > "$out/pinned"
        OMP_NUM_THREADS=$t "$out/gemm_kernels" "$t" > "$out/main"
        paste -d' ' "$out/pinned" "$out/main"
    done
done
echo "$(uptime)"
