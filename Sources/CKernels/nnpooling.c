#include "nnkernels.h"

#include <stdint.h>
#include <string.h>

/// All ones when `a` should replace `b` in a running max (larger, or the first NaN), else zero.
static inline int32_t take_mask(float a, float b) {
    return -(int32_t)((a > b) | ((a != a) & (b == b)));
}

/// `a` where `mask` is all ones, else `b`, by their bits.
static inline float select_bits(int32_t mask, float a, float b) {
    int32_t abits, bbits;
    memcpy(&abits, &a, 4);
    memcpy(&bbits, &b, 4);
    int32_t bits = (abits & mask) | (bbits & ~mask);
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

void nn_max_accumulate(const float *v, float *out, int *index, int base, size_t count) {
    // The three arrays never overlap (callers pass an input window, an output row and its
    // indices). The selects are bit masks, without branches, so that the loops are vectorised:
    // with branches, random data mispredicts half of them. One loop per case, as a test of
    // `index` inside the loop keeps it from being vectorised.
    const float *restrict vr = v;
    float *restrict outr = out;
    int *restrict indexr = index;
    if (indexr) {
        for (size_t k = 0; k < count; k++) {
            int32_t take = take_mask(vr[k], outr[k]);
            outr[k] = select_bits(take, vr[k], outr[k]);
            indexr[k] = ((base + (int32_t)k) & take) | (indexr[k] & ~take);
        }
        return;
    }
    for (size_t k = 0; k < count; k++) {
        outr[k] = select_bits(take_mask(vr[k], outr[k]), vr[k], outr[k]);
    }
}
