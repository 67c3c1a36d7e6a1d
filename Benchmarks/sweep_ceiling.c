/*
 * sweep_ceiling: how fast OpenBLAS runs exactly the matrix products of one training step of an
 * MLP (Dense layers d0 -> d1 -> ... -> dL, batch B), i.e. the floor a BLAS-based trainer of that
 * model reaches on this machine. Used by the shape sweep (sweep.py), one config per invocation.
 *
 * One step is, for every layer l = 1..L (row-major; A[l] is the B x d[l] activation, A[0] the input):
 *   forward          A[l]  = A[l-1] . W[l]         B x d[l-1] . d[l-1] x d[l]
 *   weight gradient  dW[l] = A[l-1]^T . G[l]       (d[l-1] x B)^T . B x d[l]
 *   input gradient   G[l-1] = G[l] . W[l]^T        B x d[l] . (d[l-1] x d[l])^T   (not for l = 1)
 * 2 B (3 sum d[l-1] d[l] - d0 d1) flops per step. Nothing else (bias, activations, loss,
 * optimizer) is timed: this is the products alone.
 *
 * Modes, each the best of several timed trials (a trial: the same step repeated for about the
 * given seconds):
 *   one_thread       openblas_set_num_threads(1), one caller, steps in sequence
 *   openblas_two     openblas_set_num_threads(2), one caller (OpenBLAS splits each product)
 *   two_pthreads     openblas_set_num_threads(1), two threads each running whole steps on its own
 *                    buffers: the throughput two cores reach on these shapes
 * The ceiling is the fastest of the two-core modes.
 * Beside the products, the Adam update of the model's weights and biases (the same arithmetic as
 * nnmodel's: m += (g - m)(1 - b1), v += (g^2 - v)(1 - b2), w -= a m / (sqrt(v) + eps), no FMA),
 * which every step of every trainer also does and the floor leaves out:
 *   adam_one_thread  one thread updating all of them
 *   adam_two         two threads each updating half (no synchronisation between updates)
 * Prints one JSON line with seconds per step.
 *
 *   cc -O2 -o sweep_ceiling sweep_ceiling.c ../Sources/CKernels/nnblaskernels.c ../Sources/CKernels/nncpu.c \
 *      -I../Sources/CKernels/include $(pkg-config --cflags --libs openblas) -lpthread -lm
 *   ./sweep_ceiling BATCH d0,d1,...,dL [seconds per trial, default 0.2] [trials, default 3]
 */
#define _GNU_SOURCE
#include <cblas.h>
#include <immintrin.h>
#include <math.h>
#include "nnblaskernels.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_LAYERS = 64 };

static int B, L, d[MAX_LAYERS + 1];

typedef struct {
    float *a[MAX_LAYERS + 1], *g[MAX_LAYERS + 1], *w[MAX_LAYERS + 1], *dw[MAX_LAYERS + 1];
} Buffers;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float *filled(size_t n, unsigned *seed) {
    float *p = aligned_alloc(64, ((n * sizeof(float)) + 63) / 64 * 64);
    if (!p) { perror("aligned_alloc"); exit(1); }
    for (size_t i = 0; i < n; i++) p[i] = ((float)rand_r(seed) / RAND_MAX - 0.5f) * 0.1f;
    return p;
}

static Buffers make_buffers(unsigned seed) {
    Buffers b;
    memset(&b, 0, sizeof b);
    b.a[0] = filled((size_t)B * d[0], &seed);
    for (int l = 1; l <= L; l++) {
        b.a[l] = filled((size_t)B * d[l], &seed);
        b.g[l] = filled((size_t)B * d[l], &seed);
        b.w[l] = filled((size_t)d[l - 1] * d[l], &seed);
        b.dw[l] = filled((size_t)d[l - 1] * d[l], &seed);
    }
    return b;
}

static void step(Buffers *b) {
    for (int l = 1; l <= L; l++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, d[l], d[l - 1], 1, b->a[l - 1], d[l - 1],
                    b->w[l], d[l], 0, b->a[l], d[l]);
    for (int l = L; l >= 1; l--) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d[l - 1], d[l], B, 1, b->a[l - 1], d[l - 1],
                    b->g[l], d[l], 0, b->dw[l], d[l]);
        if (l > 1)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, d[l - 1], d[l], 1, b->g[l], d[l],
                        b->w[l], d[l], 0, b->g[l - 1], d[l - 1]);
    }
}

