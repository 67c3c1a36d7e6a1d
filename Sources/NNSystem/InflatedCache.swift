#if canImport(Glibc)
import Glibc
#endif

/// A per-user cache of inflated gzip data files: a file decompressed once is read raw afterwards.
///
/// Inflating Fashion-MNIST's 7.8 MB gzip test images costs more than evaluating a model on
/// them, so the inflated bytes of a gzip file of at least ``minimumSourceSize`` bytes are kept in
/// the folder `$NNMODEL_CACHE_DIR`, else `$XDG_CACHE_HOME/nnmodel`, else `~/.cache/nnmodel`
/// (`NNMODEL_CACHE_DIR=` empty turns the cache off). There is one entry per source file
/// (device and inode), replaced when the file changes.
///
/// An entry is used only when everything about it agrees with the source as it is now: device,
/// inode, size, modification and status-change times, and the gzip trailer (its last 8 bytes);
/// and the cached bytes must have the CRC-32 recorded when they were written. The folder must be
/// the user's own and writable by no one else, and entries must be regular files owned by the
/// user (never followed through a link), so nobody else can plant data in it. Anything else, and
/// any error while reading or writing the cache, means inflating the file as if there were no
/// cache: a cache failure is never an error of the command.
///
/// Entry layout (little-endian): the magic `NNMINFL1`, then the source's size, modification time
/// (seconds, nanoseconds), status-change time (seconds, nanoseconds), device and inode as 64-bit
/// integers, its 8 trailer bytes, the length of the inflated bytes (64-bit), their CRC-32 (32-bit)
/// and 4 zero bytes; then the inflated bytes.
package struct InflatedCache: Sendable {
    /// The folder holding the entries.
    package let folder: String

    /// Sources smaller than this are not cached: they inflate in well under a millisecond.
    package static let minimumSourceSize = 256 << 10
    /// Inflated contents larger than this are not cached.
    package static let maximumContentSize = 1 << 31

    private static let magic: [UInt8] = Array("NNMINFL1".utf8)
    private static let headerSize = 88

    /// A cache in `folder` (created when first written, with mode 0700).
    package init(folder: String) {
        var folder = folder
        while folder.count > 1, folder.hasSuffix("/") { folder.removeLast() }
        self.folder = folder
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

    /// Whether `source` is worth caching.
    package static func isWorthCaching(_ source: ReadableFile) -> Bool {
        source.size >= minimumSourceSize
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
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_uid == geteuid(),
              Int(st.st_size) >= Self.headerSize else { return nil }
        var header = [UInt8](repeating: 0, count: Self.headerSize)
        guard header.withUnsafeMutableBytes({ readFully(fd, $0, at: 0) }) else { return nil }
        let expected = entry.header(length: 0, crc: 0)
        // Everything but the length and CRC must match the source as it is now.
        guard header[0..<72] == expected[0..<72], header[84..<88] == [0, 0, 0, 0] else { return nil }
        let length = Int(truncatingIfNeeded: Self.load64(header, at: 72))
        let crc = UInt32(truncatingIfNeeded: Self.load64(header, at: 80))
        guard length >= 0, length <= Self.maximumContentSize, Int(st.st_size) - Self.headerSize == length else { return nil }
        // Read straight into uninitialized memory: no pass to zero what is overwritten at once.
        var complete = false
        let content = [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            Self.adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            complete = readFully(fd, UnsafeMutableRawBufferPointer(buffer), at: Self.headerSize)
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
        guard length <= Self.maximumContentSize, Entry(source) == entry, let dir = openFolder(create: true) else { return }
        defer { close(dir) }
        var crc: UInt32 = 0
        for piece in pieces { crc = piece.withUnsafeBytes { CRC32.checksum($0, continuing: crc) } }
        let temporary = ".tmp-\(entry.name).\(getpid())"
        unlinkat(dir, temporary, 0)
        let fd = openat(dir, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        var written = true
        for piece in [entry.header(length: length, crc: crc)] + pieces where written {
            written = piece.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    guard let base = raw.baseAddress else { return false }
                    let n = write(fd, base + done, raw.count - done)
                    if n < 0, errno == EINTR { continue }
                    guard n > 0 else { return false }
                    done += n
                }
                return true
            }
        }
        close(fd)
        if !written || renameat(dir, temporary, dir, entry.name) != 0 { unlinkat(dir, temporary, 0) }
    }

    /// Opens the cache folder (creating it with mode 0700 when `create`), or `nil` when it is
    /// missing, not the user's own, or writable by others.
    private func openFolder(create: Bool) -> Int32? {
        if create, access(folder, F_OK) != 0 { makeFolders() }
        let dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dir >= 0 else { return nil }
        var st = stat()
        guard fstat(dir, &st) == 0, st.st_uid == geteuid(), st.st_mode & 0o022 == 0 else {
            close(dir)
            return nil
        }
        return dir
    }

    /// `mkdir -p` of the folder, each new level with mode 0700.
    private func makeFolders() {
        var path = folder.hasPrefix("/") ? "" : "."
        for part in folder.split(separator: "/") {
            path += "/" + part
            _ = mkdir(path, 0o700)
        }
    }

    private func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Bool {
        var done = 0
        while done < buffer.count {
            guard let base = buffer.baseAddress else { return false }
            let n = pread(fd, base + done, buffer.count - done, off_t(offset + done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        return true
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
            fields = [UInt64(source.size),
                      UInt64(bitPattern: Int64(status.st_mtim.tv_sec)), UInt64(bitPattern: Int64(status.st_mtim.tv_nsec)),
                      UInt64(bitPattern: Int64(status.st_ctim.tv_sec)), UInt64(bitPattern: Int64(status.st_ctim.tv_nsec)),
                      UInt64(status.st_dev), UInt64(status.st_ino)]
            self.trailer = trailer
            name = "\(String(UInt64(status.st_dev), radix: 16))-\(String(UInt64(status.st_ino), radix: 16)).inflated"
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
