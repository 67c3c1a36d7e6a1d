#ifndef NNMODEL_KERNELS_H
#define NNMODEL_KERNELS_H

/// Element-wise kernels for nnmodel's hot loops that Swift cannot vectorise: the optimizer
/// updates need square roots, which Swift lowers to libm calls (errno semantics) one element at
/// a time. Each kernel has a generic version and, on x86-64, an AVX2 version chosen once at run
/// time; both perform the same IEEE operations in the same order (no fused multiply-add), so
/// results are identical on every machine.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Adam: m += (g - m) * k1; v += (g * g - v) * k2; w -= alpha * m / (sqrt(v) + eps).
void nn_adam(float *w, const float *g, float *m, float *v, size_t n, float alpha, float k1, float k2, float eps);

/// RMSprop without momentum: v = rho * v + (1 - rho) * g * g; w -= lr * g / sqrt(v + eps).
void nn_rmsprop(float *w, const float *g, float *v, size_t n, float lr, float rho, float eps);

/// RMSprop with momentum: v as above; mom = mu * mom + lr * g / sqrt(v + eps); w -= mom.
void nn_rmsprop_momentum(float *w, const float *g, float *v, float *mom, size_t n, float lr, float rho, float mu, float eps);

/// Adagrad: a += g * g; w -= lr * g / sqrt(a + eps).
void nn_adagrad(float *w, const float *g, float *a, size_t n, float lr, float eps);

#ifdef __cplusplus
}
#endif

#endif
