/*
 * sgemm_ceiling: how fast OpenBLAS runs the matrix products of one training step of the
 * Fashion-MNIST seed job (batch 32, Dense 784->128 then 128->10), i.e. the ceiling a
 * BLAS-based trainer of this model can reach on this machine.
 *
 * One step is five sgemm calls (row-major; B = 32, IN = 784, HID = 128, OUT = 10):
 *   fwd1  H   = X   . W1     32x784 . 784x128
 *   fwd2  Y   = H   . W2     32x128 . 128x10
 *   dW2   dW2 = H^T . dY     128x32 . 32x10    (transposed A)
 *   dH    dH  = dY  . W2^T   32x10  . 10x128   (transposed B)
 *   dW1   dW1 = X^T . dH     784x32 . 32x128   (transposed A)
 * 2*32*409088 = 13,090,816 flops per step, the count the benchmark uses for nnmodel.
 *
 * Modes, each the best of several timed trials:
 *   1 thread          openblas_set_num_threads(1), one caller
 *   openblas 2        openblas_set_num_threads(2), one caller (OpenBLAS splits each call)
 *   2 pthreads        openblas_set_num_threads(1), two threads each running steps on its own buffers
 *   2 processes       the same with two forked processes
 * Each mode also reports every shape alone (1-caller modes). Prints one JSON line.
 *
 *   cc -O2 -o sgemm_ceiling sgemm_ceiling.c $(pkg-config --cflags --libs openblas) -lpthread
 *   ./sgemm_ceiling [seconds per trial, default 0.25] [trials, default 7]
 */
#define _GNU_SOURCE
#include <cblas.h>
#include "nnblaskernels.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { B = 32, IN = 784, HID = 128, OUT = 10, SHAPES = 5 };

static const char *shape_names[SHAPES] = {"fwd1 32x784.784x128", "fwd2 32x128.128x10",
                                          "dW2 (128x32)T.32x10", "dH 32x10.(10x128)T",
                                          "dW1 (784x32)T.32x128"};
static const double shape_flops[SHAPES] = {2.0 * B * IN * HID, 2.0 * B * HID * OUT, 2.0 * HID * B * OUT,
                                           2.0 * B * OUT * HID, 2.0 * IN * B * HID};

typedef struct {
    float *x, *w1, *h, *w2, *y, *dy, *dh, *dw1, *dw2;
} Buffers;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float *filled(size_t n, unsigned *seed) {
    float *p = aligned_alloc(64, ((n * sizeof(float)) + 63) / 64 * 64);
    if (!p) { perror("aligned_alloc"); exit(1); }
    for (size_t i = 0; i < n; i++) p[i] = (float)rand_r(seed) / RAND_MAX - 0.5f;
    return p;
}

static Buffers make_buffers(unsigned seed) {
    Buffers b;
    b.x = filled((size_t)B * IN, &seed);
    b.w1 = filled((size_t)IN * HID, &seed);
    b.h = filled((size_t)B * HID, &seed);
    b.w2 = filled((size_t)HID * OUT, &seed);
    b.y = filled((size_t)B * OUT, &seed);
    b.dy = filled((size_t)B * OUT, &seed);
    b.dh = filled((size_t)B * HID, &seed);
    b.dw1 = filled((size_t)IN * HID, &seed);
    b.dw2 = filled((size_t)HID * OUT, &seed);
    return b;
}

static void run_shape(Buffers *b, int s) {
    switch (s) {
    case 0: cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, HID, IN, 1, b->x, IN, b->w1, HID, 0, b->h, HID); break;
    case 1: cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, OUT, HID, 1, b->h, HID, b->w2, OUT, 0, b->y, OUT); break;
    case 2: cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, HID, OUT, B, 1, b->h, HID, b->dy, OUT, 0, b->dw2, OUT); break;
    case 3: cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, HID, OUT, 1, b->dy, OUT, b->w2, OUT, 0, b->dh, HID); break;
    case 4: cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, IN, HID, B, 1, b->x, IN, b->dh, HID, 0, b->dw1, HID); break;
    }
}

/* shape < 0: the whole step (all five calls). */
static void run(Buffers *b, int shape, long iters) {
    for (long i = 0; i < iters; i++) {
        if (shape >= 0) run_shape(b, shape);
        else for (int s = 0; s < SHAPES; s++) run_shape(b, s);
    }
}

static double flops_of(int shape) {
    if (shape >= 0) return shape_flops[shape];
    double f = 0;
    for (int s = 0; s < SHAPES; s++) f += shape_flops[s];
    return f;
}

/* Iterations that take about `seconds` for one caller. */
static long calibrate(Buffers *b, int shape, double seconds) {
    long iters = 1;
    for (;;) {
        double t0 = now();
        run(b, shape, iters);
        double dt = now() - t0;
        if (dt > seconds / 8 || iters > (1L << 30)) return (long)(iters * seconds / (dt > 0 ? dt : 1e-9)) + 1;
        iters *= 4;
    }
}

