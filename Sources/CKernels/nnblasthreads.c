// Stops OpenBLAS's idle server threads, which otherwise poll with sched_yield for about 0.1 s
// after the library starts (and after each threaded call), taking a core from our own workers.
#define _GNU_SOURCE
#include <dlfcn.h>
#include "nnblasthreads.h"

int nn_blas_stop_idle_threads(void) {
    // Not part of OpenBLAS's public API (OpenBLAS calls it itself before fork), hence looked up
    // at run time: absent in other BLAS builds, in which case there is nothing to stop.
    int (*shutdown)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "blas_thread_shutdown_");
    if (!shutdown) return 0;
    shutdown();
    return 1;
}
