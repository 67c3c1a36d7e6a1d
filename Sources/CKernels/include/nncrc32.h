#ifndef NNMODEL_CRC32_H
#define NNMODEL_CRC32_H

/// CRC-32 (ISO-HDLC: zlib's, gzip's and PNG's polynomial, reflected 0xEDB88320) with carry-less
/// multiplication, bit-identical to zlib's `crc32`.
///
/// Every function takes the checksum of the bytes before (0 to start) and returns the checksum
/// with `length` more bytes, like zlib's `crc32`: checksumming pieces one after the other gives
/// the checksum of the whole. Any length and alignment is accepted.
///
/// The SIMD functions may only be called when the matching `..._supported` function returns 1;
/// on other CPUs they execute instructions the CPU does not have. nnmodel calls zlib's `crc32`
/// when neither is supported.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the CPU has PCLMULQDQ and SSE4.1 (x86-64), else 0.
int nn_crc32_pclmul_supported(void);

/// 1 when the CPU has VPCLMULQDQ, AVX-512F, AVX-512VL and PCLMULQDQ and the OS saves the
/// AVX-512 registers (XCR0), else 0.
int nn_crc32_vpclmul_supported(void);

/// CRC-32 folding 4 x 128 bits per step with PCLMULQDQ (SSE registers).
uint32_t nn_crc32_pclmul(uint32_t crc, const void *data, size_t length);

/// CRC-32 folding 4 x 512 bits per step with VPCLMULQDQ (AVX-512 registers); inputs shorter
/// than 256 bytes take the PCLMULQDQ path.
uint32_t nn_crc32_vpclmul(uint32_t crc, const void *data, size_t length);

#ifdef __cplusplus
}
#endif

#endif
