#ifndef SAE_VECTOR_MATH_H
#define SAE_VECTOR_MATH_H

#include <stddef.h>

// Row kernels of the forward pass and the LM head's softmax statistics, in C so that each is compiled three times
// (AVX-512F, AVX2 + FMA, portable) and the widest the CPU runs is picked at run time: Swift compiles its SIMD types
// for the baseline x86-64 (SSE2) only. e^x is the same Cody–Waite reduction and degree-6 polynomial as Swift's
// `exp8` (relative error about 2e-7; exact 0 below -87.3, +inf above 88.7); sums are per lane, then across lanes.

/// The largest of values[0..<count] (-inf for none).
float sae_vm_max(const float *values, size_t count);

/// Σ e^(values[i] − shift).
float sae_vm_sum_exp(const float *values, size_t count, float shift);

/// out[i] = e^(values[i] − shift); returns Σ out[i] and sets *weighted to Σ out[i]·values[i].
float sae_vm_exp_weighted(const float *values, size_t count, float shift, float *out, float *weighted);

/// values[i] = e^(values[i] − shift), in place; returns their sum.
float sae_vm_exponentiate(float *values, size_t count, float shift);

/// Σ w[i]·(z[i] − y[i]), the difference formed first.
float sae_vm_weighted_difference(const float *w, const float *z, const float *y, size_t count);

/// gate[i] = gate[i] / (1 + e^−gate[i]) · up[i] (SiLU of the gate times the up projection), in place.
void sae_vm_silu_mul(float *gate, const float *up, size_t count);

/// keys_t[d · kt_stride + j] = keys[j · key_stride + d] for j < count, d < head_dim, and 0 for count ≤ j < zero_to:
/// one attention head's keys, transposed for `sae_vm_attention_scores`.
void sae_vm_transpose_keys(
    const float *keys, size_t key_stride, size_t count, size_t head_dim, float *keys_t, size_t kt_stride,
    size_t zero_to);

/// Causal attention's two products for a block of query rows, where row r sees keys j ≤ r + diagonal (and j < key_count).
/// Both kernels work on groups of rows and skip the keys that no row of a group sees; within a group they may compute
/// (scores) or read (values) a few keys past a row's diagonal, so `sae_vm_attention_values` needs zero weights there.
///
/// scores[r · score_stride + j] = scale · Σ_d queries[r · query_stride + d] · keys_t[d · kt_stride + j], each dot
/// product summed over d in order, for r < rows and the visible j; other entries are not written. Reads
/// keys_t[d · kt_stride + j] up to j = key_count rounded up to a multiple of 16 (those lanes are not stored).
void sae_vm_attention_scores(
    const float *queries, size_t query_stride, size_t rows, const float *keys_t, size_t kt_stride, size_t head_dim,
    size_t key_count, size_t diagonal, float scale, float *scores, size_t score_stride);

/// out[r · out_stride + d] = Σ_j weights[r · weight_stride + j] · values[j · value_stride + d], for r < rows and
/// d < head_dim, summed in order over the keys j that r's group of rows sees.
void sae_vm_attention_values(
    const float *weights, size_t weight_stride, size_t rows, size_t key_count, size_t diagonal, const float *values,
    size_t value_stride, size_t head_dim, float *out, size_t out_stride);

/// The instruction set the kernels run on here: "AVX-512F", "AVX2+FMA" or "portable".
const char *sae_vm_isa(void);

/// One instruction set's copies of the kernels above.
typedef struct SAEVectorKernels {
    float (*max)(const float *values, size_t count);
    float (*sum_exp)(const float *values, size_t count, float shift);
    float (*exp_weighted)(const float *values, size_t count, float shift, float *out, float *weighted);
    float (*exponentiate)(float *values, size_t count, float shift);
    float (*weighted_difference)(const float *w, const float *z, const float *y, size_t count);
    void (*silu_mul)(float *gate, const float *up, size_t count);
    void (*transpose_keys)(const float *keys, size_t key_stride, size_t count, size_t head_dim, float *keys_t,
                           size_t kt_stride, size_t zero_to);
    void (*attention_scores)(const float *queries, size_t query_stride, size_t rows, const float *keys_t,
                             size_t kt_stride, size_t head_dim, size_t key_count, size_t diagonal, float scale,
                             float *scores, size_t score_stride);
    void (*attention_values)(const float *weights, size_t weight_stride, size_t rows, size_t key_count,
                             size_t diagonal, const float *values, size_t value_stride, size_t head_dim, float *out,
                             size_t out_stride);
    const char *isa;
} SAEVectorKernels;

/// Every set this CPU runs, widest first (the first is the one the functions above use); sets *count. For tests.
const SAEVectorKernels *const *sae_vm_available(int *count);

#endif
