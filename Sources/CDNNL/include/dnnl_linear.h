#ifndef SAE_DNNL_LINEAR_H
#define SAE_DNNL_LINEAR_H

#include <stddef.h>

/// c[i, j] = sum_l a[i, l] * w[j, l] for i < m, j < n through oneDNN's matmul: a is [m, k] with row stride lda, w is
/// [n, k] with row stride ldw (a PyTorch Linear weight, used in place), both fp32 (`bf16` 0) or both bf16 (`bf16` 1,
/// as uint16_t bits); c is [m, n] fp32 with row stride ldc. Runs on `threads` OpenMP threads (1: the calling thread).
/// The primitive for each (dtype, shape, strides, threads) is created once and cached for the process's lifetime.
/// Returns 0, or oneDNN's status when it has no implementation (e.g. bf16 on a CPU without AVX-512).
int sae_dnnl_linear(int bf16, const void *a, size_t lda, const void *w, size_t ldw, float *c, size_t ldc,
                    size_t m, size_t n, size_t k, int threads);

/// The implementation oneDNN picks for such a product (e.g. "brg:avx512_core_bf16"), or NULL when it has none.
const char *sae_dnnl_implementation(int bf16, size_t m, size_t n, size_t k, int threads);

#endif
