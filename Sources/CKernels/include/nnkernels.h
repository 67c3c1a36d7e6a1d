#ifndef NNMODEL_KERNELS_H
#define NNMODEL_KERNELS_H

/// Element-wise kernels for nnmodel's hot loops that Swift cannot vectorise: the optimizer
/// updates need square roots, which Swift lowers to libm calls (errno semantics) one element at
/// a time. Each kernel has a generic version and, on x86-64, an AVX2 version chosen once at run
/// time; both perform the same IEEE operations in the same order (no fused multiply-add), so
/// results are identical on every machine.
///
/// The optimizer kernels update a block of `rows` rows of `cols` elements, consecutive rows
/// `stride` elements apart (a column slice of a row-major matrix; `rows = 1` for a plain run).
/// All pointers point at the block's first element, and the arrays share the same layout.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Adam: m += (g - m) * k1; v += (g * g - v) * k2; w -= alpha * m / (sqrt(v) + eps).
void nn_adam(float *w, const float *g, float *m, float *v, size_t rows, size_t cols, size_t stride,
             float alpha, float k1, float k2, float eps);

/// RMSprop without momentum: v = rho * v + (1 - rho) * g * g; w -= lr * g / sqrt(v + eps).
void nn_rmsprop(float *w, const float *g, float *v, size_t rows, size_t cols, size_t stride, float lr, float rho, float eps);

/// RMSprop with momentum: v as above; mom = mu * mom + lr * g / sqrt(v + eps); w -= mom.
void nn_rmsprop_momentum(float *w, const float *g, float *v, float *mom, size_t rows, size_t cols, size_t stride,
                         float lr, float rho, float mu, float eps);

/// Adagrad: a += g * g; w -= lr * g / sqrt(a + eps).
void nn_adagrad(float *w, const float *g, float *a, size_t rows, size_t cols, size_t stride, float lr, float eps);

/// SGD: w -= lr * g.
void nn_sgd(float *w, const float *g, size_t rows, size_t cols, size_t stride, float lr);

/// SGD with momentum: m = mu * m - lr * g; w += m, or with Nesterov w += mu * m - lr * g.
void nn_momentum(float *w, const float *g, float *m, size_t rows, size_t cols, size_t stride, float lr, float mu, int nesterov);

/// out[r * width + j] = (float)bytes[index[r] * width + j] / divisor for each of `rows` rows:
/// gathers rows of a byte matrix into floats (for 255 exactly NumPy's x / 255.0 rounded to float32).
/// Only columns first..<first+count of each row are gathered (into the same columns of `out`).
void nn_gather_bytes(float *out, const unsigned char *bytes, const long *index, size_t rows, size_t width,
                     size_t first, size_t count, float divisor);

/// Max pooling: for each of `count` channels, `out[k] = v[k]` where `v[k]` is larger or the
/// first NaN (a NaN already in `out` stays), and then `index[k] = base + k`. Branch-free, so
/// that it vectorises. Used with `index` NULL at inference.
void nn_max_accumulate(const float *v, float *out, int *index, int base, size_t count);

#ifdef __cplusplus
}
#endif

#endif
