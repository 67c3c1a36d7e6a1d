#include "nnkernels.h"

#include <stdint.h>
#include <string.h>

void nn_max_accumulate(const float *v, float *out, int *index, int base, size_t count) {
    // The three arrays never overlap (callers pass an input window, an output row and its
    // indices). The selects are written as bit masks, without branches, so that the loops are
    // vectorised: with branches, random data mispredicts half of them.
    const float *restrict vr = v;
    float *restrict outr = out;
    int *restrict indexr = index;
    if (indexr) {
        for (size_t k = 0; k < count; k++) {
            float a = vr[k], b = outr[k];
            int32_t take = -(int32_t)((a > b) | ((a != a) & (b == b)));
            int32_t abits, bbits;
            memcpy(&abits, &a, 4);
            memcpy(&bbits, &b, 4);
            int32_t bits = (abits & take) | (bbits & ~take);
            memcpy(&outr[k], &bits, 4);
            indexr[k] = ((base + (int32_t)k) & take) | (indexr[k] & ~take);
        }
        return;
    }
    for (size_t k = 0; k < count; k++) {
        float a = vr[k], b = outr[k];
        int32_t take = -(int32_t)((a > b) | ((a != a) & (b == b)));
        int32_t abits, bbits;
        memcpy(&abits, &a, 4);
        memcpy(&bbits, &b, 4);
        int32_t bits = (abits & take) | (bbits & ~take);
        memcpy(&outr[k], &bits, 4);
    }
}
