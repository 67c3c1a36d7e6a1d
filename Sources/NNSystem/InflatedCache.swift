#if canImport(Glibc)
import Glibc
#endif

/// A per-user cache of inflated gzip data files: a file decompressed once is read raw afterwards.
///
/// Inflating Fashion-MNIST's 7.8 MB gzip test images costs more than evaluating a model on
/// them, so the inflated bytes of a gzip file of at least ``minimumSourceSize`` bytes are kept in
/// the folder `$NNMODEL_CACHE_DIR`, else `$XDG_CACHE_HOME/nnmodel`, else `~/.cache/nnmodel`
/// (`NNMODEL_CACHE_DIR=` empty turns the cache off). There is one entry per source file
/// (device and inode), replaced when the file changes; entries of at most
/// ``maximumContentSize`` bytes, and the oldest are removed when all of them pass
/// ``totalSize`` (1 GiB).
///
/// An entry is used only when everything about it agrees with the source as it is now: device,
/// inode, size, modification and status-change times, the CRC-32 of the whole compressed file
/// and its last 8 bytes; and the cached bytes must have the CRC-32 recorded when they were
/// written. The folder and every folder on the way to it must belong to the user or to root, and
/// be writable by no one else (a sticky folder such as `/tmp` aside, but not as the cache itself);
/// a link on the way must belong to the user or root; entries must be regular files owned by the
/// user, never read through a link. So nobody else can plant data in the cache or point its
/// writes elsewhere. Anything else, and any error while reading or writing the cache, means
/// inflating the file as if there were no cache: a cache failure is never an error of the command.
///
/// Entry layout (little-endian): the magic `NNMINFL2`, then the source's size, modification time
/// (seconds, nanoseconds), status-change time (seconds, nanoseconds), device, inode and CRC-32 as
/// 64-bit integers, its last 8 bytes, the length of the inflated bytes (64-bit), their CRC-32
/// (64-bit, high half zero); then the inflated bytes.
package struct InflatedCache: Sendable {
    /// The folder holding the entries.
    package let folder: String

    /// Sources smaller than this are not cached: they inflate in well under a millisecond.
    package static let minimumSourceSize = 256 << 10
    /// Inflated contents larger than this are not cached.
    package static let maximumContentSize = 512 << 20
    /// The default for ``totalSize``.
    package static let maximumTotalSize = 1 << 30

    private static let magic: [UInt8] = Array("NNMINFL2".utf8)
    /// Bytes before the inflated contents; the first ``keySize`` identify the source.
    private static let headerSize = 96
    private static let keySize = 80

    /// When the entries together hold more than this, the oldest are removed.
    package let totalSize: Int

    /// A cache in `folder` (created when first written, with mode 0700), whose entries are
    /// trimmed to `totalSize` bytes (``maximumTotalSize`` by default).
    package init(folder: String, totalSize: Int = InflatedCache.maximumTotalSize) {
        var folder = folder
        while folder.count > 1, folder.hasSuffix("/") { folder.removeLast() }
        self.folder = folder
        self.totalSize = totalSize
    }

    /// The cache the environment asks for, or `nil` when it is turned off (`NNMODEL_CACHE_DIR`
    /// set but empty) or there is no home folder. `environment` looks a variable up (tests).
    package static func fromEnvironment(_ environment: (String) -> String? = { getenv($0).map { String(cString: $0) } }) -> InflatedCache? {
        if let chosen = environment("NNMODEL_CACHE_DIR") {
            return chosen.isEmpty ? nil : InflatedCache(folder: chosen)
        }
        if let xdg = environment("XDG_CACHE_HOME"), xdg.hasPrefix("/") {
            return InflatedCache(folder: xdg + "/nnmodel")
        }
        guard let home = environment("HOME"), home.hasPrefix("/") else { return nil }
        return InflatedCache(folder: home + "/.cache/nnmodel")
    }

    /// Whether `source` is worth caching: large enough, and not larger than an entry may be
    /// (so the checksum of the key never reads more than that).
    package static func isWorthCaching(_ source: ReadableFile) -> Bool {
        source.size >= minimumSourceSize && source.size <= maximumContentSize
    }

    /// The cache entry for the gzip file `source` as it is now (to be taken before its bytes are
    /// read), or `nil` when it is not worth caching or its status cannot be had.
    package func entry(for source: ReadableFile) -> Entry? {
        guard Self.isWorthCaching(source) else { return nil }
        return Entry(source)
    }

    /// The cached inflated contents of the source of `entry`, when they were stored for the very
    /// same version of the file; `nil` otherwise.
    package func contents(of entry: Entry) -> [UInt8]? {
        guard let dir = openFolder(create: false) else { return nil }
        defer { close(dir) }
        let fd = openat(dir, entry.name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0, let file = try? ReadableFile(adopting: fd, path: folder + "/" + entry.name),
              file.status()?.st_uid == geteuid(), file.size >= Self.headerSize,
              let header = try? file.bytes(at: 0, count: Self.headerSize) else { return nil }
        let expected = entry.header(length: 0, crc: 0)
        // Everything but the length and CRC must match the source as it is now.
        guard header[0..<Self.keySize] == expected[0..<Self.keySize], header[92..<96] == [0, 0, 0, 0] else { return nil }
        let length = Int(truncatingIfNeeded: Self.load64(header, at: 80))
        let crc = UInt32(truncatingIfNeeded: Self.load64(header, at: 88))
        guard length >= 0, length <= Self.maximumContentSize, file.size - Self.headerSize == length else { return nil }
        // Read straight into uninitialized memory: no pass to zero what is overwritten at once.
        var complete = false
        let content = [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            Self.adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            complete = (try? file.read(into: UnsafeMutableRawBufferPointer(buffer), at: Self.headerSize)) != nil
            if !complete { UnsafeMutableRawBufferPointer(buffer).initializeMemory(as: UInt8.self, repeating: 0) }
            initialized = length
        }
        guard complete, CRC32.checksum(content) == crc else { return nil }
        return content
    }

    /// Records `pieces`, concatenated, as the inflated contents of the source of `entry`, if the
    /// source is still the version `entry` was taken from. Written to a temporary name and renamed
    /// into place; failures leave nothing behind and are ignored.
    package func store(_ pieces: [[UInt8]], as entry: Entry, source: ReadableFile) {
        let length = pieces.reduce(0) { $0 + $1.count }
        // A write past the file-size limit would kill the process (SIGXFSZ), not fail.
        guard length <= Self.maximumContentSize, AtomicFile.fileSizeLimit.map({ $0 > UInt64(Self.headerSize + length) }) ?? true,
              Entry(source) == entry, let dir = openFolder(create: true) else { return }
        defer { close(dir) }
        var crc: UInt32 = 0
        for piece in pieces { crc = piece.withUnsafeBytes { CRC32.checksum($0, continuing: crc) } }
        // A name no other writer (process or thread) uses; the pid lets a later store remove it
        // if this process dies before the rename.
        let temporary = "\(Self.temporaryPrefix)\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))-\(entry.name)"
        let fd = openat(dir, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        var written = true
        for piece in [entry.header(length: length, crc: crc)] + pieces where written {
            written = (try? AtomicFile.writeAll(fd, piece, path: temporary)) != nil
        }
        close(fd)
        if !written || renameat(dir, temporary, dir, entry.name) != 0 {
            unlinkat(dir, temporary, 0)
            return
        }
        Self.tidy(dir, keeping: entry.name, total: totalSize)
    }

    /// The names of the folder's entries (at most 10,000), with a size and modification time each.
    private static func listing(_ dir: Int32) -> [(name: String, size: Int, modified: Int)] {
        let copy = dup(dir)
        guard copy >= 0, let stream = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            return []
        }
        defer { closedir(stream) }
        // The copy shares its position with `dir`, which an earlier listing left at the end.
        rewinddir(stream)
        var found: [(name: String, size: Int, modified: Int)] = []
        while found.count < 10_000, let item = readdir(stream) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name != ".", name != ".." else { continue }
            var st = stat()
            guard fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            found.append((name, Int(st.st_size), Int(st.st_mtim.tv_sec)))
        }
        return found
    }

    /// Temporary entries are named `.tmp-<pid>-<random>-<entry>`.
    private static let temporaryPrefix = ".tmp-"

    /// After a store, in one pass over the folder: removes the temporary entries of processes
    /// that no longer exist (killed while storing), then the oldest entries while all of them
    /// hold more than `limit` bytes.
    private static func tidy(_ dir: Int32, keeping kept: String, total limit: Int) {
        var entries: [(name: String, size: Int, modified: Int)] = []
        for item in listing(dir) {
            if item.name.hasPrefix(temporaryPrefix) {
                if let pid = Int32(item.name.dropFirst(temporaryPrefix.count).prefix { $0 != "-" }), pid > 0,
                   kill(pid, 0) != 0, errno == ESRCH {
                    unlinkat(dir, item.name, 0)
                }
            } else if item.name.hasSuffix(".inflated") {
                entries.append(item)
            }
        }
        var total = entries.reduce(0) { $0 + $1.size }
        entries.sort { $0.modified < $1.modified }
        for entry in entries where total > limit && entry.name != kept {
            if unlinkat(dir, entry.name, 0) == 0 { total -= entry.size }
        }
    }

    /// Opens the cache folder (creating what is missing with mode 0700 when `create`), walking
    /// the path one folder at a time: `nil` when a folder on the way belongs to someone other than
    /// the user or root, or others can write it (unless it is sticky: `/tmp`), when a link on the
    /// way belongs to someone else, or when the cache folder itself is not the user's own and
    /// writable by the user alone.
    private func openFolder(create: Bool) -> Int32? {
        var path = folder
        if !path.hasPrefix("/") {
            guard let cwd = getcwd(nil, 0) else { return nil }
            path = String(cString: cwd) + "/" + path
            free(cwd)
        }
        let me = geteuid()
        func trusted(_ st: stat, last: Bool) -> Bool {
            if last { return st.st_uid == me && st.st_mode & 0o022 == 0 }
            return (st.st_uid == me || st.st_uid == 0) && (st.st_mode & 0o022 == 0 || st.st_mode & S_ISVTX != 0)
        }
        var dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dir >= 0 else { return nil }
        let parts = path.split(separator: "/").map(String.init).filter { $0 != "." }
        for (index, part) in parts.enumerated() {
            let last = index == parts.count - 1
            var link = stat()
            if fstatat(dir, part, &link, AT_SYMLINK_NOFOLLOW) != 0 {
                guard create, errno == ENOENT, part != "..", mkdirat(dir, part, 0o700) == 0 || errno == EEXIST,
                      fstatat(dir, part, &link, AT_SYMLINK_NOFOLLOW) == 0 else {
                    close(dir)
                    return nil
                }
            }
            let isLink = link.st_mode & S_IFMT == S_IFLNK
            guard !isLink || link.st_uid == me || link.st_uid == 0 else {
                close(dir)
                return nil
            }
            let next = openat(dir, part, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (isLink ? 0 : O_NOFOLLOW))
            close(dir)
            guard next >= 0 else { return nil }
            dir = next
            var st = stat()
            guard fstat(dir, &st) == 0, trusted(st, last: last) else {
                close(dir)
                return nil
            }
        }
        var st = stat()
        guard !parts.isEmpty || (fstat(dir, &st) == 0 && trusted(st, last: true)) else {
            close(dir)
            return nil
        }
        return dir
    }

    /// Asks for transparent huge pages for the whole 2 MiB pages inside `buffer`, not yet touched:
    /// filling 8 MB then takes 4 page faults instead of 2,000 (a third of evaluating the test set
    /// went to page faults). Only advice: the kernel may ignore it.
    private static func adviseHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
        let huge = 1 << 21
        guard let base = buffer.baseAddress, buffer.count >= 2 * huge else { return }
        let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
        let end = (Int(bitPattern: base) + buffer.count) & ~(huge - 1)
        if end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) {
            _ = madvise(pointer, end - start, MADV_HUGEPAGE)
        }
    }

    private static func load64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }

    /// What identifies one version of a source file: its status and gzip trailer.
    package struct Entry: Equatable, Sendable {
        private var fields: [UInt64]
        private var trailer: [UInt8]
        /// The entry's file name in the cache folder (one per device and inode).
        package var name: String

        init?(_ source: ReadableFile) {
            guard let status = source.status(), source.size >= 8, Int(status.st_size) == source.size,
                  let trailer = try? source.bytes(at: source.size - 8, count: 8) else { return nil }
            // The whole compressed file's CRC-32 (0.5 ms for Fashion-MNIST's test images): times and
            // inodes alone repeat on file-system images built with fixed timestamps, and bytes
            // after the last gzip member make its trailer say nothing.
            guard let crc = Entry.checksum(source) else { return nil }
            fields = [UInt64(source.size),
                      UInt64(bitPattern: Int64(status.st_mtim.tv_sec)), UInt64(bitPattern: Int64(status.st_mtim.tv_nsec)),
                      UInt64(bitPattern: Int64(status.st_ctim.tv_sec)), UInt64(bitPattern: Int64(status.st_ctim.tv_nsec)),
                      UInt64(status.st_dev), UInt64(status.st_ino), UInt64(crc)]
            self.trailer = trailer
            name = "\(String(UInt64(status.st_dev), radix: 16))-\(String(UInt64(status.st_ino), radix: 16)).inflated"
        }

        /// The CRC-32 of the whole file, read in 64 KiB pieces through one buffer.
        static func checksum(_ source: ReadableFile) -> UInt32? {
            var crc: UInt32 = 0
            do {
                try source.forEachChunk(from: 0, count: source.size, chunkSize: 1 << 16) { (piece, _) throws(Never) in
                    crc = CRC32.checksum(piece, continuing: crc)
                }
            } catch {
                return nil
            }
            return crc
        }

        func header(length: Int, crc: UInt32) -> [UInt8] {
            var out = InflatedCache.magic
            func append(_ value: UInt64) { for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) } }
            fields.forEach(append)
            out += trailer
            append(UInt64(length))
            append(UInt64(crc))
            return out
        }
    }
}
