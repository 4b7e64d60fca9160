#ifndef SAE_BF16_GEMM_H
#define SAE_BF16_GEMM_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU and OS run AVX-512 BF16 (`vdpbf16ps`) code, else 0 (cpuid + xgetbv; cheap after the first call).
int sae_bf16_kernel_supported(void);

/// dst[i] = src[i] rounded to bfloat16 (round to nearest even; NaN stays NaN). Portable C.
void sae_f32_to_bf16(const float *src, uint16_t *dst, size_t count);

/// dst[i] = src[i] widened to fp32 (exact). Portable C.
void sae_bf16_to_f32(const uint16_t *src, float *dst, size_t count);

/// c[i, j] = sum_k a[i, k] * w[j, k] for i < m, j < n: a is [m, k] bf16 with row stride lda, w is [n, k] bf16 with
/// row stride ldw (a PyTorch Linear weight, used in place), c is [m, n] fp32 with row stride ldc. Products are exact
/// in fp32 and summed in fp32. Requires sae_bf16_kernel_supported(); the caller splits the work across threads.
void sae_bf16_gemm_nt(const uint16_t *a, size_t lda, const uint16_t *w, size_t ldw, float *c, size_t ldc,
                      size_t m, size_t n, size_t k);

/// sae_f32_to_bf16 with AVX-512 BF16 (`vcvtne2ps2bf16`); same results. Requires sae_bf16_kernel_supported().
void sae_f32_to_bf16_avx512(const float *src, uint16_t *dst, size_t count);

#endif
