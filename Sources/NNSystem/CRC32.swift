internal import CKernels
internal import CZlibNN

/// CRC-32 (ISO-HDLC, the polynomial of zlib, gzip and PNG), with carry-less multiplication where the CPU has it.
///
/// On x86-64 CPUs with PCLMULQDQ and SSE4.1 the checksum folds 4 × 128 bits per step, and with
/// VPCLMULQDQ and AVX-512 (saved by the OS) 4 × 512 bits per step (`nncrc32.c` in CKernels);
/// elsewhere zlib's `crc32` computes it. Every implementation gives zlib's values.
@_spi(Testing) public enum CRC32 {
    /// One way of computing the checksum.
    @_spi(Testing) public enum Implementation: Sendable, CaseIterable, CustomStringConvertible {
        /// zlib's `crc32`: every CPU.
        case zlib
        /// PCLMULQDQ folding in 128-bit registers: x86-64 with PCLMULQDQ and SSE4.1.
        case pclmul
        /// VPCLMULQDQ folding in 512-bit registers: x86-64 with VPCLMULQDQ, AVX-512F and AVX-512VL.
        case vpclmul

        /// Whether this CPU and OS can run it.
        @_spi(Testing) public var isSupported: Bool {
            switch self {
            case .zlib: true
            case .pclmul: nn_crc32_pclmul_supported() != 0
            case .vpclmul: nn_crc32_vpclmul_supported() != 0
            }
        }

        /// The name of the implementation.
        @_spi(Testing) public var description: String {
            switch self {
            case .zlib: "zlib"
            case .pclmul: "PCLMULQDQ"
            case .vpclmul: "VPCLMULQDQ (AVX-512)"
            }
        }
    }

    /// The fastest implementation this CPU and OS support, chosen once.
    @_spi(Testing) public static let fastest: Implementation =
        Implementation.vpclmul.isSupported ? .vpclmul : Implementation.pclmul.isSupported ? .pclmul : .zlib

    /// The CRC-32 of `count` bytes at `bytes`, continuing from `crc` (start from 0).
    @_spi(Testing) public static func checksum(_ bytes: UnsafeRawPointer, count: Int, continuing crc: UInt32 = 0) -> UInt32 {
        compute(bytes, count: count, continuing: crc, using: fastest)
    }

    /// The CRC-32 of `count` bytes at `bytes`, continuing from `crc`, computed by `implementation`.
    ///
    /// The implementation must be supported (``Implementation/isSupported``): the SIMD ones execute
    /// instructions other CPUs do not have.
    @_spi(Testing) public static func checksum(_ bytes: UnsafeRawPointer, count: Int, continuing crc: UInt32 = 0,
                                               using implementation: Implementation) -> UInt32 {
        precondition(implementation.isSupported, "\(implementation) is not supported on this CPU")
        return compute(bytes, count: count, continuing: crc, using: implementation)
    }

    private static func compute(_ bytes: UnsafeRawPointer, count: Int, continuing crc: UInt32,
                                using implementation: Implementation) -> UInt32 {
        precondition(count >= 0, "negative byte count")
        switch implementation {
        case .vpclmul: return nn_crc32_vpclmul(crc, bytes, count)
        case .pclmul: return nn_crc32_pclmul(crc, bytes, count)
        case .zlib:
            var value = uLong(crc)
            var offset = 0
            while offset < count {
                let n = min(count - offset, Int(UInt32.max))
                value = crc32(value, bytes.assumingMemoryBound(to: Bytef.self) + offset, uInt(n))
                offset += n
            }
            return UInt32(truncatingIfNeeded: value)
        }
    }

    /// The CRC-32 of a byte buffer.
    @_spi(Testing) public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        return checksum(base, count: bytes.count, continuing: crc)
    }

    /// The CRC-32 of an array of bytes.
    @_spi(Testing) public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
