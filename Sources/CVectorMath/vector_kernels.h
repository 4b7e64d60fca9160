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

static VM_TARGET void VM(transpose_keys)(
    const float *keys, size_t key_stride, size_t count, size_t head_dim, float *keys_t, size_t kt_stride,
    size_t zero_to) {
    // Key by key: each key's contiguous values go to one column (the keys lie a whole qkv row apart).
    for (size_t j = 0; j < count; j++) {
        const float *key = keys + j * key_stride;
        for (size_t d = 0; d < head_dim; d++) keys_t[d * kt_stride + j] = key[d];
    }
    if (zero_to > count) {
        for (size_t d = 0; d < head_dim; d++) memset(keys_t + d * kt_stride + count, 0, (zero_to - count) * sizeof(float));
    }
}

/// The keys rows r0..<r0 + group can see: up to the last row's diagonal, at most key_count.
static inline size_t VM(visible_keys)(size_t r0, size_t group, size_t diagonal, size_t key_count) {
    size_t limit = r0 + group + diagonal;
    return limit < key_count ? limit : key_count;
}

// Eight query rows at a time against one vector of keys: one load of the transposed keys feeds eight FMAs, and no
// sum crosses lanes. A partial block repeats its last row (computed, not stored).
static VM_TARGET void VM(attention_scores)(
    const float *queries, size_t query_stride, size_t rows, const float *keys_t, size_t kt_stride, size_t head_dim,
    size_t key_count, size_t diagonal, float scale, float *scores, size_t score_stride) {
    enum { R = 8 };
    for (size_t r0 = 0; r0 < rows; r0 += R) {
        const float *q[R];
        for (int r = 0; r < R; r++) q[r] = queries + (r0 + r < rows ? r0 + r : rows - 1) * query_stride;
        size_t live = rows - r0 < R ? rows - r0 : R;
        size_t visible = VM(visible_keys)(r0, live, diagonal, key_count);
        for (size_t j = 0; j < visible; j += VM_WIDTH) {
            VM(vf) acc[R];
            for (int r = 0; r < R; r++) acc[r] = VM(splat)(0);
            const float *column = keys_t + j;
            for (size_t d = 0; d < head_dim; d++) {
                VM(vf) k = VM(load)(column + d * kt_stride);
                for (int r = 0; r < R; r++) acc[r] += q[r][d] * k;
            }
            size_t lanes = visible - j < VM_WIDTH ? visible - j : VM_WIDTH;
            for (size_t r = 0; r < live; r++) {
                VM(vf) value = acc[r] * scale;
                float *out = scores + (r0 + r) * score_stride + j;
                if (lanes == VM_WIDTH) {
                    VM(store)(out, value);
                } else {
                    for (size_t lane = 0; lane < lanes; lane++) out[lane] = value[lane];
                }
            }
        }
    }
}

// Four rows at a time over VM_AV_CHUNK vectors of the head: each value vector loaded feeds four FMAs.
static VM_TARGET void VM(attention_values)(
    const float *weights, size_t weight_stride, size_t rows, size_t key_count, size_t diagonal, const float *values,
    size_t value_stride, size_t head_dim, float *out, size_t out_stride) {
    enum { R = 4, C = VM_AV_CHUNK };
    for (size_t r0 = 0; r0 < rows; r0 += R) {
        const float *w[R];
        for (int r = 0; r < R; r++) w[r] = weights + (r0 + r < rows ? r0 + r : rows - 1) * weight_stride;
        size_t live = rows - r0 < R ? rows - r0 : R;
        size_t visible = VM(visible_keys)(r0, live, diagonal, key_count);
        size_t d = 0;
        for (; d + C * VM_WIDTH <= head_dim; d += C * VM_WIDTH) {
            VM(vf) acc[R][C];
            for (int r = 0; r < R; r++)
                for (int c = 0; c < C; c++) acc[r][c] = VM(splat)(0);
            for (size_t j = 0; j < visible; j++) {
                VM(vf) v[C];
                for (int c = 0; c < C; c++) v[c] = VM(load)(values + j * value_stride + d + c * VM_WIDTH);
                for (int r = 0; r < R; r++)
                    for (int c = 0; c < C; c++) acc[r][c] += w[r][j] * v[c];
            }
            for (size_t r = 0; r < live; r++)
                for (int c = 0; c < C; c++) VM(store)(out + (r0 + r) * out_stride + d + c * VM_WIDTH, acc[r][c]);
        }
        for (; d + VM_WIDTH <= head_dim; d += VM_WIDTH) {
            VM(vf) acc[R];
            for (int r = 0; r < R; r++) acc[r] = VM(splat)(0);
            for (size_t j = 0; j < visible; j++) {
                VM(vf) v = VM(load)(values + j * value_stride + d);
                for (int r = 0; r < R; r++) acc[r] += w[r][j] * v;
            }
            for (size_t r = 0; r < live; r++) VM(store)(out + (r0 + r) * out_stride + d, acc[r]);
        }
        for (; d < head_dim; d++) {
            for (size_t r = 0; r < live; r++) {
                float sum = 0;
                for (size_t j = 0; j < visible; j++) sum += w[r][j] * values[j * value_stride + d];
                out[(r0 + r) * out_stride + d] = sum;
            }
        }
    }
}

static const SAEVectorKernels VM(kernels) = {
    VM(max), VM(sum_exp), VM(exp_weighted), VM(exponentiate), VM(weighted_difference), VM(silu_mul),
    VM(transpose_keys), VM(attention_scores), VM(attention_values), VM_NAME,
};
