internal import CZlibNN

/// gzip and zlib decompression through zlib.
package enum Gzip {
    /// Whether `bytes` start with the gzip magic number.
    package static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Decompresses gzip data (all members), refusing output beyond `limit` bytes.
    ///
    /// - Parameter path: the file the data came from, for error messages.
    /// - Throws: ``FileError/invalidGzip(path:reason:)`` for corrupt or truncated data, and
    ///   ``FileError/tooLarge(path:size:limit:)`` when the output would exceed `limit`.
    package static func decompress(_ input: [UInt8], path: String, limit: Int = 1 << 33) throws(FileError) -> [UInt8] {
        guard !input.isEmpty else { throw .invalidGzip(path: path, reason: "the file is empty") }
        // The trailer's ISIZE (size mod 2^32 of the last member) is a good first guess.
        var guess = input.count * 4
        if input.count >= 18 {
            let n = input.count
            let isize = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
            if isize > 0, isize <= limit, isize <= input.count * 1100 { guess = isize }
        }
        var output = [UInt8](repeating: 0, count: max(64, min(guess, limit)))
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .invalidGzip(path: path, reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var produced = 0
        var consumed = 0
        var failure: FileError?
        input.withUnsafeBufferPointer { inBuffer in
            guard let inBase = inBuffer.baseAddress else { return }
            while true {
                if produced == output.count {
                    guard output.count < limit else {
                        failure = .tooLarge(path: path, size: output.count + 1, limit: limit)
                        return
                    }
                    output.append(contentsOf: repeatElement(0, count: min(output.count, limit - output.count)))
                }
                let chunkIn = min(inBuffer.count - consumed, Int(UInt32.max))
                let chunkOut = min(output.count - produced, Int(UInt32.max))
                let status: Int32 = output.withUnsafeMutableBufferPointer { outBuffer in
                    guard let outBase = outBuffer.baseAddress else { return Z_BUF_ERROR }
                    stream.next_in = UnsafeMutablePointer(mutating: inBase + consumed)
                    stream.avail_in = uInt(chunkIn)
                    stream.next_out = outBase + produced
                    stream.avail_out = uInt(chunkOut)
                    let s = inflate(&stream, Z_NO_FLUSH)
                    consumed += chunkIn - Int(stream.avail_in)
                    produced += chunkOut - Int(stream.avail_out)
                    return s
                }
                switch status {
                case Z_STREAM_END:
                    // Another gzip member may follow (what `cat a.gz b.gz` produces).
                    if consumed < inBuffer.count, inBuffer[consumed] == 0x1F {
                        guard inflateReset(&stream) == Z_OK else {
                            failure = .invalidGzip(path: path, reason: "zlib could not restart")
                            return
                        }
                        continue
                    }
                    return
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    if consumed >= inBuffer.count {
                        failure = .invalidGzip(path: path, reason: "the data ends early (truncated file?)")
                        return
                    }
                    continue
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    failure = .invalidGzip(path: path, reason: message)
                    return
                }
            }
        }
        if let failure { throw failure }
        output.removeLast(output.count - produced)
        return output
    }
}
