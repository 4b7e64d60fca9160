// Microbenchmark of the candidate GEMM kernels on real model linear shapes (Qwen3-0.6B, GPT-2 small with its
// 50257-wide head, Gemma-2-2B), side by side in one process: OpenBLAS sgemm (fp32, the baseline), oneDNN's fp32
// matmul, the hand-written AVX-512 BF16 kernel (Sources/CBF16Gemm) and oneDNN's bf16 matmul (bf16 source and
// weights, fp32 output). All compute C[m, n] = A[m, k] . W[n, k]^T with W in PyTorch's [n, k] layout, used in place
// (oneDNN's `ba` weights tag), A fp32 (the bf16 kernels round it to bf16 inside the timed region, as linear() does).
// oneDNN's primitives are created outside the timed region (creation is timed separately: linear() caches them).
// Usage: gemm_kernels THREADS [sgemm-only]; built and run by gemm-kernels.sh.
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
void omp_set_num_threads(int);

// With one thread every kernel runs on the calling thread, so its CPU time is the measure: it does not count the
// time other processes held the core (the benchmark machine is shared). With more threads: wall time.
static int threads = 2;
static double now(void) {
    struct timespec t;
    clock_gettime(threads == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct { const uint16_t *a, *w; float *c; size_t m, n, k, n0, n1; } Job;
static void *run_job(void *p) {
    Job *j = p;
    sae_bf16_gemm_nt(j->a, j->k, j->w + j->n0 * j->k, j->k, j->c + j->n0, j->n, j->m, j->n1 - j->n0, j->k);
    return NULL;
}
static void hand_gemm(const float *a32, uint16_t *a16, const uint16_t *w, float *c, size_t m, size_t n, size_t k) {
    sae_f32_to_bf16_avx512(a32, a16, m * k);
    if (threads == 1) {
        sae_bf16_gemm_nt(a16, k, w, k, c, n, m, n, k);
        return;
    }
    pthread_t t[16]; Job jobs[16];
    size_t step = (n / threads + 5) / 6 * 6;
    for (int i = 0; i < threads; i++) {
        size_t n0 = i * step, n1 = i == threads - 1 ? n : (i + 1) * step;
        jobs[i] = (Job){a16, w, c, m, n, k, n0, n1 > n ? n : n1};
        pthread_create(&t[i], NULL, run_job, &jobs[i]);
    }
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
}

typedef struct { dnnl_primitive_t prim; dnnl_memory_t src, wei, dst; const char *impl; double create_ms; } Matmul;

// A oneDNN matmul of src [m, k] (`type`), weights [k, n] stored as [n, k] (`type`), dst fp32 [m, n].
static Matmul matmul(dnnl_engine_t engine, dnnl_data_type_t type, size_t m, size_t n, size_t k, void *a, void *w, float *c) {
    Matmul r;
    double t0 = now();
    dnnl_memory_desc_t sd, wd, dd;
    dnnl_dims_t sdims = {(long)m, (long)k}, wdims = {(long)k, (long)n}, ddims = {(long)m, (long)n};
    dnnl_memory_desc_init_by_tag(&sd, 2, sdims, type, dnnl_ab);
    dnnl_memory_desc_init_by_tag(&wd, 2, wdims, type, dnnl_ba);
    dnnl_memory_desc_init_by_tag(&dd, 2, ddims, dnnl_f32, dnnl_ab);
    dnnl_matmul_desc_t md; dnnl_matmul_desc_init(&md, &sd, &wd, NULL, &dd);
    dnnl_primitive_desc_t pd;
    if (dnnl_primitive_desc_create(&pd, &md, NULL, engine, NULL) != dnnl_success) { fprintf(stderr, "no matmul\n"); exit(1); }
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &r.impl);
    dnnl_primitive_create(&r.prim, pd);
    r.create_ms = (now() - t0) * 1e3;
    dnnl_memory_create(&r.src, &sd, engine, a); dnnl_memory_create(&r.wei, &wd, engine, w); dnnl_memory_create(&r.dst, &dd, engine, c);
    return r;
}
static void run_matmul(Matmul *mm, dnnl_stream_t stream) {
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, mm->src}, {DNNL_ARG_WEIGHTS, mm->wei}, {DNNL_ARG_DST, mm->dst}};
    dnnl_primitive_execute(mm->prim, stream, 3, args);
    dnnl_stream_wait(stream);
}

static double max_rel_diff(const float *x, const float *ref, size_t count) {
    double diff = 0, scale = 0;
    for (size_t i = 0; i < count; i++) { diff = fmax(diff, fabs(x[i] - ref[i])); scale = fmax(scale, fabs(ref[i])); }
    return diff / scale;
}