static double best_single(Buffers *b, int shape, double seconds, int trials) {
    long iters = calibrate(b, shape, seconds);
    double best = 0;
    for (int t = 0; t < trials; t++) {
        double t0 = now();
        run(b, shape, iters);
        double g = flops_of(shape) * iters / (now() - t0) / 1e9;
        if (g > best) best = g;
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
    run(&w->b, -1, w->iters);
    w->end = now();
    return NULL;
}

static double best_pthreads(int n, double seconds, int trials) {
    Worker w[8];
    pthread_barrier_t barrier;
    for (int i = 0; i < n; i++) {
        w[i].b = make_buffers(100 + i);
        w[i].barrier = &barrier;
    }
    long iters = calibrate(&w[0].b, -1, seconds);
    double best = 0;
    for (int t = 0; t < trials; t++) {
        pthread_t th[8];
        pthread_barrier_init(&barrier, NULL, n);
        for (int i = 0; i < n; i++) {
            w[i].iters = iters;
            pthread_create(&th[i], NULL, worker_main, &w[i]);
        }
        for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
        pthread_barrier_destroy(&barrier);
        double start = w[0].start, end = w[0].end;
        for (int i = 1; i < n; i++) {
            if (w[i].start < start) start = w[i].start;
            if (w[i].end > end) end = w[i].end;
        }
        double g = n * flops_of(-1) * iters / (end - start) / 1e9;
        if (g > best) best = g;
    }
    return best;
}

/* n forked processes, each one caller; CLOCK_MONOTONIC is system-wide, so the
 * parent combines the children's start and end times. */
static double best_processes(int n, double seconds, int trials) {
    Buffers probe = make_buffers(7);
    long iters = calibrate(&probe, -1, seconds);
    double best = 0;
    for (int t = 0; t < trials; t++) {
        int go[2], done[2];
        if (pipe(go) || pipe(done)) { perror("pipe"); exit(1); }
        pid_t pids[8];
        for (int i = 0; i < n; i++) {
            pids[i] = fork();
            if (pids[i] < 0) { perror("fork"); exit(1); }
            if (pids[i] == 0) {
                close(go[1]);
                close(done[0]);
                Buffers b = make_buffers(200 + i);
                run(&b, -1, 2); /* warm */
                char c;
                if (read(go[0], &c, 1) != 1) _exit(1);
                double times[2];
                times[0] = now();
                run(&b, -1, iters);
                times[1] = now();
                if (write(done[1], times, sizeof times) != sizeof times) _exit(1);
                _exit(0);
            }
        }
        close(go[0]);
        close(done[1]);
        usleep(50000); /* let the children set up */
        char release[8] = {0};
        if (write(go[1], release, n) != n) { perror("write"); exit(1); }
        double start = 1e300, end = 0;
        for (int i = 0; i < n; i++) {
            double times[2];
            if (read(done[0], times, sizeof times) != sizeof times) { fprintf(stderr, "child failed\n"); exit(1); }
            if (times[0] < start) start = times[0];
            if (times[1] > end) end = times[1];
        }
        for (int i = 0; i < n; i++) waitpid(pids[i], NULL, 0);
        close(go[1]);
        close(done[0]);
        double g = n * flops_of(-1) * iters / (end - start) / 1e9;
        if (g > best) best = g;
    }
    return best;
}

static void print_shapes(Buffers *b, double seconds, int trials) {
    printf("{");
    for (int s = 0; s < SHAPES; s++)
        printf("%s\"%s\": %.3f", s ? ", " : "", shape_names[s], best_single(b, s, seconds, trials));
    printf("}");
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 0.25;
    int trials = argc > 2 ? atoi(argv[2]) : 7;
    if (seconds <= 0 || trials < 1) {
        fprintf(stderr, "usage: sgemm_ceiling [seconds per trial] [trials]\n");
        return 64;
    }
    const char *selected = nn_blas_select_kernels();  // as nnmodel does before its first product
    Buffers b = make_buffers(1);

    printf("{\"openblas_kernels\": \"%s\", \"kernels_reselected\": %s, ", openblas_get_corename(), selected ? "true" : "false");
    printf("\"flops_per_step\": %.0f, \"batch\": %d, \"seconds_per_trial\": %g, \"trials\": %d, ",
           flops_of(-1), B, seconds, trials);
    printf("\"openblas_config\": \"%s\", \"openblas_cores\": %d, ", openblas_get_config(), openblas_get_num_procs());

    openblas_set_num_threads(1);
    double one = best_single(&b, -1, seconds, trials);
    printf("\"one_thread\": %.3f, \"one_thread_shapes\": ", one);
    print_shapes(&b, seconds, trials);

    openblas_set_num_threads(2);
    double ob2 = best_single(&b, -1, seconds, trials);
    printf(", \"openblas_two_threads\": %.3f, \"openblas_two_threads_shapes\": ", ob2);
    print_shapes(&b, seconds, trials);

    openblas_set_num_threads(1);
    double pt2 = best_pthreads(2, seconds, trials);
    fflush(stdout);
    double pr2 = best_processes(2, seconds, trials);
    double two = ob2 > pt2 ? ob2 : pt2;
    if (pr2 > two) two = pr2;
    printf(", \"two_pthreads\": %.3f, \"two_processes\": %.3f, \"two_cores_best\": %.3f}\n", pt2, pr2, two);
    return 0;
}
