// oneDNN's matmul behind the matrix backend's linear(): primitives cached by shape, one stream per thread, threads
// set through OpenMP (Debian's libdnnl uses the OpenMP runtime; its brgemm kernels fix their thread count when the
// primitive is created, so the count is part of the cache key).
#include "dnnl_linear.h"

#include <dnnl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

void omp_set_num_threads(int);

typedef struct {
    int64_t key[8];
    dnnl_primitive_t primitive;
    const char *implementation;
} Entry;

// Open addressing; entries are never removed (a primitive may be executing on another thread). A full table means
// an unusual number of shapes: products then create and destroy their primitive each time.
#define CAPACITY 4096
static Entry table[CAPACITY];
static int used;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static dnnl_engine_t engine;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static _Thread_local dnnl_stream_t stream;

static void create_engine(void) { dnnl_engine_create(&engine, dnnl_cpu, 0); }

static dnnl_status_t create_primitive(const int64_t key[8], dnnl_primitive_t *primitive, const char **implementation) {
    dnnl_data_type_t type = key[0] ? dnnl_bf16 : dnnl_f32;
    int64_t m = key[1], n = key[2], k = key[3], lda = key[4], ldw = key[5], ldc = key[6];
    dnnl_memory_desc_t a_desc, w_desc, c_desc;
    dnnl_dims_t a_dims = {m, k}, a_strides = {lda, 1}, w_dims = {k, n}, w_strides = {1, ldw}, c_dims = {m, n}, c_strides = {ldc, 1};
    dnnl_status_t status;
    if ((status = dnnl_memory_desc_init_by_strides(&a_desc, 2, a_dims, type, a_strides)) != dnnl_success) return status;
    if ((status = dnnl_memory_desc_init_by_strides(&w_desc, 2, w_dims, type, w_strides)) != dnnl_success) return status;
    if ((status = dnnl_memory_desc_init_by_strides(&c_desc, 2, c_dims, dnnl_f32, c_strides)) != dnnl_success) return status;
    dnnl_matmul_desc_t desc;
    if ((status = dnnl_matmul_desc_init(&desc, &a_desc, &w_desc, NULL, &c_desc)) != dnnl_success) return status;
    // A scratchpad per execution: in the default (library) mode Debian's build shares one scratchpad between
    // primitives, which corrupts products run concurrently from different threads.
    dnnl_primitive_attr_t attributes;
    if ((status = dnnl_primitive_attr_create(&attributes)) != dnnl_success) return status;
    status = dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user);
    dnnl_primitive_desc_t primitive_desc;
    if (status == dnnl_success) status = dnnl_primitive_desc_create(&primitive_desc, &desc, attributes, engine, NULL);
    dnnl_primitive_attr_destroy(attributes);
    if (status != dnnl_success) return status;
    status = dnnl_primitive_create(primitive, primitive_desc);
    dnnl_primitive_desc_destroy(primitive_desc);
    if (status == dnnl_success && implementation) {
        const_dnnl_primitive_desc_t own;  // the primitive's copy, which lives as long as it does
        dnnl_primitive_get_primitive_desc(*primitive, &own);
        dnnl_primitive_desc_query(own, dnnl_query_impl_info_str, 0, implementation);
    }
    return status;
}

static size_t slot(const int64_t key[8]) {
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < 8; i++) h = (h ^ (uint64_t)key[i]) * 1099511628211ull;
    return (size_t)(h % CAPACITY);
}

