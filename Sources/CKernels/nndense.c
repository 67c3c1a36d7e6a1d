// Dense-layer forward products for inference with AVX-512: blocks of up to 6 rows by 64 columns
// (24 accumulators), the kernel read in place (row-major, one row of 64 columns per step), the
// inputs broadcast from memory. Loading OpenBLAS costs a process about 4 ms, more than a whole
// small prediction; for the narrow layers of small models this is also faster than its sgemm.
#include "nndense.h"
#include "nncpu.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

static int detect(void) {
    unsigned a, b, c, d;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 16)) && nn_cpu_saves_zmm();  // AVX-512 F
}

int nn_dense_forward_supported(void) {
    static int known = -1;
    if (known < 0) known = detect();
    return known;
}

// One block: R rows (1...6) by V vectors of 16 columns (1...4), the last vector masked by `tail`.
#define NN_BLOCK(R, V)                                                                                         \
    __attribute__((target("avx512f"))) static inline void block_##R##_##V(                                     \
        const float *x, size_t ldx, const float *w, size_t ldw, const float *bias, float *out, size_t ldo,      \
        size_t depth, __mmask16 tail, int first) {                                                             \
        __m512 acc[R][V];                                                                                      \
        for (int v = 0; v < V; v++) {                                                                          \
            const __mmask16 m = v == V - 1 ? tail : (__mmask16)0xFFFF;                                         \
            const __m512 b0 = bias ? _mm512_maskz_loadu_ps(m, bias + 16 * v) : _mm512_setzero_ps();           \
            for (int r = 0; r < R; r++)                                                                        \
                acc[r][v] = first ? b0 : _mm512_maskz_loadu_ps(m, out + r * ldo + 16 * v);                     \
        }                                                                                                      \
        for (size_t p = 0; p < depth; p++) {                                                                   \
            const float *wp = w + p * ldw;                                                                     \
            __m512 wv[V];                                                                                      \
            for (int v = 0; v < V; v++)                                                                        \
                wv[v] = v == V - 1 ? _mm512_maskz_loadu_ps(tail, wp + 16 * v) : _mm512_loadu_ps(wp + 16 * v); \
            for (int r = 0; r < R; r++) {                                                                      \
                const __m512 xv = _mm512_set1_ps(x[r * ldx + p]);                                              \
                for (int v = 0; v < V; v++) acc[r][v] = _mm512_fmadd_ps(xv, wv[v], acc[r][v]);                 \
            }                                                                                                  \
        }                                                                                                      \
        for (int r = 0; r < R; r++)                                                                            \
            for (int v = 0; v < V; v++) {                                                                      \
                if (v == V - 1) _mm512_mask_storeu_ps(out + r * ldo + 16 * v, tail, acc[r][v]);                \
                else _mm512_storeu_ps(out + r * ldo + 16 * v, acc[r][v]);                                      \
            }                                                                                                  \
    }

#define NN_BLOCKS(R) NN_BLOCK(R, 1) NN_BLOCK(R, 2) NN_BLOCK(R, 3) NN_BLOCK(R, 4)
NN_BLOCKS(1) NN_BLOCKS(2) NN_BLOCKS(3) NN_BLOCKS(4) NN_BLOCKS(5) NN_BLOCKS(6)

typedef void (*block_fn)(const float *, size_t, const float *, size_t, const float *, float *, size_t, size_t, __mmask16, int);

#define NN_ROW(R) { block_##R##_1, block_##R##_2, block_##R##_3, block_##R##_4 }
static const block_fn blocks[6][4] = { NN_ROW(1), NN_ROW(2), NN_ROW(3), NN_ROW(4), NN_ROW(5), NN_ROW(6) };

int nn_dense_forward(const float *x, size_t ldx, const float *w, size_t ldw, const float *bias,
                     float *out, size_t ldo, size_t rows, size_t columns, size_t depth) {
    if (!nn_dense_forward_supported()) return 0;
    // Blocks of 64 columns by 128 steps of the sum: 32 KB of the kernel, read from the L1 cache by
    // every block of rows. The accumulators go through `out` between steps, so each output is
    // still one chain of multiply-adds in increasing p.
    for (size_t j = 0; j < columns; j += 64) {
        const size_t width = columns - j < 64 ? columns - j : 64;
        const size_t vectors = (width + 15) / 16;
        const size_t last = width - 16 * (vectors - 1);
        const __mmask16 tail = (__mmask16)(last == 16 ? 0xFFFF : (1u << last) - 1);
        const float *b = bias ? bias + j : 0;
        for (size_t p = 0; p < depth || p == 0; p += 128) {
            const size_t steps = depth - p < 128 ? depth - p : 128;
            for (size_t r = 0; r < rows; r += 6) {
                const size_t height = rows - r < 6 ? rows - r : 6;
                blocks[height - 1][vectors - 1](x + r * ldx + p, ldx, w + p * ldw + j, ldw, b, out + r * ldo + j, ldo,
                                                steps, tail, p == 0);
            }
            if (depth == 0) break;
        }
    }
    return 1;
}

#else
int nn_dense_forward_supported(void) { return 0; }
int nn_dense_forward(const float *x, size_t ldx, const float *w, size_t ldw, const float *bias,
                     float *out, size_t ldo, size_t rows, size_t columns, size_t depth) {
    (void)x; (void)ldx; (void)w; (void)ldw; (void)bias; (void)out; (void)ldo; (void)rows; (void)columns; (void)depth;
    return 0;
}
#endif
