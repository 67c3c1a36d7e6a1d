// What the OS saves of the vector registers: the one XGETBV check every run-time kernel choice
// (CRC-32, OpenBLAS's kernels, the Dense inference kernel) needs besides CPUID.
#include "nncpu.h"

#if defined(__x86_64__)
#include <cpuid.h>

unsigned long long nn_cpu_saved_state(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0;  // OSXSAVE
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}
#else
unsigned long long nn_cpu_saved_state(void) { return 0; }
#endif

int nn_cpu_saves_ymm(void) { return (nn_cpu_saved_state() & 0x6) == 0x6; }

int nn_cpu_saves_zmm(void) { return (nn_cpu_saved_state() & 0xE6) == 0xE6; }
