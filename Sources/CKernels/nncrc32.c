// CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320) by folding with carry-less multiplication.
//
// The math, in the reflected bit order CRC-32 uses (the first byte's lowest bit is the message
// polynomial's highest coefficient):
//
// * A 128-bit register loaded from 16 bytes holds X = H * x^64 + L, H its low quadword (the
//   first 8 bytes), L its high one. Bit j of a 64-bit lane stands for x^(63 - j), bit j of a
//   128-bit register for x^(127 - j).
// * PCLMULQDQ of two 64-bit lanes A and B gives x * A * B as a 128-bit register (the product of
//   two reflected 64-bit values lands one bit short of the top).
// * Folding moves X forward by D bits: X * x^D = H * x^(D + 64) + L * x^D (mod P). With the
//   32-bit constants kH = x^(D + 31) mod P and kL = x^(D - 33) mod P, reflected into the low
//   32 bits of a lane (so that each stands for itself times x^32), the products x * H * kH * x^32
//   and x * L * kL * x^32 are congruent to those terms and fit in 128 bits; XORed with the 16
//   bytes D bits further on they give a register that stands for the message so far.
// * The CRC register after a message M is M * x^32 mod P, so the last 128-bit register X is
//   reduced as H * x^96 + L * x^32 (multiply H by x^95 mod P: at most 96 bits), then its top
//   32 bits times x^64 mod P (at most 64 bits), then Barrett reduction with
//   mu = floor(x^64 / P): q = floor(Zhigh * mu / x^32), CRC = (Z + q * P) mod x^32.
// * The starting value (the complement of the previous checksum) is XORed into the first four
//   bytes, which stands for it times x^(8 * length), as the byte-at-a-time algorithm does.
//
// The constants below were computed with polynomial arithmetic over GF(2) (x^n mod P by
// repeated multiplication by x, reduced by P; mu by long division) and are checked by the tests
// against zlib on every length from 0 to 4096.
#include "nncrc32.h"
#include "nncpu.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define SSE_TARGET __attribute__((target("pclmul,sse4.1")))
#define AVX512_TARGET __attribute__((target("pclmul,sse4.1,avx512f,avx512vl,vpclmulqdq")))

// Fold constants for a distance of D bits: kH = x^(D + 31) mod P, kL = x^(D - 33) mod P, reflected.
#define K128_H 0xae689191u   // x^159
#define K128_L 0xccaa009eu   // x^95
#define K256_H 0xf1da05aau   // x^287
#define K256_L 0x81256527u   // x^223
#define K384_H 0x3db1ecdcu   // x^415
#define K384_L 0xaf449247u   // x^351
#define K512_H 0x8f352d95u   // x^543
#define K512_L 0x1d9513d7u   // x^479
#define K2048_H 0xce3371cbu  // x^2079
#define K2048_L 0xe95c1271u  // x^2015
// Reduction: x^95 mod P and x^63 mod P, reflected into the high 32 bits of a lane (each stands
// for itself); mu = floor(x^64 / P) and P, 33 bits reflected.
#define R95 0xccaa009eull
#define R63 0xb8bc6765ull
#define MU 0x1f7011641ull
#define POLY 0x1db710641ull

// Bytes ahead of the folding loops to prefetch: from memory the hardware prefetcher alone keeps too
// few cache-line reads in flight (on the Xeon the kernels were written on, 256 MiB went from 5.6 to
// 9 GB/s on the 128-bit path and from 7.7 to 10.6 GB/s on the 512-bit one). Prefetching past the
// end of the buffer is harmless: it never faults.
#define PREFETCH_AHEAD 2048

static inline SSE_TARGET void prefetch(const unsigned char *p, size_t ahead) {
    _mm_prefetch((const char *)((uintptr_t)p + ahead), _MM_HINT_T0);  // an address, not a pointer past the end
}

static inline SSE_TARGET __m128i loadu(const unsigned char *p) { return _mm_loadu_si128((const __m128i *)p); }

static inline SSE_TARGET __m128i fold_constants(uint32_t high, uint32_t low) {
    return _mm_set_epi64x((long long)low, (long long)high);
}

/// x moved forward by the distance of k (its first lane multiplies x's first 8 bytes).
static inline SSE_TARGET __m128i fold(__m128i x, __m128i k) {
    return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

/// Z mod P for a 64-bit reflected Z, by Barrett reduction: the CRC register.
static inline SSE_TARGET uint32_t barrett(uint64_t z) {
    __m128i q = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)(z & 0xffffffffu)), _mm_cvtsi64_si128((long long)MU), 0);
    uint64_t quotient = (uint64_t)_mm_cvtsi128_si64(q) & 0xffffffffu;
    __m128i qp = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)quotient), _mm_cvtsi64_si128((long long)POLY), 0);
    return (uint32_t)(z >> 32) ^ (uint32_t)((uint64_t)_mm_cvtsi128_si64(qp) >> 32);
}

