#include "vector_math.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define VM(name) portable_##name
#define VM_TARGET
#define VM_WIDTH 4
#define VM_AV_CHUNK 2
#define VM_NAME "portable"
#include "vector_kernels.h"
#undef VM
#undef VM_TARGET
#undef VM_WIDTH
#undef VM_AV_CHUNK
#undef VM_NAME

#if defined(__x86_64__)
#define VM(name) avx2_##name
#define VM_TARGET __attribute__((target("avx2,fma")))
#define VM_WIDTH 8
#define VM_AV_CHUNK 2
#define VM_NAME "AVX2+FMA"
#include "vector_kernels.h"
#undef VM
#undef VM_TARGET
#undef VM_WIDTH
#undef VM_AV_CHUNK
#undef VM_NAME

#define VM(name) avx512_##name
#define VM_TARGET __attribute__((target("avx512f")))
#define VM_WIDTH 16
#define VM_AV_CHUNK 4
#define VM_NAME "AVX-512F"
#include "vector_kernels.h"
#undef VM
#undef VM_TARGET
#undef VM_WIDTH
#undef VM_AV_CHUNK
#undef VM_NAME
#endif

static const SAEVectorKernels *available[3];
static int availableCount;
static pthread_once_t choice = PTHREAD_ONCE_INIT;

static void choose(void) {
#if defined(__x86_64__)
    // __builtin_cpu_supports also checks that the OS saves the wider registers.
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (avx2 && __builtin_cpu_supports("avx512f")) available[availableCount++] = &avx512_kernels;
    if (avx2) available[availableCount++] = &avx2_kernels;
#endif
    available[availableCount++] = &portable_kernels;
}

static inline const SAEVectorKernels *kernels(void) {
    pthread_once(&choice, choose);
    return available[0];
}

const SAEVectorKernels *const *sae_vm_available(int *count) {
    pthread_once(&choice, choose);
    *count = availableCount;
    return available;
}

float sae_vm_max(const float *values, size_t count) { return kernels()->max(values, count); }

float sae_vm_sum_exp(const float *values, size_t count, float shift) {
    return kernels()->sum_exp(values, count, shift);
}

float sae_vm_exp_weighted(const float *values, size_t count, float shift, float *out, float *weighted) {
    return kernels()->exp_weighted(values, count, shift, out, weighted);
}

float sae_vm_exponentiate(float *values, size_t count, float shift) {
    return kernels()->exponentiate(values, count, shift);
}

float sae_vm_weighted_difference(const float *w, const float *z, const float *y, size_t count) {
    return kernels()->weighted_difference(w, z, y, count);
}

void sae_vm_silu_mul(float *gate, const float *up, size_t count) { kernels()->silu_mul(gate, up, count); }

void sae_vm_transpose_keys(
    const float *keys, size_t key_stride, size_t count, size_t head_dim, float *keys_t, size_t kt_stride,
    size_t zero_to) {
    kernels()->transpose_keys(keys, key_stride, count, head_dim, keys_t, kt_stride, zero_to);
}

void sae_vm_attention_scores(
    const float *queries, size_t query_stride, size_t rows, const float *keys_t, size_t kt_stride, size_t head_dim,
    size_t key_count, size_t diagonal, float scale, float *scores, size_t score_stride) {
    kernels()->attention_scores(
        queries, query_stride, rows, keys_t, kt_stride, head_dim, key_count, diagonal, scale, scores, score_stride);
}

void sae_vm_attention_values(
    const float *weights, size_t weight_stride, size_t rows, size_t key_count, size_t diagonal, const float *values,
    size_t value_stride, size_t head_dim, float *out, size_t out_stride) {
    kernels()->attention_values(
        weights, weight_stride, rows, key_count, diagonal, values, value_stride, head_dim, out, out_stride);
}

const char *sae_vm_isa(void) { return kernels()->isa; }
