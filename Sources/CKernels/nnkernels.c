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

void nn_rmsprop(float *w, const float *g, float *v, size_t n, float lr, float rho, float eps) {
    DISPATCH(rmsprop, w, g, v, n, lr, rho, eps);
}

void nn_rmsprop_momentum(float *w, const float *g, float *v, float *mom, size_t n, float lr, float rho, float mu, float eps) {
    DISPATCH(rmsprop_momentum, w, g, v, mom, n, lr, rho, mu, eps);
}

void nn_adagrad(float *w, const float *g, float *a, size_t n, float lr, float eps) {
    DISPATCH(adagrad, w, g, a, n, lr, eps);
}
