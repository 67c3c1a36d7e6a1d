#ifndef NN_DENSE_H
#define NN_DENSE_H

#include <stddef.h>

/// Whether nn_dense_forward can run on this CPU (AVX-512 F with the OS saving its registers).
int nn_dense_forward_supported(void);

/// The forward product of a Dense layer for inference, without a BLAS library:
/// `out[r * ldo + j] = bias[j] + sum over p of x[r * ldx + p] * w[p * ldw + j]`
/// for r < rows, j < columns, p < depth (`bias` may be NULL for 0). Each output is one chain of
/// fused multiply-adds in increasing p, started from the bias: the same value for any split of
/// the rows. Returns 0 (and writes nothing) when the CPU lacks AVX-512, else 1.
int nn_dense_forward(const float *x, size_t ldx, const float *w, size_t ldw, const float *bias,
                     float *out, size_t ldo, size_t rows, size_t columns, size_t depth);

#endif
