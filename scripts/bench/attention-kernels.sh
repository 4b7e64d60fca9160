#!/usr/bin/env bash
# Attention's row kernels (Sources/CVectorMath: sae_vm_attention_scores and sae_vm_attention_values) in isolation, on
# one thread: one head (head_dim 128) of one sequence of each length, as causalAttention runs it (64-row blocks, the
# causal band only), in the instruction set the library picks here. Prints µs per head and GFLOP/s of the causal
# products (2·L²/2·128 multiply-adds each, counted once).
# Usage: scripts/bench/attention-kernels.sh [LENGTHS=37,75,138,512,954]
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/attention.c" <<'C'
#include "vector_math.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(int argc, char **argv) {
    int length = atoi(argv[1]), dim = 128, blockRows = 64;
    int stride = (length + 15) / 16 * 16 + 16, reps = 20 + 4000000 / (length * length);
    float *q = malloc(sizeof(float) * blockRows * dim), *kt = malloc(sizeof(float) * dim * stride);
    float *v = malloc(sizeof(float) * length * dim), *scores = malloc(sizeof(float) * blockRows * length);
    float *out = malloc(sizeof(float) * length * dim);
    for (int i = 0; i < blockRows * dim; i++) q[i] = (i % 13) * 0.01f;
    for (int i = 0; i < dim * stride; i++) kt[i] = (i % 7) * 0.01f;
    for (int i = 0; i < length * dim; i++) v[i] = (i % 5) * 0.01f;
    for (int i = 0; i < blockRows * length; i++) scores[i] = 1.0f / length;
    double seconds[2] = {0, 0};
    for (int r = 0; r < reps; r++) {
        for (int start = 0; start < length; start += blockRows) {
            int rows = length - start < blockRows ? length - start : blockRows, keys = start + rows;
            double t0 = now();
            sae_vm_attention_scores(q, dim, rows, kt, stride, dim, keys, start, 0.1f, scores, keys);
            double t1 = now();
            sae_vm_attention_values(scores, keys, rows, keys, start, v, dim, dim, out + start * dim, dim);
            seconds[0] += t1 - t0;
            seconds[1] += now() - t1;
        }
    }
    double flop = (double)length * length * dim * reps;  // causal half of 2·L²·dim, per product
    printf("%s, L=%4d: %8.1f µs per head (scores %.1f, values %.1f); %.0f / %.0f GFLOP/s\n", sae_vm_isa(), length,
           (seconds[0] + seconds[1]) / reps * 1e6, seconds[0] / reps * 1e6, seconds[1] / reps * 1e6,
           flop / seconds[0] / 1e9, flop / seconds[1] / 1e9);
    return 0;
}
C
# The flags SwiftPM's release build gives C targets.
clang -O2 -fno-omit-frame-pointer -ISources/CVectorMath/include -o "$work/attention" "$work/attention.c" \
    Sources/CVectorMath/vector_math.c -lm -lpthread
IFS=, read -r -a LENGTHS <<< "${1:-37,75,138,512,954}"
for length in "${LENGTHS[@]}"; do "$work/attention" "$length"; done
