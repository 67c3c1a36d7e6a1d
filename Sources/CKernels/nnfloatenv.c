#include "nnfloatenv.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>

// MXCSR: FTZ (bit 15) flushes denormal results, DAZ (bit 6) reads denormal inputs as zero. They
// govern the scalar and vector (SSE, AVX, AVX-512) instructions alike.
enum { FLUSH_BITS = 0x8040 };

unsigned long nn_fp_flush_denormals(void) {
    unsigned int state = _mm_getcsr();
    _mm_setcsr(state | FLUSH_BITS);
    return state;
}

void nn_fp_restore(unsigned long state) { _mm_setcsr((unsigned int)state); }

#elif defined(__aarch64__)

// FPCR.FZ (bit 24) flushes denormal inputs and results of scalar and vector instructions.
enum { FLUSH_BITS = 1 << 24 };

unsigned long nn_fp_flush_denormals(void) {
    unsigned long state;
    __asm__ volatile("mrs %0, fpcr" : "=r"(state));
    __asm__ volatile("msr fpcr, %0" : : "r"(state | FLUSH_BITS));
    return state;
}

void nn_fp_restore(unsigned long state) { __asm__ volatile("msr fpcr, %0" : : "r"(state)); }

#else

unsigned long nn_fp_flush_denormals(void) { return 0; }
void nn_fp_restore(unsigned long state) { (void)state; }

#endif
