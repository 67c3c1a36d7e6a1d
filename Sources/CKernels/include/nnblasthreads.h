#ifndef NN_BLAS_THREADS_H
#define NN_BLAS_THREADS_H

/// Stops OpenBLAS's server threads if this OpenBLAS has them (it starts them again by itself
/// should a later call want more than one thread). Returns 1 when it did, 0 otherwise.
int nn_blas_stop_idle_threads(void);

#endif
