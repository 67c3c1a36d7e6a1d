internal import CZlibNN

/// gzip decompression through zlib, streamed: output is produced into buffers the caller sizes,
/// so nothing is ever allocated from what a file merely declares (ISIZE, header sizes).
@_spi(Testing) public enum Gzip {
    /// Whether `bytes` start with the gzip magic number.
    @_spi(Testing) public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Decompresses gzip data (all members), refusing output beyond `limit` bytes.
    ///
    /// Inflates twice: once counting the output (in a small scratch buffer), then into a buffer of
    /// exactly that size, so the memory used is the output and never more (a stream that lies in
    /// its trailer, or inflates far beyond what it says, costs nothing extra).
    ///
    /// - Parameter path: the file the data came from, for error messages.
    /// - Throws: ``FileError/invalidGzip(path:reason:)`` for corrupt or truncated data, and
    ///   ``FileError/tooLarge(path:size:limit:)`` when the output would exceed `limit`.
    @_spi(Testing) public static func decompress(_ input: [UInt8], path: String, limit: Int = 1 << 33) throws(FileError) -> [UInt8] {
        let size = try GzipReader(input, path: path).skipToEnd(limit: limit)
        var output = [UInt8](repeating: 0, count: size)
        let reader = try GzipReader(input, path: path)
        var failure: FileError?
        output.withUnsafeMutableBytes { raw in
            do throws(FileError) { try reader.readExactly(into: raw) } catch { failure = error }
        }
        if let failure { throw failure }
        return output
    }
}

/// A gzip stream (one or more members) inflated on demand from compressed bytes in memory.
package final class GzipReader {
    private let input: [UInt8]
    private let path: String
    private var stream = z_stream()
    private var consumed = 0
    private var finished = false

    /// Starts inflating `input`; `path` names the data in errors.
    package init(_ input: [UInt8], path: String) throws(FileError) {
        guard !input.isEmpty else { throw .invalidGzip(path: path, reason: "the file is empty") }
        self.input = input
        self.path = path
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .invalidGzip(path: path, reason: "zlib could not start")
        }
    }

    deinit { inflateEnd(&stream) }

    /// Fills as much of `buffer` as the stream holds; returns the bytes written (fewer than the
    /// buffer only at the end of the stream).
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(FileError) -> Int {
        guard let outBase = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count > 0 else { return 0 }
        var produced = 0
        var failure: FileError?
        input.withUnsafeBufferPointer { inBuffer in
            guard let inBase = inBuffer.baseAddress else { return }
            while produced < buffer.count, !finished {
                let chunkIn = min(inBuffer.count - consumed, Int(UInt32.max))
                let chunkOut = min(buffer.count - produced, Int(UInt32.max))
                stream.next_in = UnsafeMutablePointer(mutating: inBase + consumed)
                stream.avail_in = uInt(chunkIn)
                stream.next_out = outBase + produced
                stream.avail_out = uInt(chunkOut)
                let status = inflate(&stream, Z_NO_FLUSH)
                consumed += chunkIn - Int(stream.avail_in)
                produced += chunkOut - Int(stream.avail_out)
                switch status {
                case Z_STREAM_END:
                    // Another gzip member may follow (what `cat a.gz b.gz` produces).
                    if consumed < inBuffer.count, inBuffer[consumed] == 0x1F {
                        guard inflateReset(&stream) == Z_OK else {
                            failure = .invalidGzip(path: path, reason: "zlib could not restart")
                            return
                        }
                    } else {
                        finished = true
                    }
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    if consumed >= inBuffer.count {
                        failure = .invalidGzip(path: path, reason: "the data ends early (truncated file?)")
                        return
                    }
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    failure = .invalidGzip(path: path, reason: message)
                    return
                }
            }
        }
        if let failure { throw failure }
        return produced
    }

    /// Fills all of `buffer`, or throws when the stream ends first.
    package func readExactly(into buffer: UnsafeMutableRawBufferPointer) throws(FileError) {
        let n = try read(into: buffer)
        guard n == buffer.count else {
            throw .invalidGzip(path: path, reason: "the data ends early (truncated file?)")
        }
    }

    /// Inflates the rest of the stream without keeping it and returns how many bytes it held,
    /// refusing more than `limit`.
    package func skipToEnd(limit: Int) throws(FileError) -> Int {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { scratch.deallocate() }
        var total = 0
        while true {
            // Never more than one byte past the limit, so the size reported is exact.
            let want = min(scratch.count, limit - total + 1)
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<want]))
            total += n
            guard total <= limit else { throw .tooLarge(path: path, size: total, limit: limit) }
            if n < want { return total }
        }
    }
}
