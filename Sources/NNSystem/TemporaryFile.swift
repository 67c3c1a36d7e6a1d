#if canImport(Glibc)
import Glibc
#endif

/// A private scratch file in the system's temporary folder (`$TMPDIR`, else `/tmp`): created
/// with `mkstemp` (mode 0600, a new name that cannot be a link), written through its descriptor,
/// and removed by ``remove()`` or when released.
package final class TemporaryFile: @unchecked Sendable {
    /// The file's path.
    package let path: String
    private var descriptor: Int32

    /// Creates an empty file whose name starts with `nnmodel-<label>-`.
    package init(label: String) throws(FileError) {
        var folder = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        if folder.isEmpty { folder = "/tmp" }
        while folder.count > 1, folder.hasSuffix("/") { folder.removeLast() }
        var template = Array("\(folder)/nnmodel-\(label)-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
        let name = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard fd >= 0 else { throw .cannotCreate(path: name, reason: FileError.systemMessage(errno)) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        descriptor = fd
        path = name
    }

    /// Appends `bytes`.
    package func write(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        guard descriptor >= 0 else { throw .writeFailed(path: path, reason: "the file was removed") }
        try AtomicFile.writeAll(descriptor, bytes, path: path)
    }

    /// Appends `bytes`.
    package func write(_ bytes: [UInt8]) throws(FileError) {
        guard descriptor >= 0 else { throw .writeFailed(path: path, reason: "the file was removed") }
        try AtomicFile.writeAll(descriptor, bytes, path: path)
    }

    /// Closes and deletes the file (readers that opened it keep reading it until they close it).
    package func remove() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
        unlink(path)
    }

    deinit { remove() }
}
