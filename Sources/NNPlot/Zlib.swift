import CZlibNN

/// Thin, throwing wrappers over the parts of zlib that PNG encoding needs.
enum Zlib {
    /// Compresses `data` into a zlib stream (RFC 1950) at `level` (0…9, or -1 for zlib's default).
    ///
    /// - Throws: ``PlotError/compressionFailed(code:message:)`` with zlib's
    ///   return code and message, e.g. for an out-of-range level.
    static func compress(_ data: [UInt8], level: Int) throws(PlotError) -> [UInt8] {
        guard let zlibLevel = Int32(exactly: level) else {
            throw PlotError.compressionFailed(code: Z_STREAM_ERROR,
                                              message: "compression level \(level) is out of range")
        }
        let sourceLength = uLong(data.count)
        var destinationLength = compressBound(sourceLength)
        var output = [UInt8](repeating: 0, count: Int(destinationLength))
        let status = output.withUnsafeMutableBufferPointer { destination in
            data.withUnsafeBufferPointer { source in
                compress2(destination.baseAddress, &destinationLength,
                          source.baseAddress, sourceLength, zlibLevel)
            }
        }
        guard status == Z_OK else {
            throw PlotError.compressionFailed(code: status, message: message(for: status, level: level))
        }
        output.removeSubrange(Int(destinationLength)...)
        return output
    }

    /// The CRC-32 (as used by PNG chunks) of `bytes`, continuing from `initial`.
    static func crc32(_ bytes: ArraySlice<UInt8>, initial: UInt32 = 0) -> UInt32 {
        var crc = uLong(initial)
        bytes.withUnsafeBufferPointer { buffer in
            guard var pointer = buffer.baseAddress else { return }
            var remaining = buffer.count
            // zlib's crc32 takes a 32-bit length; feed very large buffers in pieces.
            while remaining > 0 {
                let piece = min(remaining, Int(Int32.max))
                crc = CZlibNN.crc32(crc, pointer, uInt(piece))
                pointer += piece
                remaining -= piece
            }
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// A readable explanation of a zlib return code.
    private static func message(for status: Int32, level: Int) -> String {
        switch status {
        case Z_STREAM_ERROR:
            return "invalid compression level \(level) (use 0…9 or -1)"
        case Z_MEM_ERROR:
            return "not enough memory"
        case Z_BUF_ERROR:
            return "output buffer too small"
        default:
            if let text = zError(status) { return String(cString: text) }
            return "unknown zlib error"
        }
    }
}
