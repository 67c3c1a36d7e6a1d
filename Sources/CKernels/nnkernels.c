#include "nnkernels.h"

// Keep multiplications and additions separate (no FMA), so the generic and AVX2 paths round
// identically.
#pragma clang fp contract(off)

// Each kernel loops over the rows of its block; the inner loop over a row is what vectorises.
#define ROWS(BODY)                                                          \
    for (size_t r = 0; r < rows; r++) {                                     \
        float *restrict w = w0 + r * stride;                                \
        const float *restrict g = g0 + r * stride;                          \
        BODY                                                                \
    }

// Rows of a gather fetched ahead of the one being converted.
enum { GATHER_AHEAD = 4 };

// Asks for the cache lines of `count` bytes at `p`.
static inline void prefetch_span(const unsigned char *p, size_t count) {
    for (size_t k = 0; k < count; k += 64) __builtin_prefetch(p + k);
}

#define KERNELS(SUFFIX, ATTR)                                                                               \
    ATTR static void adam_##SUFFIX(float *w0, const float *g0, float *m0, float *v0, size_t rows,          \
                                   size_t cols, size_t stride, float alpha, float k1, float k2, float eps) { \
        ROWS(float *restrict m = m0 + r * stride; float *restrict v = v0 + r * stride;                     \
             for (size_t i = 0; i < cols; i++) {                                                           \
                 float gi = g[i];                                                                          \
                 float mi = m[i] + (gi - m[i]) * k1;                                                       \
                 float vi = v[i] + (gi * gi - v[i]) * k2;                                                  \
                 m[i] = mi;                                                                                \
                 v[i] = vi;                                                                                \
                 w[i] = w[i] - alpha * mi / (__builtin_elementwise_sqrt(vi) + eps);                        \
             })                                                                                            \
    }                                                                                                      \
    ATTR static void rmsprop_##SUFFIX(float *w0, const float *g0, float *v0, size_t rows, size_t cols,     \
                                      size_t stride, float lr, float rho, float eps) {                     \
        ROWS(float *restrict v = v0 + r * stride;                                                          \
             for (size_t i = 0; i < cols; i++) {                                                           \
                 float gi = g[i];                                                                          \
                 float vi = rho * v[i] + (1.0f - rho) * gi * gi;                                           \
                 v[i] = vi;                                                                                \
                 w[i] = w[i] - lr * gi / __builtin_elementwise_sqrt(vi + eps);                             \
             })                                                                                            \
    }                                                                                                      \
    ATTR static void rmsprop_momentum_##SUFFIX(float *w0, const float *g0, float *v0, float *mom0,         \
                                               size_t rows, size_t cols, size_t stride, float lr, float rho, \
                                               float mu, float eps) {                                      \
        ROWS(float *restrict v = v0 + r * stride; float *restrict mom = mom0 + r * stride;                 \
             for (size_t i = 0; i < cols; i++) {                                                           \
                 float gi = g[i];                                                                          \
                 float vi = rho * v[i] + (1.0f - rho) * gi * gi;                                           \
                 float mi = mu * mom[i] + lr * gi / __builtin_elementwise_sqrt(vi + eps);                  \
                 v[i] = vi;                                                                                \
                 mom[i] = mi;                                                                              \
                 w[i] = w[i] - mi;                                                                         \
             })                                                                                            \
    }                                                                                                      \
    ATTR static void adagrad_##SUFFIX(float *w0, const float *g0, float *a0, size_t rows, size_t cols,     \
                                      size_t stride, float lr, float eps) {                                \
        ROWS(float *restrict a = a0 + r * stride;                                                          \
             for (size_t i = 0; i < cols; i++) {                                                           \
                 float gi = g[i];                                                                          \
                 float ai = a[i] + gi * gi;                                                                \
                 a[i] = ai;                                                                                \
                 w[i] = w[i] - lr * gi / __builtin_elementwise_sqrt(ai + eps);                             \
             })                                                                                            \
    }                                                                                                      \
    ATTR static void sgd_##SUFFIX(float *w0, const float *g0, size_t rows, size_t cols, size_t stride,     \
                                  float lr) {                                                              \
        ROWS(for (size_t i = 0; i < cols; i++) w[i] = w[i] - lr * g[i];)                                   \
    }                                                                                                      \
    ATTR static void momentum_##SUFFIX(float *w0, const float *g0, float *m0, size_t rows, size_t cols,    \
                                       size_t stride, float lr, float mu, int nesterov) {                  \
        ROWS(float *restrict m = m0 + r * stride;                                                          \
             if (nesterov) {                                                                               \
                 for (size_t i = 0; i < cols; i++) {                                                       \
                     float mi = mu * m[i] - lr * g[i];                                                     \
                     m[i] = mi;                                                                            \
                     w[i] = w[i] + (mu * mi - lr * g[i]);                                                  \
                 }                                                                                         \
             } else {                                                                                      \
                 for (size_t i = 0; i < cols; i++) {                                                       \
                     float mi = mu * m[i] - lr * g[i];                                                     \
                     m[i] = mi;                                                                            \
                     w[i] = w[i] + mi;                                                                     \
                 }                                                                                         \
             })                                                                                            \
    }                                                                                                      \
    ATTR static void gather_bytes_##SUFFIX(float *restrict out, const unsigned char *restrict bytes,       \
                                           const long *restrict index, size_t rows, size_t width,          \
                                           size_t first, size_t count, float divisor) {                    \
        /* The rows are scattered: fetch a few ahead while this one converts. */                          \
        for (size_t r = 0; r < rows && r < GATHER_AHEAD; r++) {                                            \
            prefetch_span(bytes + (size_t)index[r] * width + first, count);                                \
        }                                                                                                  \
        for (size_t r = 0; r < rows; r++) {                                                                \
            const unsigned char *src = bytes + (size_t)index[r] * width + first;                           \
            float *dst = out + r * width + first;                                                          \
            if (r + GATHER_AHEAD < rows) {                                                                 \
                prefetch_span(bytes + (size_t)index[r + GATHER_AHEAD] * width + first, count);             \
            }                                                                                              \
            for (size_t j = 0; j < count; j++) dst[j] = (float)src[j] / divisor;                           \
        }                                                                                                  \
    }

