#!/usr/bin/env bash
# GEMM kernel candidates on Qwen3-0.6B linear shapes, side by side: OpenBLAS sgemm (fp32 baseline), our AVX-512 BF16
# kernel (Sources/CBF16Gemm) and oneDNN's bf16 matmul (Debian libdnnl-dev). Prints GFLOP/s (best of 5) and the
# OpenBLAS core in use. Usage: scripts/bench/gemm-kernels.sh [threads]   (needs libdnnl-dev and an AVX-512 BF16 CPU)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
clang -O2 -march=x86-64-v3 -I Sources/CBF16Gemm/include scripts/bench/gemm_kernels.c Sources/CBF16Gemm/bf16_gemm.c \
    -o "$out/gemm_kernels" -lopenblas -ldnnl -lpthread -lm
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}; $(uptime)"
OMP_NUM_THREADS=${1:-2} "$out/gemm_kernels" "${1:-2}"
