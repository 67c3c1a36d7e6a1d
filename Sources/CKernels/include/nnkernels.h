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

/// Adam on the sum of two gradients, g = g1 + g2, in one pass over memory.
void nn_adam_sum2(float *w, const float *g1, const float *g2, float *m, float *v, size_t n, float alpha, float k1, float k2, float eps);

/// RMSprop without momentum: v = rho * v + (1 - rho) * g * g; w -= lr * g / sqrt(v + eps).
void nn_rmsprop(float *w, const float *g, float *v, size_t n, float lr, float rho, float eps);

/// RMSprop with momentum: v as above; mom = mu * mom + lr * g / sqrt(v + eps); w -= mom.
void nn_rmsprop_momentum(float *w, const float *g, float *v, float *mom, size_t n, float lr, float rho, float mu, float eps);

/// Adagrad: a += g * g; w -= lr * g / sqrt(a + eps).
void nn_adagrad(float *w, const float *g, float *a, size_t n, float lr, float eps);

/// SGD: w -= lr * g.
void nn_sgd(float *w, const float *g, size_t n, float lr);

/// SGD with momentum: m = mu * m - lr * g; w += m, or with Nesterov w += mu * m - lr * g.
void nn_momentum(float *w, const float *g, float *m, size_t n, float lr, float mu, int nesterov);

/// a += b.
void nn_add(float *a, const float *b, size_t n);

/// out[i] = (float)bytes[index[r] * width + j] / divisor for each row r of `rows` rows: gathers
/// rows of a byte matrix into floats (exactly NumPy's x / 255.0 rounded to float32 for 255).
void nn_gather_bytes(float *out, const unsigned char *bytes, const long *index, size_t rows, size_t width, float divisor);

#ifdef __cplusplus
}
#endif

#endif
