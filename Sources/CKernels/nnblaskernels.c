// Chooses OpenBLAS's kernels on x86-64 CPUs that its run-time detection does not know.
//
// A DYNAMIC_ARCH OpenBLAS (Debian's) picks its kernels from the CPU model number at load time.
// A model newer than the library (OpenBLAS 0.3.21 and Intel's Emerald Rapids, model 207, for
// one) falls back to the "Prescott" kernels: SSE3 only, about six times slower for the products
// of a training step on a CPU with AVX-512. OpenBLAS's documented remedy is the environment
// variable OPENBLAS_CORETYPE, which it reads only when it starts; this does the same selection
// again, in process, before any product runs, for the case where detection fell back and the CPU
// and the OS support the wider vectors. A user's own OPENBLAS_CORETYPE is always respected.
#define _GNU_SOURCE
#include <cpuid.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "nnblaskernels.h"
#include "nncpu.h"

#if defined(__x86_64__)
/// "SkylakeX" for AVX-512 (F, DQ, BW, VL), "Haswell" for AVX2 with FMA, else NULL.
static const char *widest_kernels(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return NULL;
    int fma = (c >> 12) & 1, avx = (c >> 28) & 1;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return NULL;
    int avx2 = (b >> 5) & 1;
    int avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);  // F, DQ, BW, VL
    if (avx512 && nn_cpu_saves_zmm()) return "SkylakeX";
    if (avx && avx2 && fma && nn_cpu_saves_ymm()) return "Haswell";
    return NULL;
}
#else
static const char *widest_kernels(void) { return NULL; }
#endif

static const char *chosen = NULL;

static void select_once(void) {
    if (getenv("OPENBLAS_CORETYPE")) return;
    // Looked up at run time: only a DYNAMIC_ARCH OpenBLAS has them.
    char *(*corename)(void) = (char *(*)(void))dlsym(RTLD_DEFAULT, "openblas_get_corename");
    void (*quit)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
    void (*init)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
    if (!corename || !quit || !init) return;
    const char *name = corename();
    if (!name || strcasecmp(name, "Prescott") != 0) return;  // detection worked (or chose well)
    const char *wanted = widest_kernels();
    if (!wanted) return;
    setenv("OPENBLAS_CORETYPE", wanted, 0);
    quit();
    init();
    unsetenv("OPENBLAS_CORETYPE");
    name = corename();
    if (name && strcasecmp(name, wanted) == 0) chosen = wanted;
}

const char *nn_blas_select_kernels(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, select_once);
    return chosen;
}
