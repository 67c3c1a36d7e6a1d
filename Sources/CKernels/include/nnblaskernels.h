#ifndef NN_BLAS_KERNELS_H
#define NN_BLAS_KERNELS_H

/// Makes a DYNAMIC_ARCH OpenBLAS use AVX-512 or AVX2 kernels when its detection fell back to
/// the generic "Prescott" ones on a CPU (and OS) that has them, unless OPENBLAS_CORETYPE is set.
/// Runs once; call it before the first product. Returns the kernels chosen, or NULL when
/// nothing was changed.
const char *nn_blas_select_kernels(void);

#endif
