internal import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// Replaces a file atomically: content goes to a temporary file in the same folder, which is
/// flushed to disk and then renamed over the target. A save interrupted at any point leaves
/// either the old file or the new one under the target name, never a mix.
///
/// The temporary file is written through the descriptor that created it (never reopened by
/// name), and a target that is not a regular file (a folder, device, FIFO, socket) or is a
/// symbolic link is refused before anything is written: a save replaces a file, it never writes
/// through a link or into a device.
package enum AtomicFile {
    /// The prefix of temporary files, so leftovers of a killed process can be recognised.
    package static let temporaryPrefix = ".nnmodel-tmp-"

    /// Checks that `path` can be saved to: its folder exists, and nothing, or a regular file,
    /// is there now (the rule for symbolic links: refused, whatever they point to).
    package static func checkTarget(_ path: String) throws(FileError) {
        let folder = folderName(of: path)
        var st = stat()
        guard stat(folder, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw .folderMissing(path: path, folder: folder)
        }
        guard access(folder, W_OK) == 0 else {
            throw .cannotCreate(path: path, reason: "folder '\(folder)': \(FileError.systemMessage(errno))")
        }
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT { return }
            throw .cannotCreate(path: path, reason: FileError.systemMessage(errno))
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw .unsuitableTarget(path: path, reason: "it is a folder")
        case S_IFLNK: throw .unsuitableTarget(path: path, reason: "it is a symbolic link (give the path of the file itself)")
        default: throw .unsuitableTarget(path: path, reason: "it is not a regular file (a device, FIFO or socket)")
        }
    }

    /// Writes `bytes` to `path` atomically.
    package static func write(_ bytes: [UInt8], to path: String) throws(FileError) {
        try replace(path) { (fd: Int32) throws(FileError) in try writeAll(fd, bytes, path: path) }
    }

    /// Reserves disk space for the first `bytes` bytes of the file open as `fd` without changing
    /// its size, for writers that cannot recover from a write failing midway (libhdf5 1.10 crashes
    /// at exit after one): a disk too full for them fails here, cleanly, before anything is written.
    /// Where the file system cannot reserve space this does nothing. The process's file-size
    /// limit (`ulimit -f`), which reserving space does not check, is checked here too.
    package static func reserve(_ fd: Int32, bytes: Int, path: String) throws(FileError) {
        if FaultInjection.failsWrites { throw .writeFailed(path: path, reason: FileError.systemMessage(ENOSPC)) }
        if let limit = fileSizeLimit, UInt64(max(0, bytes)) > limit {
            throw .writeFailed(path: path, reason: "\(FileError.systemMessage(EFBIG)) (about \(bytes) bytes to write, the file-size limit is \(limit))")
        }
        let status = nn_reserve_file_space(fd, Int64(bytes))
        if status == ENOSPC || status == EDQUOT || status == EFBIG {
            throw .writeFailed(path: path, reason: FileError.systemMessage(status))
        }
    }

    /// The process's file-size limit in bytes (`ulimit -f`), or nil when there is none: a write past
    /// it fails with EFBIG (nnmodel ignores SIGXFSZ), which some writers cannot recover from.
    package static var fileSizeLimit: UInt64? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        return UInt64(limit.rlim_cur)
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
        if FaultInjection.failsWrites { throw .writeFailed(path: path, reason: FileError.systemMessage(ENOSPC)) }
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

    /// Creates a temporary file beside `path`, lets `fill` write it through its descriptor,
    /// flushes it and renames it over `path`. The temporary file is removed if anything fails.
    ///
    /// The name is checked to still be the file written just before the rename, and `path` just
    /// after it: a swap that wins the race between the two is reported, never taken for success.
    /// `beforeRename` (tests only) runs between the check and the rename, with the temporary name.
    package static func replace(_ path: String, fill: (Int32) throws(FileError) -> Void,
                                beforeRename: ((String) -> Void)? = nil) throws(FileError) {
        try replace(path, fillOpened: { (fd: Int32, _: String) throws(FileError) in try fill(fd) }, beforeRename: beforeRename)
    }

    /// ``replace(_:fill:beforeRename:)`` for a writer that opens the file itself (libhdf5): `fill`
    /// also gets a name that opens the very file the descriptor is, `/proc/self/fd/N` where there
    /// is one (so a name swapped meanwhile is never written through), else the temporary name.
    package static func replace(_ path: String, fillOpened fill: (Int32, String) throws(FileError) -> Void,
                                beforeRename: ((String) -> Void)? = nil) throws(FileError) {
        try checkTarget(path)
        removeLeftovers(for: path)
        // A new name (O_EXCL, never through a link) with the permissions of an ordinary new file:
        // the kernel applies the umask. (Reading the umask means setting it, which races with
        // other threads creating files: a folder made meanwhile would be world-writable.)
        var fd: Int32 = -1
        var temporary = ""
        for _ in 0..<64 {
            let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
            temporary = temporaryName(for: path, suffix: suffix)
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw .cannotCreate(path: path, reason: FileError.systemMessage(errno)) }
        var committed = false
        defer {
            close(fd)
            if !committed { unlink(temporary) }
        }
        FaultInjection.reached(.created)
        let byDescriptor = "/proc/self/fd/\(fd)"
        try fill(fd, access(byDescriptor, W_OK) == 0 ? byDescriptor : temporary)
        FaultInjection.reached(.written)
        guard fsync(fd) == 0 else { throw .writeFailed(path: path, reason: "fsync: " + FileError.systemMessage(errno)) }
        FaultInjection.reached(.synced)
        // The name must still be the file written: a name swapped meanwhile is not moved into place.
        var written = stat(), named = stat()
        guard fstat(fd, &written) == 0, lstat(temporary, &named) == 0, named.st_dev == written.st_dev,
              named.st_ino == written.st_ino else {
            throw .writeFailed(path: path, reason: "the temporary file was replaced by something else")
        }
        beforeRename?(temporary)
        try commit(temporary, to: path)
        committed = true
        var placed = stat()
        guard lstat(path, &placed) == 0, placed.st_dev == written.st_dev, placed.st_ino == written.st_ino else {
            throw .writeFailed(path: path, reason: "the temporary file was replaced by something else while it was renamed into place (what is there now is not the file written)")
        }
    }

    /// ``replace(_:fillOpened:beforeRename:)`` for a `fill` that may also fail for reasons of its
    /// own (a source that cannot be read, a checksum that differs, a library's error): such an error
    /// is thrown as it is once the temporary file is removed; the file's own errors as `FileError`.
    package static func replace(_ path: String, fillOrFail fill: (_ fd: Int32, _ name: String) throws -> Void) throws {
        var failure: (any Error)?
        do throws(FileError) {
            try replace(path, fillOpened: { (fd: Int32, name: String) throws(FileError) in
                do { try fill(fd, name) } catch let error as FileError { throw error } catch {
                    failure = error
                    throw .writeFailed(path: path, reason: "\(error)")
                }
            })
        } catch {
            if let failure { throw failure }
            throw error
        }
    }

    /// Renames the flushed temporary file over `path` and flushes the folder.
    private static func commit(_ temporary: String, to path: String) throws(FileError) {
        guard rename(temporary, path) == 0 else {
            throw .writeFailed(path: path, reason: FileError.systemMessage(errno))
        }
        FaultInjection.reached(.renamed)
        // Make the rename itself durable.
        let dirfd = open(folderName(of: path), O_RDONLY | O_CLOEXEC | O_DIRECTORY)
        if dirfd >= 0 {
            fsync(dirfd)
            close(dirfd)
        }
    }

    /// `<folder>/.nnmodel-tmp-<name>.<pid>.<suffix>`.
    private static func temporaryName(for path: String, suffix: String) -> String {
        let folder = folderName(of: path)
        let prefix = folder == "." && !path.hasPrefix("./") ? "" : folder + "/"
        return prefix + temporaryPrefix + baseName(of: path) + ".\(getpid()).\(suffix)"
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
            var st = stat()
            guard lstat(folder + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            if pid != getpid(), kill(pid, 0) != 0, errno == ESRCH, unlink(folder + "/" + name) == 0 {
                removed += 1
            }
        }
        return removed
    }
}
