#ifndef NNMODEL_CBLAS_H
#define NNMODEL_CBLAS_H

/*
 * The part of OpenBLAS's CBLAS interface nnmodel uses.
 *
 * OpenBLAS is not linked: it is loaded with dlopen by nn_blas_load(), which the
 * functions below call the first time (nnblas_loader.c), so that commands that
 * do no arithmetic (`--version`, `inspect`, `convert`) start without loading it
 * and without OpenBLAS starting its threads. Declared here rather than taken from
 * <cblas.h>, which Debian's alternatives may point at another BLAS; the values
 * are the CBLAS standard's and OpenBLAS's default 32-bit integers.
 */

typedef int blasint;

typedef enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 } CBLAS_ORDER;
typedef enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113 } CBLAS_TRANSPOSE;

/* C = alpha * op(A) * op(B) + beta * C. */
void cblas_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE transA, enum CBLAS_TRANSPOSE transB,
                 blasint m, blasint n, blasint k, float alpha, const float *a, blasint lda,
                 const float *b, blasint ldb, float beta, float *c, blasint ldc);

void openblas_set_num_threads(int threads);
int openblas_get_num_threads(void);
/* The name of the kernels in use ("SkylakeX", "Haswell", ...); NULL when OpenBLAS is not loaded. */
char *openblas_get_corename(void);

/*
 * Loads OpenBLAS once per process ($NNMODEL_LIBOPENBLAS, else libopenblas.so.0, else
 * libopenblas.so), with its symbols visible to later dlsym(RTLD_DEFAULT, ...) lookups. 0 when
 * loaded; -1 when not: then nn_blas_load_error() says why and products run through a portable
 * (slow) C loop instead.
 */
int nn_blas_load(void);

/* Why nn_blas_load() failed ("" when it did not). */
const char *nn_blas_load_error(void);

#endif
