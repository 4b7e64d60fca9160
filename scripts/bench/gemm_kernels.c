// Microbenchmark of the candidate GEMM kernels on Qwen3-0.6B's linear shapes, side by side in one process:
// OpenBLAS sgemm (fp32, the baseline), the hand-written AVX-512 BF16 kernel (Sources/CBF16Gemm), and oneDNN's
// matmul with bf16 source and weights and fp32 output (it dispatches its own AVX-512 BF16 / AMX kernels).
// All compute C[m, n] = A[m, k] . W[n, k]^T with W in PyTorch's [n, k] layout. Built and run by gemm-kernels.sh.
#include <cblas.h>
#include <dnnl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bf16_gemm.h"

void openblas_set_num_threads(int);
char *openblas_get_corename(void);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct { const uint16_t *a, *w; float *c; size_t m, n, k, n0, n1; } Job;
static void *run_job(void *p) {
    Job *j = p;
    sae_bf16_gemm_nt(j->a, j->k, j->w + j->n0 * j->k, j->k, j->c + j->n0, j->n, j->m, j->n1 - j->n0, j->k);
    return NULL;
}
static int threads = 2;
static void hand_gemm(const float *a32, uint16_t *a16, const uint16_t *w, float *c, size_t m, size_t n, size_t k) {
    sae_f32_to_bf16_avx512(a32, a16, m * k);  // the activations are fp32 in the model
    pthread_t t[16]; Job jobs[16];
    size_t step = (n / threads + 5) / 6 * 6;
    for (int i = 0; i < threads; i++) {
        size_t n0 = i * step, n1 = i == threads - 1 ? n : (i + 1) * step;
        jobs[i] = (Job){a16, w, c, m, n, k, n0, n1 > n ? n : n1};
        pthread_create(&t[i], NULL, run_job, &jobs[i]);
    }
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
}

int main(int argc, char **argv) {
    if (argc > 1) threads = atoi(argv[1]);
    openblas_set_num_threads(threads);
    if (!sae_bf16_kernel_supported()) { printf("no AVX-512 BF16 on this CPU\n"); return 1; }
    printf("OpenBLAS core: %s; threads %d\n", openblas_get_corename(), threads);
    size_t shapes[][3] = {{512, 1024, 4096}, {512, 1024, 2048}, {512, 1024, 6144}, {512, 3072, 1024},
                          {2048, 1024, 4096}, {2048, 1024, 1024}, {2048, 1024, 6144}, {2048, 3072, 1024}};
    dnnl_engine_t engine; dnnl_engine_create(&engine, dnnl_cpu, 0);
    dnnl_stream_t stream; dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
    printf("%5s %5s %5s | %12s %12s %12s | max|diff| hand vs sgemm\n", "M", "K", "N", "sgemm GF/s", "hand bf16", "oneDNN bf16");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        size_t m = shapes[s][0], k = shapes[s][1], n = shapes[s][2];
        float *a = malloc(m * k * 4), *w32 = malloc(n * k * 4), *c0 = malloc(m * n * 4), *c1 = malloc(m * n * 4), *c2 = malloc(m * n * 4);
        uint16_t *a16 = malloc(m * k * 2), *w16 = malloc(n * k * 2);
        for (size_t i = 0; i < m * k; i++) a[i] = (float)rand() / RAND_MAX - 0.5f;
        for (size_t i = 0; i < n * k; i++) w32[i] = ((float)rand() / RAND_MAX - 0.5f) * 0.05f;
        sae_f32_to_bf16(w32, w16, n * k);
        sae_bf16_to_f32(w16, w32, n * k);  // same weights for all three
        double flops = 2.0 * m * n * k, best[3] = {1e9, 1e9, 1e9};
        // oneDNN: src bf16 [m,k] ab, weights bf16 [k,n] stored as ba (= our [n,k]), dst f32 [m,n].
        dnnl_memory_desc_t sd, wd, dd;
        dnnl_dims_t sdims = {(long)m, (long)k}, wdims = {(long)k, (long)n}, ddims = {(long)m, (long)n};
        dnnl_memory_desc_init_by_tag(&sd, 2, sdims, dnnl_bf16, dnnl_ab);
        dnnl_memory_desc_init_by_tag(&wd, 2, wdims, dnnl_bf16, dnnl_ba);
        dnnl_memory_desc_init_by_tag(&dd, 2, ddims, dnnl_f32, dnnl_ab);
        dnnl_matmul_desc_t md; dnnl_matmul_desc_init(&md, &sd, &wd, NULL, &dd);
        dnnl_primitive_desc_t pd; dnnl_primitive_desc_create(&pd, &md, NULL, engine, NULL);
        const char *impl = NULL; dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
        dnnl_primitive_t prim; dnnl_primitive_create(&prim, pd);
        dnnl_memory_t sm, wm, dm;
        dnnl_memory_create(&sm, &sd, engine, a16); dnnl_memory_create(&wm, &wd, engine, w16); dnnl_memory_create(&dm, &dd, engine, c2);
        dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, sm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, dm}};
        for (int rep = 0; rep < 5; rep++) {
            double t0 = now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, k, w32, k, 0, c0, n);
            double t1 = now();
            hand_gemm(a, a16, w16, c1, m, n, k);
            double t2 = now();
            sae_f32_to_bf16_avx512(a, a16, m * k);
            dnnl_primitive_execute(prim, stream, 3, args); dnnl_stream_wait(stream);
            double t3 = now();
            if (t1 - t0 < best[0]) best[0] = t1 - t0;
            if (t2 - t1 < best[1]) best[1] = t2 - t1;
            if (t3 - t2 < best[2]) best[2] = t3 - t2;
        }
        double diff = 0, diff2 = 0;
        for (size_t i = 0; i < m * n; i++) { diff = fmax(diff, fabs(c0[i] - c1[i])); diff2 = fmax(diff2, fabs(c1[i] - c2[i])); }
        printf("%5zu %5zu %5zu | %12.1f %12.1f %12.1f | %.2e (hand vs oneDNN %.2e) [%s]\n", m, k, n, flops / best[0] / 1e9,
               flops / best[1] / 1e9, flops / best[2] / 1e9, diff, diff2, impl);
        dnnl_primitive_destroy(prim); dnnl_primitive_desc_destroy(pd);
        free(a); free(w32); free(c0); free(c1); free(c2); free(a16); free(w16);
    }
    return 0;
}