/// X * x^32 mod P for a 128-bit register X: the CRC register after the bytes X stands for.
static inline SSE_TARGET uint32_t reduce(__m128i x) {
    // H * x^96 + L * x^32: at most 96 bits, in bits 32...127.
    __m128i y = _mm_xor_si128(_mm_clmulepi64_si128(x, _mm_cvtsi64_si128((long long)(R95 << 32)), 0),
                              _mm_slli_si128(_mm_srli_si128(x, 8), 4));
    // Its top 32 bits times x^64 plus its low 64 bits: at most 64 bits, in the high lane.
    __m128i z = _mm_xor_si128(_mm_clmulepi64_si128(y, _mm_cvtsi64_si128((long long)(R63 << 32)), 0), y);
    return barrett((uint64_t)_mm_extract_epi64(z, 1));
}

/// The CRC register after fewer than 16 bytes, from the register `reg` (complemented checksum).
static inline SSE_TARGET uint32_t short_register(uint32_t reg, const unsigned char *p, size_t n) {
    if (n == 0) return reg;
    if (n < 4) {
        // reg * x^(8n) + bytes * x^32 fits in 64 bits.
        uint64_t bytes = 0;
        memcpy(&bytes, p, n);
        return barrett(((uint64_t)reg ^ bytes) << (32 - 8 * n));
    }
    // Leading zero bytes do not change the register: the bytes at the end of a 16-byte block.
    unsigned char block[16] = {0};
    memcpy(block + 16 - n, p, n);
    uint32_t head;
    memcpy(&head, block + 16 - n, 4);
    head ^= reg;
    memcpy(block + 16 - n, &head, 4);
    return reduce(loadu(block));
}

/// pshufb masks: at offset t (1...15) the first t bytes moved to the end, at offset 16 + t the
/// last 16 - t bytes moved to the start (a byte with the high bit set selects zero).
static const unsigned char shift_masks[48] = {
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
};

/// The CRC register after the message x stands for and the n more bytes at p, any n; at least
/// 16 bytes of the buffer lie before p.
static inline SSE_TARGET uint32_t finish(__m128i x, const unsigned char *p, size_t n) {
    const __m128i k128 = fold_constants(K128_H, K128_L);
    while (n >= 16) {
        x = _mm_xor_si128(fold(x, k128), loadu(p));
        p += 16;
        n -= 16;
    }
    if (n > 0) {
        // x followed by n bytes is x's first n bytes (after zeros) followed by one full block:
        // x's last 16 - n bytes and the n bytes, read as the buffer's last 16 bytes.
        __m128i to_end = loadu(shift_masks + n), to_start = loadu(shift_masks + 16 + n);
        __m128i first = _mm_shuffle_epi8(x, to_end);
        __m128i block = _mm_blendv_epi8(_mm_shuffle_epi8(x, to_start), loadu(p + n - 16), to_start);
        x = _mm_xor_si128(fold(first, k128), block);
    }
    return reduce(x);
}

/// The CRC register after n bytes from the register `reg`, folding 4 x 128 bits per step.
static inline SSE_TARGET uint32_t sse_register(uint32_t reg, const unsigned char *p, size_t n) {
    if (n < 16) return short_register(reg, p, n);
    __m128i x0 = _mm_xor_si128(loadu(p), _mm_cvtsi32_si128((int)reg));
    p += 16;
    n -= 16;
    if (n >= 48) {
        __m128i x1 = loadu(p), x2 = loadu(p + 16), x3 = loadu(p + 32);
        p += 48;
        n -= 48;
        const __m128i k512 = fold_constants(K512_H, K512_L);
        while (n >= 64) {
            prefetch(p, PREFETCH_AHEAD);
            x0 = _mm_xor_si128(fold(x0, k512), loadu(p));
            x1 = _mm_xor_si128(fold(x1, k512), loadu(p + 16));
            x2 = _mm_xor_si128(fold(x2, k512), loadu(p + 32));
            x3 = _mm_xor_si128(fold(x3, k512), loadu(p + 48));
            p += 64;
            n -= 64;
        }
        const __m128i k128 = fold_constants(K128_H, K128_L);
        x0 = _mm_xor_si128(fold(x0, k128), x1);
        x0 = _mm_xor_si128(fold(x0, k128), x2);
        x0 = _mm_xor_si128(fold(x0, k128), x3);
    }
    return finish(x0, p, n);
}

