#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a file atomically: content goes to a temporary file in the same folder, which is
/// flushed to disk and then renamed over the target. A save interrupted at any point leaves
/// either the old file or the new one under the target name, never a mix.
package enum AtomicFile {
    /// The prefix of temporary files, so leftovers of a killed process can be recognised.
    package static let temporaryPrefix = ".nnmodel-tmp-"

    /// Writes `bytes` to `path` atomically.
    package static func write(_ bytes: [UInt8], to path: String) throws(FileError) {
        try replace(path) { (temporary: String) throws(FileError) in
            let fd = open(temporary, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw .writeFailed(path: path, reason: FileError.systemMessage(errno)) }
            defer { close(fd) }
            try writeAll(fd, bytes, path: path)
        }
    }

    /// Writes every byte to a descriptor, retrying short writes.
    package static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileError) {
        var failure: FileError?
        bytes.withUnsafeBytes { raw in
            do throws(FileError) { try writeAll(fd, raw, path: path) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes every byte of a buffer to a descriptor, retrying short writes.
    package static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer, path: String) throws(FileError) {
        guard let base = raw.baseAddress else { return }
        var done = 0
        while done < raw.count {
            let n = Glibc.write(fd, base + done, min(raw.count - done, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw .writeFailed(path: path, reason: FileError.systemMessage(errno))
            }
            done += n
        }
    }

    /// Creates an empty temporary file beside `path`, lets `fill` write it by path, flushes it,
    /// and renames it over `path`. The temporary file is removed if anything fails.
    package static func replace<E: Error>(_ path: String, fill: (String) throws(E) -> Void) throws(FileError) {
        let folder = folderName(of: path)
        guard FileReader.isDirectory(folder) else { throw .folderMissing(path: path, folder: folder) }
        if FileReader.isDirectory(path) { throw .isDirectory(path: path) }
        removeLeftovers(for: path)
        let prefix = folder == "." && !path.hasPrefix("./") ? "" : folder + "/"
        var template = Array((prefix + temporaryPrefix + baseName(of: path) + ".\(getpid()).XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
        guard fd >= 0 else { throw .writeFailed(path: path, reason: FileError.systemMessage(errno)) }
        close(fd)
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var committed = false
        defer { if !committed { unlink(temporary) } }
        // Match the permissions a new file would get (mkstemp creates 0600).
        let mask = umask(0)
        umask(mask)
        chmod(temporary, 0o666 & ~mask)
        FaultInjection.reached(.created)
        do {
            try fill(temporary)
        } catch let error as FileError {
            throw error
        } catch {
            throw .writeFailed(path: path, reason: "\(error)")
        }
        FaultInjection.reached(.written)
        try sync(temporary, path: path)
        FaultInjection.reached(.synced)
        guard rename(temporary, path) == 0 else {
            throw .writeFailed(path: path, reason: FileError.systemMessage(errno))
        }
        committed = true
        FaultInjection.reached(.renamed)
        // Make the rename itself durable.
        let dirfd = open(folder, O_RDONLY | O_CLOEXEC)
        if dirfd >= 0 {
            fsync(dirfd)
            close(dirfd)
        }
    }

    private static func sync(_ temporary: String, path: String) throws(FileError) {
        let fd = open(temporary, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .writeFailed(path: path, reason: FileError.systemMessage(errno)) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .writeFailed(path: path, reason: "fsync: " + FileError.systemMessage(errno)) }
    }

    /// The folder part of a path (`"."` when there is none).
    package static func folderName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of a path.
    package static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Removes temporary files that saves of `path` left behind when their process was killed
    /// (the process id in the name no longer runs); returns how many.
    @discardableResult
    package static func removeLeftovers(for path: String) -> Int {
        let folder = folderName(of: path)
        let prefix = temporaryPrefix + baseName(of: path) + "."
        guard let names = try? FileReader.contents(ofDirectory: folder) else { return 0 }
        var removed = 0
        for name in names where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            guard let dot = rest.firstIndex(of: "."), let pid = Int32(rest[..<dot]) else { continue }
            if pid != getpid(), kill(pid, 0) != 0, errno == ESRCH, unlink(folder + "/" + name) == 0 {
                removed += 1
            }
        }
        return removed
    }
}
