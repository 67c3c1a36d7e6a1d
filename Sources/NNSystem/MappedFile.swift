#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only view of a whole file through `mmap`, unmapped when released.
///
/// The mapping is private: memory borrowed from it with ``mutablePointer(at:)`` may be modified
/// in place (copy-on-write) without ever changing the file. A mapping made with
/// `writable: false` lends no such memory.
package final class MappedFile: @unchecked Sendable {
    /// The path that was mapped.
    package let path: String
    /// The file's bytes.
    package let bytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?
    /// Whether `mapping` is a heap copy (``init(contents:path:)``) rather than an `mmap`.
    private let isCopy: Bool
    /// Whether ``mutablePointer(at:)`` may lend the memory out for copy-on-write changes.
    private let isWritable: Bool

    /// Maps the regular file at `path`.
    ///
    /// - Parameter writable: whether ``mutablePointer(at:)`` may lend the mapped memory for
    ///   private changes; a read-only mapping can instead give its pages back with
    ///   ``releaseResidentPages()``.
    package init(path: String, writable: Bool = true) throws(FileError) {
        self.path = path
        isCopy = false
        isWritable = writable
        let (fd, size) = try FileReader.openRegularFile(path)
        defer { close(fd) }
        if size == 0 {
            mapping = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let p = mmap(nil, size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw .readFailed(path: path, reason: "mmap: " + FileError.systemMessage(errno)) }
        mapping = p
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    /// A private, 64-byte-aligned copy of `contents` that behaves like a mapping of a file
    /// holding them; `path` only names it in messages.
    package init(contents: [UInt8], path: String) {
        self.path = path
        isCopy = true
        isWritable = true
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
    package var count: Int { bytes.count }

    /// Writable (copy-on-write) access to `count` bytes at `offset`; the caller checked the range.
    /// `nil` for a mapping made with `writable: false`.
    package func mutablePointer(at offset: Int) -> UnsafeMutableRawPointer? {
        isWritable ? mapping.map { $0 + offset } : nil
    }

    /// Gives the mapping's physical pages back to the system, so that a file read through once
    /// (scanned, checksummed) does not stay in the process's resident memory. The bytes stay
    /// readable: the next read faults them in again from the page cache or the file. Only for
    /// a read-only mapping (`writable: false`); does nothing otherwise.
    package func releaseResidentPages() {
        #if canImport(Glibc)
        guard !isCopy, !isWritable, let mapping else { return }
        _ = madvise(mapping, bytes.count, MADV_DONTNEED)
        #endif
    }

    deinit {
        guard let mapping else { return }
        if isCopy { mapping.deallocate() } else { munmap(mapping, bytes.count) }
    }
}