SSE_TARGET uint32_t nn_crc32_pclmul(uint32_t crc, const void *data, size_t length) {
    return ~sse_register(~crc, (const unsigned char *)data, length);
}

/// z moved forward by the distance of k (in every 128-bit lane), XORed with d.
static inline AVX512_TARGET __m512i fold512(__m512i z, __m512i k, __m512i d) {
    return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(z, k, 0x00), _mm512_clmulepi64_epi128(z, k, 0x11), d, 0x96);
}

static inline AVX512_TARGET __m512i loadu512(const unsigned char *p) { return _mm512_loadu_si512((const void *)p); }

AVX512_TARGET uint32_t nn_crc32_vpclmul(uint32_t crc, const void *data, size_t length) {
    const unsigned char *p = (const unsigned char *)data;
    size_t n = length;
    uint32_t reg = ~crc;
    if (n < 256) return ~sse_register(reg, p, n);
    __m512i z0 = _mm512_xor_si512(loadu512(p), _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)reg)));
    __m512i z1 = loadu512(p + 64), z2 = loadu512(p + 128), z3 = loadu512(p + 192);
    p += 256;
    n -= 256;
    const __m512i k2048 = _mm512_broadcast_i32x4(fold_constants(K2048_H, K2048_L));
    while (n >= 256) {
        for (size_t line = 0; line < 256; line += 64) prefetch(p, PREFETCH_AHEAD + line);
        z0 = fold512(z0, k2048, loadu512(p));
        z1 = fold512(z1, k2048, loadu512(p + 64));
        z2 = fold512(z2, k2048, loadu512(p + 128));
        z3 = fold512(z3, k2048, loadu512(p + 192));
        p += 256;
        n -= 256;
    }
    const __m512i k512 = _mm512_broadcast_i32x4(fold_constants(K512_H, K512_L));
    z0 = fold512(z0, k512, z1);
    z0 = fold512(z0, k512, z2);
    z0 = fold512(z0, k512, z3);
    while (n >= 64) {
        z0 = fold512(z0, k512, loadu512(p));
        p += 64;
        n -= 64;
    }
    // The four lanes into one: the first three moved forward by 384, 256 and 128 bits.
    const __m512i lanes = _mm512_set_epi64(0, 0, K128_L, K128_H, K256_L, K256_H, K384_L, K384_H);
    __m512i moved = _mm512_xor_si512(_mm512_clmulepi64_epi128(z0, lanes, 0x00), _mm512_clmulepi64_epi128(z0, lanes, 0x11));
    __m256i halves = _mm256_xor_si256(_mm512_castsi512_si256(moved), _mm512_extracti64x4_epi64(moved, 1));
    __m128i x = _mm_xor_si128(_mm_xor_si128(_mm256_castsi256_si128(halves), _mm256_extracti128_si256(halves, 1)),
                              _mm512_extracti32x4_epi32(z0, 3));
    return ~finish(x, p, n);
}

/// CPUID feature bits: 1 for PCLMULQDQ with SSE4.1, 2 for the AVX-512 path as well.
static int detect(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int pclmul = (c >> 1) & 1, sse41 = (c >> 19) & 1;
    if (!pclmul || !sse41) return 0;
    int features = 1;
    if (nn_cpu_saves_zmm() && __get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        int avx512 = ((b >> 16) & 1) && ((b >> 31) & 1);  // F, VL
        int vpclmul = (c >> 10) & 1;
        if (avx512 && vpclmul) features |= 2;
    }
    return features;
}

static int features(void) {
    // Threads may ask at the same time; each computes the same answer.
    static int cached = -1;
    int value = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (value < 0) {
        value = detect();
        __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
    }
    return value;
}

int nn_crc32_pclmul_supported(void) { return features() & 1; }

int nn_crc32_vpclmul_supported(void) { return (features() >> 1) & 1; }

#else

// Not x86-64: no SIMD path is supported; the entry points still compute the right value, a bit
// at a time.
static uint32_t bitwise(uint32_t crc, const void *data, size_t length) {
    const unsigned char *p = (const unsigned char *)data;
    uint32_t reg = ~crc;
    for (size_t i = 0; i < length; i++) {
        reg ^= p[i];
        for (int bit = 0; bit < 8; bit++) reg = (reg >> 1) ^ (0xedb88320u & (0u - (reg & 1u)));
    }
    return ~reg;
}

int nn_crc32_pclmul_supported(void) { return 0; }

int nn_crc32_vpclmul_supported(void) { return 0; }

uint32_t nn_crc32_pclmul(uint32_t crc, const void *data, size_t length) { return bitwise(crc, data, length); }

uint32_t nn_crc32_vpclmul(uint32_t crc, const void *data, size_t length) { return bitwise(crc, data, length); }

#endif
