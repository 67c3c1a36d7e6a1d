#if canImport(Glibc)
import Glibc
#endif

/// A regular file open for reading at positions (`pread`), into memory the caller owns.
///
/// nnmodel never maps files: a file truncated by another process while it is read gives
/// ``FileError/changedWhileReading(path:expected:found:)`` here, where a mapping would kill the
/// process with SIGBUS. The size is the one the file had when it was opened.
package final class ReadableFile: @unchecked Sendable {
    /// The path that was opened.
    package let path: String
    /// The file's size when it was opened.
    package let size: Int
    private let descriptor: Int32

    /// Opens the regular file at `path` (a FIFO or device is refused without blocking).
    package init(path: String) throws(FileError) {
        self.path = path
        (descriptor, size) = try FileReader.openRegularFile(path)
    }

    /// Takes over `descriptor`, open for reading (closed with this object, also when this throws),
    /// if it is a regular file; `path` names it in errors.
    package init(adopting descriptor: Int32, path: String) throws(FileError) {
        var st = stat()
        guard fstat(descriptor, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw .notAFile(path: path)
        }
        self.path = path
        self.descriptor = descriptor
        size = Int(st.st_size)
    }

    deinit { close(descriptor) }

    /// The file's status now (`fstat`), or `nil` if it cannot be had.
    package func status() -> stat? {
        var st = stat()
        return fstat(descriptor, &st) == 0 ? st : nil
    }

    /// Reads `buffer.count` bytes at `offset` into `buffer`.
    ///
    /// - Throws: ``FileError/changedWhileReading(path:expected:found:)`` when the file ends early,
    ///   ``FileError/readFailed(path:reason:)`` for an I/O error.
    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(FileError) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        guard offset >= 0, offset <= size, buffer.count <= size - offset else {
            throw .changedWhileReading(path: path, expected: size, found: offset)
        }
        var done = 0
        while done < buffer.count {
            let n = pread(descriptor, base + done, min(buffer.count - done, 1 << 30), off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .readFailed(path: path, reason: FileError.systemMessage(errno))
            }
            if n == 0 { throw .changedWhileReading(path: path, expected: size, found: offset + done) }
            done += n
        }
    }

    /// The whole file (as large as it was when opened), refusing more than `limit` bytes.
    package func allBytes(limit: Int = FileReader.wholeFileLimit) throws(FileError) -> [UInt8] {
        guard size <= limit else { throw .tooLarge(path: path, size: size, limit: limit) }
        return try bytes(at: 0, count: size)
    }

    /// The `count` bytes at `offset`.
    package func bytes(at offset: Int, count: Int) throws(FileError) -> [UInt8] {
        guard count >= 0 else { return [] }
        var out = [UInt8](repeating: 0, count: count)
        var failure: FileError?
        out.withUnsafeMutableBytes { raw in
            do throws(FileError) { try read(into: raw, at: offset) } catch { failure = error }
        }
        if let failure { throw failure }
        return out
    }

    /// Reads `count` bytes from `offset` in chunks of at most `chunkSize`, handing each to `body`
    /// (with its offset) in order: the memory held stays one chunk whatever the size.
    package func forEachChunk<E: Error>(
        from offset: Int, count: Int, chunkSize: Int = 1 << 22,
        _ body: (UnsafeRawBufferPointer, Int) throws(E) -> Void
    ) throws(ReadError<E>) {
        let chunk = max(1, min(chunkSize, count))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buffer.deallocate() }
        var done = 0
        while done < count {
            let n = min(chunk, count - done)
            let piece = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
            do { try read(into: piece, at: offset + done) } catch { throw .file(error) }
            do { try body(UnsafeRawBufferPointer(piece), offset + done) } catch { throw .body(error) }
            done += n
        }
    }
}

/// A failure of ``ReadableFile/forEachChunk(from:count:chunkSize:_:)``: reading, or the caller's body.
package enum ReadError<E: Error>: Error {
    case file(FileError)
    case body(E)
}
