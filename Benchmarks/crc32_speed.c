/*
 * crc32_speed: how fast CRC-32 runs on this machine, zlib's crc32 against nnmodel's
 * carry-less-multiply kernels (Sources/CKernels/nncrc32.c), the checksum `nnmodel inspect`
 * verifies every tensor with.
 *
 * Two sizes, each the best of several timed trials (implementations interleaved per trial):
 *   memory  one pass over a buffer of MiB mebibytes (default 256), warm: written and checksummed
 *           once before timing, so the pages are mapped and the figure is DRAM bandwidth-bound
 *   cache   the first 256 KiB of that buffer, checksummed repeatedly (in L2): the kernels' speed
 * For comparison, "read" is glibc's memchr scanning the memory buffer for a byte it does not
 * hold (every byte has its top bit clear): the rate one thread reads memory at, with the widest
 * vectors glibc uses on this CPU.
 * Every implementation must give the same value as zlib, or the program exits with status 1.
 * A SIMD path the CPU lacks prints null. Prints one JSON line (GB/s = 10^9 bytes per second).
 *
 *   cc -O2 -o crc32_speed crc32_speed.c ../Sources/CKernels/nncrc32.c ../Sources/CKernels/nncpu.c -I../Sources/CKernels/include -lz
 *   ./crc32_speed [MiB, default 256] [trials, default 5]
 */
#define _GNU_SOURCE
#include "nncrc32.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

enum { ZLIB, PCLMUL, VPCLMUL, PATHS };
static const char *names[PATHS] = {"zlib", "pclmul", "vpclmul"};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int supported(int path) {
    switch (path) {
    case PCLMUL: return nn_crc32_pclmul_supported();
    case VPCLMUL: return nn_crc32_vpclmul_supported();
    default: return 1;
    }
}

static uint32_t checksum(int path, const unsigned char *p, size_t n) {
    switch (path) {
    case PCLMUL: return nn_crc32_pclmul(0, p, n);
    case VPCLMUL: return nn_crc32_vpclmul(0, p, n);
    default: return (uint32_t)crc32_z(0, p, n);
    }
}

/// Seconds for `repeats` checksums of n bytes at p; the checksum of the last in *value.
static double timed(int path, const unsigned char *p, size_t n, int repeats, uint32_t *value) {
    double t0 = now();
    for (int r = 0; r < repeats; r++) *value = checksum(path, p, n);
    return now() - t0;
}

int main(int argc, char **argv) {
    long mib = argc > 1 ? atol(argv[1]) : 256;
    int trials = argc > 2 ? atoi(argv[2]) : 5;
    if (mib < 1 || trials < 1) {
        fprintf(stderr, "usage: crc32_speed [MiB, default 256] [trials, default 5]\n");
        return 64;
    }
    size_t size = (size_t)mib << 20, small = 256 << 10;
    if (small > size) small = size;
    unsigned char *buffer = aligned_alloc(4096, size);
    if (!buffer) { perror("aligned_alloc"); return 1; }
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i + 8 <= size; i += 8) {  // xorshift: bytes with no pattern (top bits clear)
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        uint64_t bytes = x & 0x7f7f7f7f7f7f7f7fu;
        memcpy(buffer + i, &bytes, 8);
    }
    // Enough repetitions of the small buffer for about as many bytes as one memory pass.
    int repeats = (int)(size / small);
    if (repeats > 4096) repeats = 4096;

    double best_memory[PATHS], best_cache[PATHS], best_read = 0;
    uint32_t values[PATHS];
    int agree = 1;
    for (int path = 0; path < PATHS; path++) {
        best_memory[path] = best_cache[path] = 0;
        if (!supported(path)) continue;
        values[path] = checksum(path, buffer, size);  // warm-up
        if (values[path] != values[ZLIB]) agree = 0;
        if (checksum(path, buffer + 1, small - 1) != (uint32_t)crc32_z(0, buffer + 1, small - 1)) agree = 0;
    }
    if (memchr(buffer, 0x80, size)) agree = 0;  // warm-up (and a check of the premise)
    for (int t = 0; t < trials; t++) {
        double t0 = now();
        if (memchr(buffer, 0x80, size)) agree = 0;
        double rate = (double)size / (now() - t0) / 1e9;
        if (rate > best_read) best_read = rate;
        for (int path = 0; path < PATHS; path++) {
            if (!supported(path)) continue;
            uint32_t value;
            double s = timed(path, buffer, size, 1, &value);
            if (value != values[ZLIB]) agree = 0;
            rate = (double)size / s / 1e9;
            if (rate > best_memory[path]) best_memory[path] = rate;
            s = timed(path, buffer, small, repeats, &value);
            rate = (double)small * repeats / s / 1e9;
            if (rate > best_cache[path]) best_cache[path] = rate;
        }
    }
    printf("{\"bytes\": %zu, \"cache_bytes\": %zu, \"trials\": %d, \"crc\": \"%08x\", \"agree\": %s, \"read\": %.2f",
           size, small, trials, values[ZLIB], agree ? "true" : "false", best_read);
    for (int path = 0; path < PATHS; path++) {
        if (supported(path))
            printf(", \"%s\": %.2f, \"%s_cache\": %.2f", names[path], best_memory[path], names[path], best_cache[path]);
        else
            printf(", \"%s\": null, \"%s_cache\": null", names[path], names[path]);
    }
    printf("}\n");
    free(buffer);
    return agree ? 0 : 1;
}
