import Foundation
import NNTestSupport
import Testing
@_spi(Testing) @testable import NNData
@testable import NNSystem

/// The per-user cache of inflated gzip data files: used only for the very version of the file
/// it was written from, from a folder nobody else can write, never through links, and never an
/// error of its own.
@Suite struct InflatedCacheTests {
    /// An IDX file of 375 "images" of 28×28 pseudo-random pixels (294,016 bytes, stored gzip of
    /// about the same size: above the size worth caching).
    static func images(seed: UInt8 = 0) -> [UInt8] {
        var state = UInt32(seed) &+ 12345
        let pixels: [UInt8] = (0..<375 * 28 * 28).map { _ in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16)
        }
        return idx([375, 28, 28], pixels)
    }

    /// The entry files in `folder`.
    static func entries(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".inflated") && !$0.hasPrefix(".tmp-") }.sorted()
    }

    @Test func aSecondReadComesFromTheCache() throws {
        let folder = try TemporaryFolder()
        let cache = InflatedCache(folder: folder.file("cache/nested"))
        let plain = Self.images()
        let path = try folder.write("images.gz", storedGzip(plain))
        let first = try IDXFile(path: path, cache: cache)
        #expect(first.header + first.bytes == plain)
        let names = Self.entries(cache.folder)
        #expect(names.count == 1)
        let mode = try #require(FileManager.default.attributesOfItem(atPath: cache.folder)[.posixPermissions] as? Int)
        #expect(mode == 0o700)
        // The entry holds the inflated bytes, after a 96-byte header.
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: cache.folder + "/" + names[0]))).dropFirst(96) == ArraySlice(plain))
        let second = try IDXFile(path: path, cache: cache)
        #expect(second.dimensions == [375, 28, 28])
        #expect(second.bytes == first.bytes)

        // What a second read returns is what the entry holds (the folder is the trust boundary):
        // an entry written for this version of the file with other pixels is what is read.
        let source = try ReadableFile(path: path)
        let entry = try #require(cache.entry(for: source))
        let other = Self.images(seed: 7)
        cache.store([other], as: entry, source: source)
        #expect(try IDXFile(path: path, cache: cache).bytes == Array(other.dropFirst(16)))
        #expect(try IDXFile(path: path, cache: nil).bytes == first.bytes)
    }

    @Test func aChangedSourceIsInflatedAgain() throws {
        let folder = try TemporaryFolder()
        let cache = InflatedCache(folder: folder.file("cache"))
        let path = try folder.write("images.gz", storedGzip(Self.images()))
        _ = try IDXFile(path: path, cache: cache)
        // Same size, other contents, written in place: the times and the trailer change.
        let changed = Self.images(seed: 3)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.write(contentsOf: storedGzip(changed))
        try handle.close()
        #expect(try IDXFile(path: path, cache: cache).bytes == Array(changed.dropFirst(16)))
        #expect(Self.entries(cache.folder).count == 1)  // one entry per file, replaced
    }

    @Test func damagedTruncatedOrLinkedEntriesAreIgnored() throws {
        let folder = try TemporaryFolder()
        let cache = InflatedCache(folder: folder.file("cache"))
        let plain = Self.images()
        let path = try folder.write("images.gz", storedGzip(plain))
        _ = try IDXFile(path: path, cache: cache)
        let source = try ReadableFile(path: path)
        let entry = try #require(cache.entry(for: source))
        let entryPath = cache.folder + "/" + entry.name
        let good = try Data(contentsOf: URL(fileURLWithPath: entryPath))
        #expect(cache.contents(of: entry) == plain)

        var flipped = good
        flipped[1000] ^= 0x40
        try flipped.write(to: URL(fileURLWithPath: entryPath))
        #expect(cache.contents(of: entry) == nil)
        #expect(try IDXFile(path: path, cache: cache).header + IDXFile(path: path, cache: cache).bytes == plain)
        #expect(try Data(contentsOf: URL(fileURLWithPath: entryPath)) == good)  // written again

        try good.prefix(good.count - 1).write(to: URL(fileURLWithPath: entryPath))
        #expect(cache.contents(of: entry) == nil)
        try good.prefix(40).write(to: URL(fileURLWithPath: entryPath))
        #expect(cache.contents(of: entry) == nil)

        // A link to a good entry is not followed.
        let elsewhere = try folder.write("elsewhere", Array(good))
        try FileManager.default.removeItem(atPath: entryPath)
        try FileManager.default.createSymbolicLink(atPath: entryPath, withDestinationPath: elsewhere)
        #expect(cache.contents(of: entry) == nil)
        #expect(try IDXFile(path: path, cache: cache).bytes == Array(plain.dropFirst(16)))
    }

    @Test func leftoversOfDeadWritersAreRemoved() throws {
        let folder = try TemporaryFolder()
        let cache = InflatedCache(folder: folder.file("cache"))
        try FileManager.default.createDirectory(atPath: cache.folder, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        // A writer killed before its rename (no such pid), and one still running (this process).
        let dead = ".tmp-2147483600-1f-fe00-1.inflated", alive = ".tmp-\(getpid())-2e-fe00-2.inflated"
        for name in [dead, alive, "unrelated"] { try folder.write("cache/" + name, [1]) }
        let path = try folder.write("images.gz", storedGzip(Self.images()))
        _ = try IDXFile(path: path, cache: cache)
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: cache.folder))
        #expect(!names.contains(dead))
        #expect(names.contains(alive) && names.contains("unrelated"))
        #expect(names.filter { $0.hasPrefix(".tmp-") } == [alive])
        #expect(Self.entries(cache.folder).count == 1)
    }

    @Test func theOldestEntriesGoWhenTheCacheIsFull() throws {
        let folder = try TemporaryFolder()
        // Room for two entries of ~294 KB.
        let cache = InflatedCache(folder: folder.file("cache"), totalSize: 700_000)
        var paths: [String] = []
        for seed in 0..<4 {
            let path = try folder.write("images\(seed).gz", storedGzip(Self.images(seed: UInt8(seed))))
            _ = try IDXFile(path: path, cache: cache)
            paths.append(path)
            // Distinct modification times (seconds) for the order of removal.
            let entry = try #require(cache.entry(for: try ReadableFile(path: path)))
            var times = [timespec(tv_sec: 1_000_000 + seed, tv_nsec: 0), timespec(tv_sec: 1_000_000 + seed, tv_nsec: 0)]
            #expect(utimensat(AT_FDCWD, cache.folder + "/" + entry.name, &times, 0) == 0)
        }
        #expect(Self.entries(cache.folder).count == 2)
        let kept = try paths.map { try cache.entry(for: ReadableFile(path: $0)).flatMap(cache.contents(of:)) != nil }
        #expect(kept == [false, false, true, true])
    }

    /// Links and folders on the way to the cache that someone else could change stop it being used.
    @Test func theWayToTheFolderMustBeTrusted() throws {
        let folder = try TemporaryFolder()
        let plain = Self.images()
        let path = try folder.write("images.gz", storedGzip(plain))
        func used(_ cachePath: String) throws -> Bool {
            let cache = InflatedCache(folder: cachePath)
            #expect(try IDXFile(path: path, cache: cache).bytes == Array(plain.dropFirst(16)))
            return !Self.entries(cachePath).isEmpty
        }
        let manager = FileManager.default
        // A link owned by the user, to a folder of the user's: used.
        try manager.createDirectory(atPath: folder.file("real"), withIntermediateDirectories: false)
        try manager.createSymbolicLink(atPath: folder.file("mine"), withDestinationPath: folder.file("real"))
        #expect(try used(folder.file("mine/cache")))
        // The same link owned by someone else: not used.
        try manager.createDirectory(atPath: folder.file("real2"), withIntermediateDirectories: false)
        try manager.createSymbolicLink(atPath: folder.file("theirs"), withDestinationPath: folder.file("real2"))
        if lchown(folder.file("theirs"), 4242, 4242) == 0 {
            #expect(try !used(folder.file("theirs/cache")))
            #expect(!manager.fileExists(atPath: folder.file("real2/cache")))
        }
        // A folder on the way that others can write, not sticky: not used; sticky: used.
        try manager.createDirectory(atPath: folder.file("open"), withIntermediateDirectories: false)
        try manager.setAttributes([.posixPermissions: 0o777], ofItemAtPath: folder.file("open"))
        #expect(try !used(folder.file("open/cache")))
        try manager.createDirectory(atPath: folder.file("sticky"), withIntermediateDirectories: false)
        #expect(chmod(folder.file("sticky"), 0o1777) == 0)
        #expect(try used(folder.file("sticky/cache")))
        // A folder on the way that belongs to someone else: not used.
        try manager.createDirectory(atPath: folder.file("other"), withIntermediateDirectories: false)
        if chown(folder.file("other"), 4242, 4242) == 0 {
            #expect(try !used(folder.file("other/cache")))
        }
    }

    @Test func aFolderOthersCanWriteIsNotUsed() throws {
        let folder = try TemporaryFolder()
        let cachePath = folder.file("shared")
        try FileManager.default.createDirectory(atPath: cachePath, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o777])
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: cachePath)
        let cache = InflatedCache(folder: cachePath)
        let plain = Self.images()
        let path = try folder.write("images.gz", storedGzip(plain))
        #expect(try IDXFile(path: path, cache: cache).header + IDXFile(path: path, cache: cache).bytes == plain)
        #expect(Self.entries(cachePath).isEmpty)
        #expect((try FileManager.default.contentsOfDirectory(atPath: cachePath)).isEmpty)  // no temporary files either
    }

    @Test func aCacheThatCannotBeWrittenIsNoError() throws {
        let folder = try TemporaryFolder()
        let blocker = try folder.write("not-a-folder", [1, 2, 3])
        let plain = Self.images()
        let path = try folder.write("images.gz", storedGzip(plain))
        for cache in [InflatedCache(folder: blocker), InflatedCache(folder: blocker + "/below")] {
            #expect(try IDXFile(path: path, cache: cache).bytes == Array(plain.dropFirst(16)))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: blocker)) == Data([1, 2, 3]))
    }

    @Test func smallAndUncompressedFilesAreNotCached() throws {
        let folder = try TemporaryFolder()
        let cache = InflatedCache(folder: folder.file("cache"))
        let small = try folder.write("labels.gz", storedGzip(idx([3], [2, 0, 1])))
        #expect(try IDXFile(path: small, cache: cache).bytes == [2, 0, 1])
        #expect(cache.entry(for: try ReadableFile(path: small)) == nil)
        let raw = try folder.write("images", Self.images())
        #expect(try DataFile.contents(raw, cache: cache) == Self.images())
        #expect(Self.entries(cache.folder).isEmpty)
    }

    @Test func otherGzipDataFilesUseTheCache() throws {
        let folder = try TemporaryFolder()
        let cache = InflatedCache(folder: folder.file("cache"))
        let plain = Self.images(seed: 9)  // any bytes: DataFile does not parse them
        let path = try folder.write("x.npy.gz", storedGzip(plain) + storedGzip([1, 2, 3]))
        #expect(try DataFile.contents(path, cache: cache) == plain + [1, 2, 3])
        #expect(Self.entries(cache.folder).count == 1)
        #expect(try DataFile.contents(path, cache: cache) == plain + [1, 2, 3])
    }

    @Test func theFolderComesFromTheEnvironment() {
        func folder(_ variables: [String: String]) -> String? { InflatedCache.fromEnvironment { variables[$0] }?.folder }
        #expect(folder(["NNMODEL_CACHE_DIR": "/data/cache/", "HOME": "/home/u"]) == "/data/cache")
        #expect(folder(["NNMODEL_CACHE_DIR": "", "HOME": "/home/u"]) == nil)
        #expect(folder(["XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"]) == "/xdg/nnmodel")
        #expect(folder(["XDG_CACHE_HOME": "relative", "HOME": "/home/u"]) == "/home/u/.cache/nnmodel")
        #expect(folder(["HOME": "/home/u"]) == "/home/u/.cache/nnmodel")
        #expect(folder([:]) == nil)
        #expect(folder(["HOME": ""]) == nil)
    }
}
