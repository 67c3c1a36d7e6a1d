#ifndef NNMODEL_FLOATENV_H
#define NNMODEL_FLOATENV_H

/// The calling thread's floating-point environment, set as TensorFlow sets it on its compute
/// threads: denormal (subnormal) inputs read as zero and denormal results flushed to zero.
/// Without this, the optimizer slots of weights whose gradients vanish (image borders that are
/// always blank) decay into denormals, and divisions and square roots of denormals take several
/// times longer.

#ifdef __cplusplus
extern "C" {
#endif

/// Makes the calling thread flush denormals to zero; returns the previous state for `nn_fp_restore`.
unsigned long nn_fp_flush_denormals(void);

/// Restores a state returned by `nn_fp_flush_denormals`.
void nn_fp_restore(unsigned long state);

#ifdef __cplusplus
}
#endif

#endif