static int same_key(const int64_t a[8], const int64_t b[8]) {
    for (int i = 0; i < 8; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

// The cached primitive for `key` (created on first use), or NULL with *status set when oneDNN has none; *owned is
// set when the table is full and the caller must destroy the primitive.
static dnnl_primitive_t lookup(const int64_t key[8], dnnl_status_t *status, int *owned, const char **implementation) {
    pthread_once(&engine_once, create_engine);
    *owned = 0;
    *status = dnnl_success;
    pthread_mutex_lock(&table_lock);
    size_t i = slot(key);
    while (table[i].primitive && !same_key(table[i].key, key)) i = (i + 1) % CAPACITY;
    if (table[i].primitive) {
        if (implementation) *implementation = table[i].implementation;
        pthread_mutex_unlock(&table_lock);
        return table[i].primitive;
    }
    dnnl_primitive_t primitive = NULL;
    const char *name = NULL;
    omp_set_num_threads((int)key[7]);
    *status = create_primitive(key, &primitive, &name);
    if (*status == dnnl_success) {
        if (used < CAPACITY * 3 / 4) {
            for (int j = 0; j < 8; j++) table[i].key[j] = key[j];
            table[i].primitive = primitive;
            table[i].implementation = name;
            used++;
        } else {
            *owned = 1;
        }
    }
    pthread_mutex_unlock(&table_lock);
    if (implementation) *implementation = name;
    return *status == dnnl_success ? primitive : NULL;
}

int sae_dnnl_linear(int bf16, const void *a, size_t lda, const void *w, size_t ldw, float *c, size_t ldc,
                    size_t m, size_t n, size_t k, int threads) {
    int64_t key[8] = {bf16 != 0, (int64_t)m, (int64_t)n, (int64_t)k, (int64_t)lda, (int64_t)ldw, (int64_t)ldc, threads};
    dnnl_status_t status;
    int owned;
    dnnl_primitive_t primitive = lookup(key, &status, &owned, NULL);
    if (!primitive) return (int)status;
    if (!stream && (status = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags)) != dnnl_success) return (int)status;
    const_dnnl_primitive_desc_t primitive_desc;
    dnnl_primitive_get_primitive_desc(primitive, &primitive_desc);
    const dnnl_memory_desc_t *a_desc = dnnl_primitive_desc_query_md(primitive_desc, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *w_desc = dnnl_primitive_desc_query_md(primitive_desc, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *c_desc = dnnl_primitive_desc_query_md(primitive_desc, dnnl_query_dst_md, 0);
    const dnnl_memory_desc_t *scratch_desc = dnnl_primitive_desc_query_md(primitive_desc, dnnl_query_scratchpad_md, 0);
    size_t scratch_size = scratch_desc ? dnnl_memory_desc_get_size(scratch_desc) : 0;
    void *scratch = NULL;
    if (scratch_size > 0 && posix_memalign(&scratch, 64, scratch_size) != 0) return (int)dnnl_out_of_memory;
    dnnl_memory_t a_memory = NULL, w_memory = NULL, c_memory = NULL, scratch_memory = NULL;
    if ((status = dnnl_memory_create(&a_memory, a_desc, engine, (void *)a)) == dnnl_success
        && (status = dnnl_memory_create(&w_memory, w_desc, engine, (void *)w)) == dnnl_success
        && (status = dnnl_memory_create(&c_memory, c_desc, engine, c)) == dnnl_success
        && (scratch_size == 0 || (status = dnnl_memory_create(&scratch_memory, scratch_desc, engine, scratch)) == dnnl_success)) {
        dnnl_exec_arg_t args[4] = {
            {DNNL_ARG_SRC, a_memory}, {DNNL_ARG_WEIGHTS, w_memory}, {DNNL_ARG_DST, c_memory},
            {DNNL_ARG_SCRATCHPAD, scratch_memory}};
        omp_set_num_threads(threads);
        status = dnnl_primitive_execute(primitive, stream, scratch_size > 0 ? 4 : 3, args);
        if (status == dnnl_success) status = dnnl_stream_wait(stream);
    }
    dnnl_memory_destroy(a_memory);
    dnnl_memory_destroy(w_memory);
    dnnl_memory_destroy(c_memory);
    dnnl_memory_destroy(scratch_memory);
    free(scratch);
    if (owned) dnnl_primitive_destroy(primitive);
    return (int)status;
}

const char *sae_dnnl_implementation(int bf16, size_t m, size_t n, size_t k, int threads) {
    int64_t key[8] = {bf16 != 0, (int64_t)m, (int64_t)n, (int64_t)k, (int64_t)k, (int64_t)k, (int64_t)n, threads};
    dnnl_status_t status;
    int owned;
    const char *implementation = NULL;
    dnnl_primitive_t primitive = lookup(key, &status, &owned, &implementation);
    if (owned) {
        dnnl_primitive_destroy(primitive);
        return NULL;  // its name lives in the destroyed primitive's descriptor
    }
    return primitive ? implementation : NULL;
}
