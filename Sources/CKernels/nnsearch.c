// Substring search for short needles: the first-and-last-byte filter (W. Muła, "SIMD-friendly
// algorithms for substring searching"): 64 positions per step with AVX2 (chosen at run time),
// else 16 with SSE2, and a plain loop for the tail and other CPUs.
#include "nnsearch.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

// Candidate starts [i, positions) in steps of 64; returns the first match, or -1 with *next
// set to where the caller's loop goes on.
__attribute__((target("avx2")))
static long find_avx2(const unsigned char *h, size_t positions, const unsigned char *n, size_t needle_length, size_t *next) {
    const size_t last = needle_length - 1;
    const __m256i first_byte = _mm256_set1_epi8((char)n[0]);
    const __m256i last_byte = _mm256_set1_epi8((char)n[last]);
    size_t i = 0;
    // Loads of [i, i + 64) and [i + last, i + last + 64): inside the haystack while i + 64 <= positions.
    for (; i + 64 <= positions; i += 64) {
        const __m256i m0 = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(h + i)), first_byte),
                                            _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(h + i + last)), last_byte));
        const __m256i m1 = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(h + i + 32)), first_byte),
                                            _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(h + i + 32 + last)), last_byte));
        if (_mm256_testz_si256(_mm256_or_si256(m0, m1), _mm256_or_si256(m0, m1))) continue;
        unsigned long long mask = (unsigned long long)(unsigned)_mm256_movemask_epi8(m0)
            | (unsigned long long)(unsigned)_mm256_movemask_epi8(m1) << 32;
        while (mask != 0) {
            const unsigned bit = (unsigned)__builtin_ctzll(mask);
            if (memcmp(h + i + bit, n, needle_length) == 0) return (long)(i + bit);
            mask &= mask - 1;
        }
    }
    *next = i;
    return -1;
}

static int has_avx2(void) {
    static int known = -1;
    if (known < 0) known = __builtin_cpu_supports("avx2") ? 1 : 0;
    return known;
}
#endif

long nn_find_bytes(const void *haystack, size_t length, const void *needle, size_t needle_length) {
    if (needle_length == 0 || needle_length > length) return -1;
    const unsigned char *h = (const unsigned char *)haystack;
    const unsigned char *n = (const unsigned char *)needle;
    const size_t last = needle_length - 1;
    const size_t positions = length - last;  // candidate starts: 0 ..< positions
    size_t i = 0;
#if defined(__x86_64__)
    if (has_avx2()) {
        const long found = find_avx2(h, positions, n, needle_length, &i);
        if (found >= 0) return found;
    }
    const __m128i first_byte = _mm_set1_epi8((char)n[0]);
    const __m128i last_byte = _mm_set1_epi8((char)n[last]);
    for (; i + 16 <= positions; i += 16) {
        const __m128i a = _mm_loadu_si128((const __m128i *)(h + i));
        const __m128i b = _mm_loadu_si128((const __m128i *)(h + i + last));
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first_byte), _mm_cmpeq_epi8(b, last_byte)));
        while (mask != 0) {
            const unsigned bit = (unsigned)__builtin_ctz(mask);
            if (memcmp(h + i + bit, n, needle_length) == 0) return (long)(i + bit);
            mask &= mask - 1;
        }
    }
#endif
    for (; i < positions; i++) {
        if (h[i] == n[0] && h[i + last] == n[last] && memcmp(h + i, n, needle_length) == 0) return (long)i;
    }
    return -1;
}
