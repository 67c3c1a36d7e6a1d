/*
 * cnn_ceiling: how fast OpenBLAS runs the matrix products of one training step of the
 * Fashion-MNIST tutorial CNN (`nnmodel train --model cnn`) lowered onto sgemm (im2col), batch B:
 * the ceiling a BLAS-based trainer of this model can reach on this machine.
 *
 * Products per step (row-major; P1 = 26*26 and P2 = 11*11 output positions):
 *   conv1 forward    [B*P1, 9]    . [9, 32]          conv1 kernel gradient  [9, B*P1]    . [B*P1, 32]
 *   conv2 forward    [B*P2, 288]  . [288, 64]        conv2 kernel gradient  [288, B*P2]  . [B*P2, 64]
 *   conv2 input grad [B*P2, 64]   . [64, 288]
 *   dense forward    [B, 1600]    . [1600, 128]      dense kernel gradient  [1600, B]    . [B, 128]
 *   dense input grad [B, 128]     . [128, 1600]
 *   dense_1 forward, kernel and input gradients (128 -> 10)
 * Modes, best of several trials: "1 thread" (openblas_set_num_threads(1)) and "openblas 2"
 * (two threads inside OpenBLAS). Prints one JSON line with the step's flops and GFLOP/s.
 *
 *   cc -O2 -o cnn_ceiling cnn_ceiling.c ../Sources/CKernels/nnblaskernels.c ../Sources/CKernels/nncpu.c -I../Sources/CKernels/include \
 *      $(pkg-config --cflags --libs openblas)
 *   ./cnn_ceiling [batch, default 32] [seconds per trial, default 0.3] [trials, default 5]
 */
#include <cblas.h>
#include "nnblaskernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct { int ta, tb, m, n, k; } Shape;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int b = argc > 1 ? atoi(argv[1]) : 32;
    double seconds = argc > 2 ? atof(argv[2]) : 0.3;
    int trials = argc > 3 ? atoi(argv[3]) : 5;
    if (b < 1 || b > 4096 || seconds <= 0 || trials < 1) { fprintf(stderr, "bad arguments\n"); return 64; }
    int p1 = 26 * 26, p2 = 11 * 11;
    Shape shapes[] = {
        {0, 0, b * p1, 32, 9}, {1, 0, 9, 32, b * p1},
        {0, 0, b * p2, 64, 288}, {1, 0, 288, 64, b * p2}, {0, 1, b * p2, 288, 64},
        {0, 0, b, 128, 1600}, {1, 0, 1600, 128, b}, {0, 1, b, 1600, 128},
        {0, 0, b, 10, 128}, {1, 0, 128, 10, b}, {0, 1, b, 128, 10},
    };
    int count = sizeof shapes / sizeof shapes[0];
    double flops = 0;
    size_t largest = 0;
    for (int i = 0; i < count; i++) {
        Shape s = shapes[i];
        flops += 2.0 * s.m * s.n * s.k;
        size_t sizes[3] = {(size_t)s.m * s.k, (size_t)s.k * s.n, (size_t)s.m * s.n};
        for (int j = 0; j < 3; j++) if (sizes[j] > largest) largest = sizes[j];
    }
    float *a = malloc(largest * 4), *bm = malloc(largest * 4), *c = malloc(largest * 4);
    if (!a || !bm || !c) return 1;
    for (size_t i = 0; i < largest; i++) { a[i] = (float)(i % 7) * 0.1f; bm[i] = (float)(i % 5) * 0.1f; c[i] = 0; }
    const char *selected = nn_blas_select_kernels();  // as nnmodel does before its first product
    printf("{\"openblas_kernels\": \"%s\", \"kernels_reselected\": %s, \"batch\": %d, \"flops_per_step\": %.0f",
           openblas_get_corename(), selected ? "true" : "false", b, flops);
    int threads[2] = {1, 2};
    for (int t = 0; t < 2; t++) {
        openblas_set_num_threads(threads[t]);
        double best = 0;
        for (int trial = 0; trial < trials; trial++) {
            int steps = 0;
            double start = now(), elapsed = 0;
            do {
                for (int i = 0; i < count; i++) {
                    Shape s = shapes[i];
                    cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans,
                                s.m, s.n, s.k, 1.0f, a, s.ta ? s.m : s.k, bm, s.tb ? s.k : s.n, 0.0f, c, s.n);
                }
                steps++;
                elapsed = now() - start;
            } while (elapsed < seconds);
            double rate = flops * steps / elapsed / 1e9;
            if (rate > best) best = rate;
        }
        printf(", \"%s\": %.1f", t == 0 ? "gflops_1_thread" : "gflops_openblas_2", best);
    }
    printf("}\n");
    free(a); free(bm); free(c);
    return 0;
}
