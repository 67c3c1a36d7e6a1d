#include "nnkernels.h"

// Keep multiplications and additions separate (no FMA), so the generic and AVX2 paths round
// identically.
#pragma clang fp contract(off)

#define KERNELS(SUFFIX, ATTR)                                                                               \
    ATTR static void adam_##SUFFIX(float *restrict w, const float *restrict g, float *restrict m,          \
                                   float *restrict v, size_t n, float alpha, float k1, float k2, float eps) { \
        for (size_t i = 0; i < n; i++) {                                                                   \
            float gi = g[i];                                                                               \
            float mi = m[i] + (gi - m[i]) * k1;                                                            \
            float vi = v[i] + (gi * gi - v[i]) * k2;                                                       \
            m[i] = mi;                                                                                     \
            v[i] = vi;                                                                                     \
            w[i] = w[i] - alpha * mi / (__builtin_elementwise_sqrt(vi) + eps);                             \
        }                                                                                                  \
    }                                                                                                      \
    ATTR static void adam_sum2_##SUFFIX(float *restrict w, const float *restrict g1, const float *restrict g2, \
                                        float *restrict m, float *restrict v, size_t n, float alpha, float k1, \
                                        float k2, float eps) {                                              \
        for (size_t i = 0; i < n; i++) {                                                                   \
            float gi = g1[i] + g2[i];                                                                      \
            float mi = m[i] + (gi - m[i]) * k1;                                                            \
            float vi = v[i] + (gi * gi - v[i]) * k2;                                                       \
            m[i] = mi;                                                                                     \
            v[i] = vi;                                                                                     \
            w[i] = w[i] - alpha * mi / (__builtin_elementwise_sqrt(vi) + eps);                             \
        }                                                                                                  \
    }                                                                                                      \
    ATTR static void rmsprop_##SUFFIX(float *restrict w, const float *restrict g, float *restrict v,       \
                                      size_t n, float lr, float rho, float eps) {                          \
        for (size_t i = 0; i < n; i++) {                                                                   \
            float gi = g[i];                                                                               \
            float vi = rho * v[i] + (1.0f - rho) * gi * gi;                                                \
            v[i] = vi;                                                                                     \
            w[i] = w[i] - lr * gi / __builtin_elementwise_sqrt(vi + eps);                                  \
        }                                                                                                  \
    }                                                                                                      \
    ATTR static void rmsprop_momentum_##SUFFIX(float *restrict w, const float *restrict g, float *restrict v, \
                                               float *restrict mom, size_t n, float lr, float rho, float mu, \
                                               float eps) {                                                \
        for (size_t i = 0; i < n; i++) {                                                                   \
            float gi = g[i];                                                                               \
            float vi = rho * v[i] + (1.0f - rho) * gi * gi;                                                \
            float mi = mu * mom[i] + lr * gi / __builtin_elementwise_sqrt(vi + eps);                       \
            v[i] = vi;                                                                                     \
            mom[i] = mi;                                                                                   \
            w[i] = w[i] - mi;                                                                              \
        }                                                                                                  \
    }                                                                                                      \
    ATTR static void adagrad_##SUFFIX(float *restrict w, const float *restrict g, float *restrict a,       \
                                      size_t n, float lr, float eps) {                                     \
        for (size_t i = 0; i < n; i++) {                                                                   \
            float gi = g[i];                                                                               \
            float ai = a[i] + gi * gi;                                                                     \
            a[i] = ai;                                                                                     \
            w[i] = w[i] - lr * gi / __builtin_elementwise_sqrt(ai + eps);                                  \
        }                                                                                                  \
    }                                                                                                      \
    ATTR static void sgd_##SUFFIX(float *restrict w, const float *restrict g, size_t n, float lr) {         \
        for (size_t i = 0; i < n; i++) w[i] = w[i] - lr * g[i];                                            \
    }                                                                                                      \
    ATTR static void momentum_##SUFFIX(float *restrict w, const float *restrict g, float *restrict m,       \
                                       size_t n, float lr, float mu, int nesterov) {                       \
        if (nesterov) {                                                                                    \
            for (size_t i = 0; i < n; i++) {                                                               \
                float mi = mu * m[i] - lr * g[i];                                                          \
                m[i] = mi;                                                                                 \
                w[i] = w[i] + (mu * mi - lr * g[i]);                                                       \
            }                                                                                              \
        } else {                                                                                           \
            for (size_t i = 0; i < n; i++) {                                                               \
                float mi = mu * m[i] - lr * g[i];                                                          \
                m[i] = mi;                                                                                 \
                w[i] = w[i] + mi;                                                                          \
            }                                                                                              \
        }                                                                                                  \
    }                                                                                                      \
    ATTR static void add_##SUFFIX(float *restrict a, const float *restrict b, size_t n) {                  \
        for (size_t i = 0; i < n; i++) a[i] = a[i] + b[i];                                                 \
    }                                                                                                      \
    ATTR static void gather_bytes_##SUFFIX(float *restrict out, const unsigned char *restrict bytes,       \
                                           const long *restrict index, size_t rows, size_t width,          \
                                           float divisor) {                                                \
        for (size_t r = 0; r < rows; r++) {                                                                \
            const unsigned char *src = bytes + (size_t)index[r] * width;                                   \
            float *dst = out + r * width;                                                                  \
            for (size_t j = 0; j < width; j++) dst[j] = (float)src[j] / divisor;                           \
        }                                                                                                  \
    }

KERNELS(generic, )

#if defined(__x86_64__)
KERNELS(avx2, __attribute__((target("avx2"))))

static int use_avx2(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return cached;
}
#define DISPATCH(NAME, ...) \
    do { if (use_avx2()) NAME##_avx2(__VA_ARGS__); else NAME##_generic(__VA_ARGS__); } while (0)
#else
#define DISPATCH(NAME, ...) NAME##_generic(__VA_ARGS__)
#endif

void nn_adam(float *w, const float *g, float *m, float *v, size_t n, float alpha, float k1, float k2, float eps) {
    DISPATCH(adam, w, g, m, v, n, alpha, k1, k2, eps);
}

void nn_adam_sum2(float *w, const float *g1, const float *g2, float *m, float *v, size_t n, float alpha, float k1, float k2, float eps) {
    DISPATCH(adam_sum2, w, g1, g2, m, v, n, alpha, k1, k2, eps);
}

void nn_rmsprop(float *w, const float *g, float *v, size_t n, float lr, float rho, float eps) {
    DISPATCH(rmsprop, w, g, v, n, lr, rho, eps);
}

void nn_rmsprop_momentum(float *w, const float *g, float *v, float *mom, size_t n, float lr, float rho, float mu, float eps) {
    DISPATCH(rmsprop_momentum, w, g, v, mom, n, lr, rho, mu, eps);
}

void nn_adagrad(float *w, const float *g, float *a, size_t n, float lr, float eps) {
    DISPATCH(adagrad, w, g, a, n, lr, eps);
}

void nn_sgd(float *w, const float *g, size_t n, float lr) { DISPATCH(sgd, w, g, n, lr); }

void nn_momentum(float *w, const float *g, float *m, size_t n, float lr, float mu, int nesterov) {
    DISPATCH(momentum, w, g, m, n, lr, mu, nesterov);
}

void nn_add(float *a, const float *b, size_t n) { DISPATCH(add, a, b, n); }

void nn_gather_bytes(float *out, const unsigned char *bytes, const long *index, size_t rows, size_t width, float divisor) {
    DISPATCH(gather_bytes, out, bytes, index, rows, width, divisor);
}