KERNELS(generic, )

#if defined(__x86_64__)
KERNELS(avx2, __attribute__((target("avx2"))))

static int use_avx2(void) {
    // Threads may ask at the same time; each computes the same answer.
    static int cached = -1;
    int value = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (value < 0) {
        __builtin_cpu_init();
        value = __builtin_cpu_supports("avx2") ? 1 : 0;
        __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
    }
    return value;
}
#define DISPATCH(NAME, ...) \
    do { if (use_avx2()) NAME##_avx2(__VA_ARGS__); else NAME##_generic(__VA_ARGS__); } while (0)
#else
#define DISPATCH(NAME, ...) NAME##_generic(__VA_ARGS__)
#endif

void nn_adam(float *w, const float *g, float *m, float *v, size_t rows, size_t cols, size_t stride,
             float alpha, float k1, float k2, float eps) {
    DISPATCH(adam, w, g, m, v, rows, cols, stride, alpha, k1, k2, eps);
}

void nn_rmsprop(float *w, const float *g, float *v, size_t rows, size_t cols, size_t stride, float lr, float rho, float eps) {
    DISPATCH(rmsprop, w, g, v, rows, cols, stride, lr, rho, eps);
}

void nn_rmsprop_momentum(float *w, const float *g, float *v, float *mom, size_t rows, size_t cols, size_t stride,
                         float lr, float rho, float mu, float eps) {
    DISPATCH(rmsprop_momentum, w, g, v, mom, rows, cols, stride, lr, rho, mu, eps);
}

void nn_adagrad(float *w, const float *g, float *a, size_t rows, size_t cols, size_t stride, float lr, float eps) {
    DISPATCH(adagrad, w, g, a, rows, cols, stride, lr, eps);
}

void nn_sgd(float *w, const float *g, size_t rows, size_t cols, size_t stride, float lr) {
    DISPATCH(sgd, w, g, rows, cols, stride, lr);
}

void nn_momentum(float *w, const float *g, float *m, size_t rows, size_t cols, size_t stride, float lr, float mu, int nesterov) {
    DISPATCH(momentum, w, g, m, rows, cols, stride, lr, mu, nesterov);
}

void nn_gather_bytes(float *out, const unsigned char *bytes, const long *index, size_t rows, size_t width,
                     size_t first, size_t count, float divisor) {
    DISPATCH(gather_bytes, out, bytes, index, rows, width, first, count, divisor);
}
