// Loads OpenBLAS on first use (see include/CBLAS.h), with a portable fallback for the one product
// nnmodel needs when it is missing.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "CBLAS.h"

typedef void (*sgemm_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint, blasint,
                         blasint, float, const float *, blasint, const float *, blasint, float, float *, blasint);

static sgemm_fn real_sgemm;
static void (*real_set_threads)(int);
static int (*real_get_threads)(void);
static char *(*real_corename)(void);
static int load_status = -1;
static char load_error[1024];

static void load_once(void) {
    const char *chosen = getenv("NNMODEL_LIBOPENBLAS");
    const char *const defaults[] = { "libopenblas.so.0", "libopenblas.so" };
    const char *const *names = defaults;
    size_t count = 2;
    if (chosen && *chosen) { names = &chosen; count = 1; }
    for (size_t i = 0; i < count; i++) {
        dlerror();
        void *handle = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
        if (!handle) {
            const char *why = dlerror();
            size_t used = strlen(load_error);
            if (why && strstr(why, names[i]))
                snprintf(load_error + used, sizeof load_error - used, "%s%s", used ? "; " : "", why);
            else
                snprintf(load_error + used, sizeof load_error - used, "%s%s: %s", used ? "; " : "", names[i],
                         why ? why : "cannot be opened");
            continue;
        }
        sgemm_fn sgemm = (sgemm_fn)dlsym(handle, "cblas_sgemm");
        if (!sgemm) {
            size_t used = strlen(load_error);
            snprintf(load_error + used, sizeof load_error - used, "%s%s: no cblas_sgemm", used ? "; " : "", names[i]);
            dlclose(handle);
            continue;
        }
        real_sgemm = sgemm;
        real_set_threads = (void (*)(int))dlsym(handle, "openblas_set_num_threads");
        real_get_threads = (int (*)(void))dlsym(handle, "openblas_get_num_threads");
        real_corename = (char *(*)(void))dlsym(handle, "openblas_get_corename");
        load_error[0] = 0;
        load_status = 0;
        return;  // kept open for the life of the process
    }
}

int nn_blas_load(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, load_once);
    return load_status;
}

const char *nn_blas_load_error(void) { return load_error; }

// A plain row-major product: used only when no OpenBLAS could be loaded.
static void portable_sgemm(enum CBLAS_TRANSPOSE transA, enum CBLAS_TRANSPOSE transB, blasint m, blasint n,
                           blasint k, float alpha, const float *a, blasint lda, const float *b, blasint ldb,
                           float beta, float *c, blasint ldc) {
    for (blasint i = 0; i < m; i++) {
        float *row = c + (size_t)i * (size_t)ldc;
        for (blasint j = 0; j < n; j++) row[j] = beta == 0 ? 0 : beta * row[j];
        for (blasint p = 0; p < k; p++) {
            float x = alpha * (transA == CblasNoTrans ? a[(size_t)i * (size_t)lda + (size_t)p]
                                                      : a[(size_t)p * (size_t)lda + (size_t)i]);
            if (transB == CblasNoTrans) {
                const float *brow = b + (size_t)p * (size_t)ldb;
                for (blasint j = 0; j < n; j++) row[j] += x * brow[j];
            } else {
                for (blasint j = 0; j < n; j++) row[j] += x * b[(size_t)j * (size_t)ldb + (size_t)p];
            }
        }
    }
}

void cblas_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE transA, enum CBLAS_TRANSPOSE transB,
                 blasint m, blasint n, blasint k, float alpha, const float *a, blasint lda,
                 const float *b, blasint ldb, float beta, float *c, blasint ldc) {
    if (nn_blas_load() == 0) {
        real_sgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    } else if (order == CblasRowMajor) {
        portable_sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    } else {
        // Column-major C = op(A) op(B) is row-major Cᵀ = op(B)ᵀ op(A)ᵀ.
        portable_sgemm(transB, transA, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc);
    }
}

void openblas_set_num_threads(int threads) {
    if (nn_blas_load() == 0 && real_set_threads) real_set_threads(threads);
}

int openblas_get_num_threads(void) {
    return nn_blas_load() == 0 && real_get_threads ? real_get_threads() : 1;
}

char *openblas_get_corename(void) {
    return nn_blas_load() == 0 && real_corename ? real_corename() : NULL;
}
