@_spi(Testing) import NNSystem

/// A gzip member holding `bytes` in stored (uncompressed) deflate blocks, written by hand from
/// RFC 1951/1952 so the tests do not depend on the decompressor's own library to make input.
package func storedGzip(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]  // no flags, mtime 0, unknown OS
    var offset = 0
    repeat {
        let n = min(65_535, bytes.count - offset)
        let last: UInt8 = offset + n == bytes.count ? 1 : 0
        out += [last, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
        out += bytes[offset..<offset + n]
        offset += n
    } while offset < bytes.count
    let crc = CRC32.checksum(bytes), size = UInt32(truncatingIfNeeded: bytes.count)
    for v in [crc, size] { out += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
    return out
}
