// The kernels of vector_math.h for one instruction set: vector_math.c includes this file once per set, with
// VM(name) naming that set's copies, VM_TARGET its target attribute and VM_WIDTH its lanes.

typedef float VM(vf) __attribute__((vector_size(4 * VM_WIDTH)));
typedef int32_t VM(vi) __attribute__((vector_size(4 * VM_WIDTH)));

static inline VM_TARGET VM(vf) VM(splat)(float x) {
    VM(vf) v;
    for (int lane = 0; lane < VM_WIDTH; lane++) v[lane] = x;
    return v;
}

static inline VM_TARGET VM(vf) VM(load)(const float *p) {
    VM(vf) v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline VM_TARGET void VM(store)(float *p, VM(vf) v) { memcpy(p, &v, sizeof v); }

/// mask ? a : b, lane by lane (mask lanes all ones or all zeros, as comparisons give them).
static inline VM_TARGET VM(vf) VM(select)(VM(vi) mask, VM(vf) a, VM(vf) b) {
    return (VM(vf))(((VM(vi))a & mask) | ((VM(vi))b & ~mask));
}

static inline VM_TARGET float VM(sum)(VM(vf) v) {
    float sum = 0;
    for (int lane = 0; lane < VM_WIDTH; lane++) sum += v[lane];
    return sum;
}

static inline VM_TARGET VM(vf) VM(exp)(VM(vf) x) {
    VM(vf) clamped = VM(select)(x < VM(splat)(-87.3f), VM(splat)(-87.3f), x);
    clamped = VM(select)(clamped > VM(splat)(88.7f), VM(splat)(88.7f), clamped);
    // Rounds to the nearest integer by adding 1.5 * 2^23; the integer also lands in the low mantissa bits.
    const VM(vf) magic = VM(splat)(12582912.0f);
    VM(vf) shifted = clamped * 1.44269504f + magic;
    VM(vf) n = shifted - magic;
    VM(vf) r = (clamped - n * 0.693145751953125f) - n * 1.428606765330187e-6f;
    VM(vf) p = VM(splat)(1.98756915e-4f);
    p = p * r + 1.39819995e-3f;
    p = p * r + 8.3334519e-3f;
    p = p * r + 4.1665796e-2f;
    p = p * r + 0.16666666f;
    p = p * r + 0.5f;
    p = p * r * r + r + 1;
    VM(vi) integer = (VM(vi))shifted - (VM(vi))magic;
    VM(vf) result = p * (VM(vf))((integer + 127) << 23);
    result = VM(select)(x < VM(splat)(-87.3f), VM(splat)(0), result);
    return VM(select)(x > VM(splat)(88.7f), VM(splat)(INFINITY), result);
}

/// e^x of one value through the vector code, so a row's tail rounds as its body does.
static inline VM_TARGET float VM(exp1)(float x) { return VM(exp)(VM(splat)(x))[0]; }

static VM_TARGET float VM(max)(const float *values, size_t count) {
    VM(vf) best = VM(splat)(-INFINITY);
    size_t i = 0;
    for (; i + VM_WIDTH <= count; i += VM_WIDTH) {
        VM(vf) value = VM(load)(values + i);
        best = VM(select)(value > best, value, best);
    }
    float result = -INFINITY;
    for (int lane = 0; lane < VM_WIDTH; lane++) result = best[lane] > result ? best[lane] : result;
    for (; i < count; i++) result = values[i] > result ? values[i] : result;
    return result;
}

static VM_TARGET float VM(sum_exp)(const float *values, size_t count, float shift) {
    VM(vf) sums = VM(splat)(0);
    size_t i = 0;
    for (; i + VM_WIDTH <= count; i += VM_WIDTH) sums += VM(exp)(VM(load)(values + i) - shift);
    float sum = VM(sum)(sums);
    for (; i < count; i++) sum += VM(exp1)(values[i] - shift);
    return sum;
}

static VM_TARGET float VM(exp_weighted)(const float *values, size_t count, float shift, float *out, float *weighted) {
    VM(vf) sums = VM(splat)(0), products = VM(splat)(0);
    size_t i = 0;
    for (; i + VM_WIDTH <= count; i += VM_WIDTH) {
        VM(vf) value = VM(load)(values + i);
        VM(vf) e = VM(exp)(value - shift);
        VM(store)(out + i, e);
        sums += e;
        products += e * value;
    }
    float sum = VM(sum)(sums), product = VM(sum)(products);
    for (; i < count; i++) {
        float e = VM(exp1)(values[i] - shift);
        out[i] = e;
        sum += e;
        product += e * values[i];
    }
    *weighted = product;
    return sum;
}

static VM_TARGET float VM(exponentiate)(float *values, size_t count, float shift) {
    VM(vf) sums = VM(splat)(0);
    size_t i = 0;
    for (; i + VM_WIDTH <= count; i += VM_WIDTH) {
        VM(vf) e = VM(exp)(VM(load)(values + i) - shift);
        VM(store)(values + i, e);
        sums += e;
    }
    float sum = VM(sum)(sums);
    for (; i < count; i++) {
        values[i] = VM(exp1)(values[i] - shift);
        sum += values[i];
    }
    return sum;
}

static VM_TARGET float VM(weighted_difference)(const float *w, const float *z, const float *y, size_t count) {
    VM(vf) sums = VM(splat)(0);
    size_t i = 0;
    for (; i + VM_WIDTH <= count; i += VM_WIDTH) sums += VM(load)(w + i) * (VM(load)(z + i) - VM(load)(y + i));
    float sum = VM(sum)(sums);
    for (; i < count; i++) sum += w[i] * (z[i] - y[i]);
    return sum;
}

static VM_TARGET void VM(silu_mul)(float *gate, const float *up, size_t count) {
    size_t i = 0;
    for (; i + VM_WIDTH <= count; i += VM_WIDTH) {
        VM(vf) g = VM(load)(gate + i);
        VM(store)(gate + i, g / (1 + VM(exp)(-g)) * VM(load)(up + i));
    }
    for (; i < count; i++) gate[i] = gate[i] / (1 + VM(exp1)(-gate[i])) * up[i];
}

static const SAEVectorKernels VM(kernels) = {
    VM(max), VM(sum_exp), VM(exp_weighted), VM(exponentiate), VM(weighted_difference), VM(silu_mul), VM_NAME,
};