int main(int argc, char **argv) {
    if (argc > 1) threads = atoi(argv[1]);
    int sgemm_only = argc > 2 && !strcmp(argv[2], "sgemm-only");
    openblas_set_num_threads(threads);
    omp_set_num_threads(threads);
    if (!sae_bf16_kernel_supported()) { printf("no AVX-512 BF16 on this CPU\n"); return 1; }
    struct { const char *model, *name; size_t k, n; } shapes[] = {
        {"qwen3-0.6b", "qkv", 1024, 4096}, {"qwen3-0.6b", "o", 2048, 1024}, {"qwen3-0.6b", "gate|up", 1024, 6144},
        {"qwen3-0.6b", "down", 3072, 1024},
        {"gpt2-small", "c_attn", 768, 2304}, {"gpt2-small", "c_proj", 768, 768}, {"gpt2-small", "c_fc", 768, 3072},
        {"gpt2-small", "mlp.c_proj", 3072, 768}, {"gpt2-small", "lm_head", 768, 50257},
        {"gemma2-2b", "qkv", 2304, 4096}, {"gemma2-2b", "o", 2048, 2304}, {"gemma2-2b", "gate|up", 2304, 18432},
        {"gemma2-2b", "down", 9216, 2304},
    };
    size_t ms[] = {64, 512};
    dnnl_engine_t engine; dnnl_engine_create(&engine, dnnl_cpu, 0);
    dnnl_stream_t stream; dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
    if (sgemm_only) {
        printf("pinned: %-12s\n%-20s\n", openblas_get_corename(), "sgemm pinned");
    } else {
        const dnnl_version_t *v = dnnl_version();
        printf("threads %d (%s); OpenBLAS core %s; oneDNN %d.%d.%d (cpu runtime %s, effective ISA mask 0x%x)\n", threads,
               threads == 1 ? "thread CPU time" : "wall time", openblas_get_corename(), v->major, v->minor, v->patch, v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other",
               (unsigned)dnnl_get_effective_cpu_isa());
        printf("%-10s %-10s %4s %5s %6s | %9s %9s %9s %9s | %s\n", "model", "linear", "m", "k", "n", "sgemm", "dnnl f32",
               "ours bf16", "dnnl bf16", "GFLOP/s (best of 5, 3 above 20 GFLOP); dnnl create ms f32/bf16; max rel diff vs sgemm f32/ours/dnnl-bf16; impls");
    }
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++) {
            size_t m = ms[mi], k = shapes[s].k, n = shapes[s].n;
            float *a = malloc(m * k * 4), *w32 = malloc(n * k * 4), *c[4];
            for (int i = 0; i < 4; i++) c[i] = malloc(m * n * 4);
            uint16_t *a16 = malloc(m * k * 2), *w16 = malloc(n * k * 2);
            srand(s * 7 + mi);
            for (size_t i = 0; i < m * k; i++) a[i] = (float)rand() / (float)RAND_MAX - 0.5f;
            for (size_t i = 0; i < n * k; i++) w32[i] = ((float)rand() / (float)RAND_MAX - 0.5f) * 0.05f;
            sae_f32_to_bf16(w32, w16, n * k);
            sae_bf16_to_f32(w16, w32, n * k);  // the same weight values for every kernel
            double flops = 2.0 * m * n * k, best[4] = {1e9, 1e9, 1e9, 1e9};
            int reps = flops > 2e10 ? 3 : 5;
            if (sgemm_only) {
                for (int rep = 0; rep < reps; rep++) {
                    double t0 = now();
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, k, w32, k, 0, c[0], n);
                    best[0] = fmin(best[0], now() - t0);
                }
                printf("%20.1f\n", flops / best[0] / 1e9);
            } else {
                Matmul f32 = matmul(engine, dnnl_f32, m, n, k, a, w32, c[1]);
                Matmul b16 = matmul(engine, dnnl_bf16, m, n, k, a16, w16, c[3]);
                for (int rep = 0; rep < reps; rep++) {
                    double t0 = now();
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, k, w32, k, 0, c[0], n);
                    double t1 = now();
                    run_matmul(&f32, stream);
                    double t2 = now();
                    hand_gemm(a, a16, w16, c[2], m, n, k);
                    double t3 = now();
                    sae_f32_to_bf16_avx512(a, a16, m * k);
                    run_matmul(&b16, stream);
                    double t4 = now();
                    double t[] = {t1 - t0, t2 - t1, t3 - t2, t4 - t3};
                    for (int i = 0; i < 4; i++) best[i] = fmin(best[i], t[i]);
                }
                printf("%-10s %-10s %4zu %5zu %6zu | %9.1f %9.1f %9.1f %9.1f | %.1f/%.1f; %.1e/%.1e/%.1e; %s, %s\n",
                       shapes[s].model, shapes[s].name, m, k, n, flops / best[0] / 1e9, flops / best[1] / 1e9,
                       flops / best[2] / 1e9, flops / best[3] / 1e9, f32.create_ms, b16.create_ms,
                       max_rel_diff(c[1], c[0], m * n), max_rel_diff(c[2], c[0], m * n), max_rel_diff(c[3], c[0], m * n),
                       f32.impl, b16.impl);
                dnnl_primitive_destroy(f32.prim); dnnl_primitive_destroy(b16.prim);
            }
            fflush(stdout);
            free(a); free(w32); free(a16); free(w16);
            for (int i = 0; i < 4; i++) free(c[i]);
        }
    }
    return 0;
}
