#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads with clear errors.
package enum FileReader {
    /// The size of the regular file at `path`.
    package static func size(of path: String) throws(FileError) -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else { throw FileError.reading(path) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw .isDirectory(path: path) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .notAFile(path: path) }
        return Int(st.st_size)
    }

    /// Whether `path` names an existing folder.
    package static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether anything exists at `path`.
    package static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// Opens the regular file at `path` for reading; the caller closes the descriptor.
    ///
    /// The file is opened without blocking and checked with `fstat` before anything waits on it,
    /// so a FIFO or a device given as a file is refused instead of hanging the process.
    ///
    /// - Returns: the descriptor and the file's size.
    /// - Throws: ``FileError`` naming the path when it is missing, a folder, not a regular file, or unreadable.
    package static func openRegularFile(_ path: String) throws(FileError) -> (descriptor: Int32, size: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw FileError.reading(path) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let error = FileError.reading(path)
            close(fd)
            throw error
        }
        let type = st.st_mode & S_IFMT
        guard type == S_IFREG else {
            close(fd)
            throw type == S_IFDIR ? .isDirectory(path: path) : .notAFile(path: path)
        }
        // Regular files never block; clear the flag anyway so reads behave as usual.
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        return (fd, Int(st.st_size))
    }

    /// The largest file read whole into memory (16 GiB).
    package static let wholeFileLimit = 1 << 34

    /// Reads the whole regular file at `path`, refusing files larger than `limit` bytes.
    package static func bytes(_ path: String, limit: Int = wholeFileLimit) throws(FileError) -> [UInt8] {
        let (fd, size) = try openRegularFile(path)
        defer { close(fd) }
        guard size <= limit else { throw .tooLarge(path: path, size: size, limit: limit) }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        var failure: Int32 = 0
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            while done < size {
                let n = read(fd, base + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if n == 0 { break }
                done += n
            }
        }
        if failure != 0 { throw .readFailed(path: path, reason: FileError.systemMessage(failure)) }
        if done < size { throw .changedWhileReading(path: path, expected: size, found: done) }
        return bytes
    }

    /// The first `count` bytes of the file at `path` (fewer if the file is shorter).
    package static func prefix(_ path: String, count: Int) throws(FileError) -> [UInt8] {
        let (fd, _) = try openRegularFile(path)
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, 0) }
        guard n >= 0 else { throw .readFailed(path: path, reason: FileError.systemMessage(errno)) }
        bytes.removeLast(count - n)
        return bytes
    }

    /// Lists the names in a folder (without `.` and `..`), sorted.
    package static func contents(ofDirectory path: String) throws(FileError) -> [String] {
        guard let dir = opendir(path) else { throw FileError.reading(path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> String in
                let bytes = raw.prefix { $0 != 0 }
                return String(decoding: bytes, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
