#ifndef NN_SEARCH_H
#define NN_SEARCH_H

#include <stddef.h>

/// The offset of the first occurrence of the `needle_length` bytes at `needle` in the `length`
/// bytes at `haystack`, or -1 when there is none (or the needle is empty or longer than the
/// haystack).
///
/// On x86-64 each step compares 16 positions at once against the needle's first and last bytes
/// (SSE2) and compares the whole needle only where both match, so that bytes frequent in the
/// data (a float's exponent byte) do not stop the scan as they stop `memchr` on the first byte.
long nn_find_bytes(const void *haystack, size_t length, const void *needle, size_t needle_length);

#endif
