#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only view of a whole file through `mmap`, unmapped when released.
///
/// The mapping is private and copy-on-write: memory borrowed from it may be modified in place
/// without ever changing the file.
public final class MappedFile: @unchecked Sendable {
    /// The path that was mapped.
    public let path: String
    /// The file's bytes.
    public let bytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?
    /// Whether `mapping` is a heap copy (``init(contents:path:)``) rather than an `mmap`.
    private let isCopy: Bool

    /// Maps the regular file at `path`.
    public init(path: String) throws(FileError) {
        self.path = path
        isCopy = false
        let (fd, size) = try FileReader.openRegularFile(path)
        defer { close(fd) }
        if size == 0 {
            mapping = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw .readFailed(path: path, reason: "mmap: " + FileError.systemMessage(errno)) }
        mapping = p
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    /// A private, 64-byte-aligned copy of `contents` that behaves like a mapping of a file
    /// holding them; `path` only names it in messages.
    public init(contents: [UInt8], path: String) {
        self.path = path
        isCopy = true
        if contents.isEmpty {
            mapping = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let p = UnsafeMutableRawPointer.allocate(byteCount: contents.count, alignment: 64)
        contents.withUnsafeBytes { source in
            if let base = source.baseAddress { p.copyMemory(from: base, byteCount: source.count) }
        }
        mapping = p
        bytes = UnsafeRawBufferPointer(start: p, count: contents.count)
    }

    /// The number of bytes.
    public var count: Int { bytes.count }

    /// Writable (copy-on-write) access to `count` bytes at `offset`; the caller checked the range.
    public func mutablePointer(at offset: Int) -> UnsafeMutableRawPointer? {
        mapping.map { $0 + offset }
    }

    deinit {
        guard let mapping else { return }
        if isCopy { mapping.deallocate() } else { munmap(mapping, bytes.count) }
    }
}
