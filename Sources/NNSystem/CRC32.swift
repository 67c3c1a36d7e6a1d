internal import CZlibNN

/// CRC-32 (ISO-HDLC, the polynomial of zlib, gzip and PNG) through zlib.
@_spi(Testing) public enum CRC32 {
    /// The CRC-32 of `count` bytes at `bytes`, continuing from `crc` (start from 0).
    @_spi(Testing) public static func checksum(_ bytes: UnsafeRawPointer, count: Int, continuing crc: UInt32 = 0) -> UInt32 {
        var value = uLong(crc)
        var offset = 0
        while offset < count {
            let n = min(count - offset, Int(UInt32.max))
            value = crc32(value, bytes.assumingMemoryBound(to: Bytef.self) + offset, uInt(n))
            offset += n
        }
        return UInt32(truncatingIfNeeded: value)
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