static double flops_per_step(void) {
    double f = 0;
    for (int l = 1; l <= L; l++) f += 3.0 * d[l - 1] * d[l];
    return 2.0 * B * (f - (double)d[0] * d[1]);
}

static void run(Buffers *b, long iters) {
    for (long i = 0; i < iters; i++) step(b);
}

/* Steps that take about `seconds` for one caller. */
static long calibrate(Buffers *b, double seconds) {
    long iters = 1;
    for (;;) {
        double t0 = now();
        run(b, iters);
        double dt = now() - t0;
        if (dt > seconds / 8 || iters > (1L << 30)) return (long)(iters * seconds / (dt > 0 ? dt : 1e-9)) + 1;
        iters *= 4;
    }
}

/* Best seconds per step of one caller. */
static double best_single(Buffers *b, double seconds, int trials) {
    long iters = calibrate(b, seconds);
    double best = 1e300;
    for (int t = 0; t < trials; t++) {
        double t0 = now();
        run(b, iters);
        double s = (now() - t0) / iters;
        if (s < best) best = s;
    }
    return best;
}

typedef struct {
    Buffers b;
    long iters;
    pthread_barrier_t *barrier;
    double start, end;
} Worker;

static void *worker_main(void *arg) {
    Worker *w = arg;
    pthread_barrier_wait(w->barrier);
    w->start = now();
    run(&w->b, w->iters);
    w->end = now();
    return NULL;
}

/* Best seconds per step of two threads each running whole steps (total time / total steps). */
static double best_pthreads(Buffers *first, double seconds, int trials) {
    Worker w[2];
    pthread_barrier_t barrier;
    w[0].b = *first;
    w[1].b = make_buffers(101);
    for (int i = 0; i < 2; i++) w[i].barrier = &barrier;
    long iters = calibrate(&w[0].b, seconds);
    double best = 1e300;
    for (int t = 0; t < trials; t++) {
        pthread_t th[2];
        pthread_barrier_init(&barrier, NULL, 2);
        for (int i = 0; i < 2; i++) {
            w[i].iters = iters;
            pthread_create(&th[i], NULL, worker_main, &w[i]);
        }
        for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
        pthread_barrier_destroy(&barrier);
        double start = w[0].start < w[1].start ? w[0].start : w[1].start;
        double end = w[0].end > w[1].end ? w[0].end : w[1].end;
        double s = (end - start) / (2.0 * iters);
        if (s < best) best = s;
    }
    return best;
}

/* One Adam update of n values (AVX2 where the CPU has it, as nnmodel's kernel). */
__attribute__((target("avx2"))) static void adam_avx2(float *w, const float *g, float *m, float *v, size_t n) {
    const __m256 k1 = _mm256_set1_ps(0.1f), k2 = _mm256_set1_ps(0.001f), a = _mm256_set1_ps(0.001f),
                 eps = _mm256_set1_ps(1e-7f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i), mi = _mm256_loadu_ps(m + i), vi = _mm256_loadu_ps(v + i);
        mi = _mm256_add_ps(mi, _mm256_mul_ps(_mm256_sub_ps(gi, mi), k1));
        vi = _mm256_add_ps(vi, _mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(gi, gi), vi), k2));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        __m256 step = _mm256_div_ps(_mm256_mul_ps(a, mi), _mm256_add_ps(_mm256_sqrt_ps(vi), eps));
        _mm256_storeu_ps(w + i, _mm256_sub_ps(_mm256_loadu_ps(w + i), step));
    }
    for (; i < n; i++) {
        m[i] += (g[i] - m[i]) * 0.1f;
        v[i] += (g[i] * g[i] - v[i]) * 0.001f;
        w[i] -= 0.001f * m[i] / (sqrtf(v[i]) + 1e-7f);
    }
}

static void adam(float *w, const float *g, float *m, float *v, size_t n) {
    if (__builtin_cpu_supports("avx2")) { adam_avx2(w, g, m, v, n); return; }
    for (size_t i = 0; i < n; i++) {
        m[i] += (g[i] - m[i]) * 0.1f;
        v[i] += (g[i] * g[i] - v[i]) * 0.001f;
        w[i] -= 0.001f * m[i] / (sqrtf(v[i]) + 1e-7f);
    }
}

typedef struct {
    float *w, *g, *m, *v;
    size_t n;
    long iters;
    pthread_barrier_t *barrier;
    double start, end;
} AdamWorker;

