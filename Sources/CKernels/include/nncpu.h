#ifndef NN_CPU_H
#define NN_CPU_H

/// The register state the OS saves on context switches (XCR0), or 0 when the CPU or OS has no
/// XGETBV (OSXSAVE clear) or the machine is not x86-64. A vector extension is usable only when
/// the CPU has it (CPUID) and the OS saves its registers (these bits).
unsigned long long nn_cpu_saved_state(void);

/// Whether the OS saves the AVX registers (SSE and the upper YMM halves).
int nn_cpu_saves_ymm(void);

/// Whether the OS saves the AVX-512 registers as well (opmasks and both halves of ZMM 0-31).
int nn_cpu_saves_zmm(void);

#endif
