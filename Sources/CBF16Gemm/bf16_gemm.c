// A bf16 GEMM micro-kernel for AVX-512 BF16 CPUs (Zen 4, Cooper Lake, Sapphire Rapids): `vdpbf16ps` multiplies
// pairs of bf16 and adds them into fp32 lanes at twice the fp32 FMA rate. The weight stays in PyTorch's [n, k]
// layout (so it can be used straight from a memory-mapped safetensors file): each output is a dot product along k,
// 16 fp32 partial sums per register, reduced once at the end. Functions are compiled for AVX-512 through target
// attributes only, so the library builds for (and is never called on) CPUs without it.
#include "bf16_gemm.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define SAE_HAVE_X86 1
#else
#define SAE_HAVE_X86 0
#endif

int sae_bf16_kernel_supported(void) {
#if SAE_HAVE_X86
    static int cached = -1;
    if (cached >= 0) return cached;
    unsigned a, b, c, d;
    int ok = 0;
    if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 27))) {  // OSXSAVE
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        int osZmm = (lo & 0xE6) == 0xE6;  // XMM, YMM, opmask, ZMM_Hi256, Hi16_ZMM state enabled
        unsigned maxLeaf = __get_cpuid_max(0, NULL);
        if (osZmm && maxLeaf >= 7) {
            __cpuid_count(7, 0, a, b, c, d);
            int f = (b >> 16) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
            __cpuid_count(7, 1, a, b, c, d);
            int bf16 = (a >> 5) & 1;
            ok = f && bw && vl && bf16;
        }
    }
    cached = ok;
    return ok;
#else
    return 0;
#endif
}

void sae_f32_to_bf16(const float *src, uint16_t *dst, size_t count) {
    for (size_t i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, &src[i], 4);
        if ((bits & 0x7fffffffu) > 0x7f800000u) {
            dst[i] = (uint16_t)((bits >> 16) | 0x40);  // quiet NaN
        } else {
            bits += 0x7fffu + ((bits >> 16) & 1);  // round to nearest even
            dst[i] = (uint16_t)(bits >> 16);
        }
    }
}

void sae_bf16_to_f32(const uint16_t *src, float *dst, size_t count) {
    for (size_t i = 0; i < count; i++) {
        uint32_t bits = (uint32_t)src[i] << 16;
        memcpy(&dst[i], &bits, 4);
    }
}

#if SAE_HAVE_X86

#define SAE_AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

SAE_AVX512BF16 void sae_f32_to_bf16_avx512(const float *src, uint16_t *dst, size_t count) {
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        __m512bh pair = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + i + 16), _mm512_loadu_ps(src + i));
        _mm512_storeu_si512((void *)(dst + i), (__m512i)pair);
    }
    if (i < count) sae_f32_to_bf16(src + i, dst + i, count - i);
}

// One MR x NR tile of c: MR rows of a against NR rows of w, all of k. Called with constant MR, NR so that the
// accumulators live in registers (MR * NR <= 24 of the 32 zmm).
SAE_AVX512BF16 static inline __attribute__((always_inline)) void tile(
    const int MR, const int NR, const uint16_t *a, size_t lda, const uint16_t *w, size_t ldw, float *c,
    size_t ldc, size_t k) {
    __m512 acc[4][6];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) acc[i][j] = _mm512_setzero_ps();
    size_t kk = 0;
    for (; kk + 32 <= k; kk += 32) {
        __m512bh wv[6];
        for (int j = 0; j < NR; j++) wv[j] = (__m512bh)_mm512_loadu_si512((const void *)(w + j * ldw + kk));
        for (int i = 0; i < MR; i++) {
            __m512bh av = (__m512bh)_mm512_loadu_si512((const void *)(a + i * lda + kk));
            for (int j = 0; j < NR; j++) acc[i][j] = _mm512_dpbf16_ps(acc[i][j], av, wv[j]);
        }
    }
    if (kk < k) {
        __mmask32 mask = (__mmask32)((1ull << (k - kk)) - 1);
        __m512bh wv[6];
        for (int j = 0; j < NR; j++) wv[j] = (__m512bh)_mm512_maskz_loadu_epi16(mask, w + j * ldw + kk);
        for (int i = 0; i < MR; i++) {
            __m512bh av = (__m512bh)_mm512_maskz_loadu_epi16(mask, a + i * lda + kk);
            for (int j = 0; j < NR; j++) acc[i][j] = _mm512_dpbf16_ps(acc[i][j], av, wv[j]);
        }
    }
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) c[i * ldc + j] = _mm512_reduce_add_ps(acc[i][j]);
}

#define SAE_TILE_CASE(MR, NR) \
    case (MR) * 8 + (NR): tile(MR, NR, a, lda, w, ldw, c, ldc, k); break;
#define SAE_TILE_ROW(MR) \
    SAE_TILE_CASE(MR, 1) SAE_TILE_CASE(MR, 2) SAE_TILE_CASE(MR, 3) SAE_TILE_CASE(MR, 4) SAE_TILE_CASE(MR, 5) SAE_TILE_CASE(MR, 6)

SAE_AVX512BF16 static void edge_tile(int mr, int nr, const uint16_t *a, size_t lda, const uint16_t *w, size_t ldw,
                                     float *c, size_t ldc, size_t k) {
    switch (mr * 8 + nr) {
        SAE_TILE_ROW(1) SAE_TILE_ROW(2) SAE_TILE_ROW(3) SAE_TILE_ROW(4)
        default: break;
    }
}

enum { SAE_MR = 4, SAE_NR = 6, SAE_MC = 64 };

SAE_AVX512BF16 void sae_bf16_gemm_nt(const uint16_t *a, size_t lda, const uint16_t *w, size_t ldw, float *c,
                                     size_t ldc, size_t m, size_t n, size_t k) {
    // Blocks of MC rows of a (MC * k * 2 bytes, in L2) against strips of NR rows of w (in L1).
    for (size_t m0 = 0; m0 < m; m0 += SAE_MC) {
        size_t m1 = m0 + SAE_MC < m ? m0 + SAE_MC : m;
        for (size_t j = 0; j < n; j += SAE_NR) {
            int nr = n - j < SAE_NR ? (int)(n - j) : SAE_NR;
            for (size_t i = m0; i < m1; i += SAE_MR) {
                int mr = m1 - i < SAE_MR ? (int)(m1 - i) : SAE_MR;
                const uint16_t *ap = a + i * lda;
                const uint16_t *wp = w + j * ldw;
                float *cp = c + i * ldc + j;
                if (mr == SAE_MR && nr == SAE_NR) tile(SAE_MR, SAE_NR, ap, lda, wp, ldw, cp, ldc, k);
                else edge_tile(mr, nr, ap, lda, wp, ldw, cp, ldc, k);
            }
        }
    }
}

#else

void sae_f32_to_bf16_avx512(const float *src, uint16_t *dst, size_t count) { sae_f32_to_bf16(src, dst, count); }

void sae_bf16_gemm_nt(const uint16_t *a, size_t lda, const uint16_t *w, size_t ldw, float *c, size_t ldc, size_t m,
                      size_t n, size_t k) {
    (void)a; (void)lda; (void)w; (void)ldw; (void)c; (void)ldc; (void)m; (void)n; (void)k;
}

#endif