static void *adam_main(void *arg) {
    AdamWorker *a = arg;
    if (a->barrier) pthread_barrier_wait(a->barrier);
    a->start = now();
    for (long i = 0; i < a->iters; i++) adam(a->w, a->g, a->m, a->v, a->n);
    a->end = now();
    return NULL;
}

/* Best seconds per Adam update of all `n` parameters, by one thread or split between two. */
static double best_adam(size_t n, int threads, double seconds, int trials) {
    unsigned seed = 7;
    float *w = filled(n, &seed), *g = filled(n, &seed), *m = filled(n, &seed), *v = filled(n, &seed);
    for (size_t i = 0; i < n; i++) v[i] = v[i] * v[i];
    AdamWorker whole = {w, g, m, v, n, 1, NULL, 0, 0};
    for (;;) {  // calibrate on one thread
        adam_main(&whole);
        double dt = whole.end - whole.start;
        if (dt > seconds / 8 || whole.iters > (1L << 30)) {
            whole.iters = (long)(whole.iters * seconds / (dt > 0 ? dt : 1e-9)) + 1;
            break;
        }
        whole.iters *= 4;
    }
    double best = 1e300;
    for (int t = 0; t < trials; t++) {
        AdamWorker part[2];
        pthread_barrier_t barrier;
        size_t half = n / 2 / 16 * 16;
        pthread_barrier_init(&barrier, NULL, (unsigned)threads);
        pthread_t th[2];
        for (int i = 0; i < threads; i++) {
            size_t first = threads == 1 ? 0 : (i == 0 ? 0 : half), count = threads == 1 ? n : (i == 0 ? half : n - half);
            part[i] = (AdamWorker){w + first, g + first, m + first, v + first, count, whole.iters, &barrier, 0, 0};
            pthread_create(&th[i], NULL, adam_main, &part[i]);
        }
        double start = 1e300, end = 0;
        for (int i = 0; i < threads; i++) {
            pthread_join(th[i], NULL);
            if (part[i].start < start) start = part[i].start;
            if (part[i].end > end) end = part[i].end;
        }
        pthread_barrier_destroy(&barrier);
        double s = (end - start) / whole.iters;
        if (s < best) best = s;
    }
    free(w); free(g); free(m); free(v);
    return best;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: sweep_ceiling BATCH d0,d1,...,dL [seconds per trial] [trials]\n");
        return 64;
    }
    B = atoi(argv[1]);
    L = 0;
    for (char *p = argv[2]; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v <= 0 || L > MAX_LAYERS) { fprintf(stderr, "sweep_ceiling: bad layer list %s\n", argv[2]); return 64; }
        d[L++] = (int)v;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') { fprintf(stderr, "sweep_ceiling: bad layer list %s\n", argv[2]); return 64; }
    }
    L -= 1;
    double seconds = argc > 3 ? atof(argv[3]) : 0.2;
    int trials = argc > 4 ? atoi(argv[4]) : 3;
    if (B < 1 || L < 1 || seconds <= 0 || trials < 1) {
        fprintf(stderr, "usage: sweep_ceiling BATCH d0,d1,...,dL [seconds per trial] [trials]\n");
        return 64;
    }
    const char *selected = nn_blas_select_kernels();  // as nnmodel does before its first product
    Buffers b = make_buffers(1);

    openblas_set_num_threads(1);
    double one = best_single(&b, seconds, trials);
    openblas_set_num_threads(2);
    double ob2 = best_single(&b, seconds, trials);
    openblas_set_num_threads(1);
    double pt2 = best_pthreads(&b, seconds, trials);
    double two = ob2 < pt2 ? ob2 : pt2;
    size_t parameters = 0;
    for (int l = 1; l <= L; l++) parameters += (size_t)d[l - 1] * d[l] + d[l];
    double adam1 = best_adam(parameters, 1, seconds, trials), adam2 = best_adam(parameters, 2, seconds, trials);
    printf("{\"batch\": %d, \"layers\": \"%s\", \"flops_per_step\": %.0f, \"openblas_kernels\": \"%s\", "
           "\"kernels_reselected\": %s, \"one_thread\": %.9g, \"openblas_two\": %.9g, \"two_pthreads\": %.9g, "
           "\"two_cores_best\": %.9g, \"parameters\": %zu, \"adam_one_thread\": %.9g, \"adam_two\": %.9g}\n",
           B, argv[2], flops_per_step(), openblas_get_corename(), selected ? "true" : "false", one, ob2, pt2, two,
           parameters, adam1, adam2);
    return 0;
}
