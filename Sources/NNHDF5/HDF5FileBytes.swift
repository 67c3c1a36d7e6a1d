internal import NNSystem

#if canImport(Glibc)
import Glibc
#endif

/// The bytes of an HDF5 file as the safety checks read them: an image held in memory, or a disk
/// file read on demand with `pread` through a small page cache (never mapped, so a file truncated
/// meanwhile is noticed, not a SIGBUS).
///
/// Reads outside the file give zeros; the checks compare every position against ``count`` first.
/// A read that fails because the file changed gives zeros too and is remembered in ``failure``,
/// which the caller turns into an error.
final class HDF5FileBytes {
    /// The file's size in bytes (when it was opened).
    let count: Int
    /// The first read that failed, if any.
    private(set) var failure: FileError?

    private enum Source {
        case memory([UInt8])
        case file(ReadableFile)
    }
    private let source: Source
    private var pages: [Int: [UInt8]] = [:]
    private static let pageSize = 1 << 16
    private static let maximumPages = 256

    init(bytes: [UInt8]) {
        source = .memory(bytes)
        count = bytes.count
    }

    init(file: ReadableFile) {
        source = .file(file)
        count = file.size
    }

    /// The page last returned by `page(_:)`, and its index (the checks read mostly nearby bytes).
    private var lastPage: (index: Int, bytes: [UInt8])?

    /// The page holding `offset` (the caller checked `0 <= offset < count`).
    private func page(_ index: Int) -> [UInt8] {
        if let lastPage, lastPage.index == index { return lastPage.bytes }
        let bytes = loadPage(index)
        lastPage = (index, bytes)
        return bytes
    }

    private func loadPage(_ index: Int) -> [UInt8] {
        if let cached = pages[index] { return cached }
        guard case let .file(file) = source else { return [] }
        if pages.count >= Self.maximumPages { pages.removeAll(keepingCapacity: true) }
        let start = index * Self.pageSize
        let bytes: [UInt8]
        do { bytes = try file.bytes(at: start, count: min(Self.pageSize, count - start)) } catch {
            if failure == nil { failure = error }
            bytes = [UInt8](repeating: 0, count: min(Self.pageSize, count - start))
        }
        pages[index] = bytes
        return bytes
    }

    /// The byte at `offset`, or 0 outside the file.
    subscript(offset: Int) -> UInt8 {
        guard offset >= 0, offset < count else { return 0 }
        switch source {
        case let .memory(bytes): return bytes[offset]
        case .file: return page(offset / Self.pageSize)[offset % Self.pageSize]
        }
    }

    /// The bytes of `range` clamped to the file.
    func slice(_ range: Range<Int>) -> [UInt8] {
        let range = range.clamped(to: 0..<count)
        guard !range.isEmpty else { return [] }
        switch source {
        case let .memory(bytes): return Array(bytes[range])
        case .file:
            var out: [UInt8] = []
            out.reserveCapacity(range.count)
            var position = range.lowerBound
            while position < range.upperBound {
                let index = position / Self.pageSize, within = position % Self.pageSize
                let piece = page(index)
                let n = min(range.upperBound - position, piece.count - within)
                guard n > 0 else { break }
                out += piece[within..<within + n]
                position += n
            }
            return out
        }
    }

    /// A little-endian unsigned integer of `width` (≤ 8) bytes at `offset` (bytes outside the
    /// file read as 0).
    func unsigned(at offset: Int, width: Int) -> UInt64 {
        // The checks call this for every field they read: read the bytes in place when they lie
        // inside the file (and, for a disk file, inside one page).
        if offset >= 0, width >= 0, width <= 8, offset <= count - width {
            switch source {
            case let .memory(bytes):
                return bytes.withUnsafeBytes { Self.littleEndian($0, at: offset, width: width) }
            case .file:
                let within = offset % Self.pageSize
                let piece = page(offset / Self.pageSize)
                if within + width <= piece.count {
                    return piece.withUnsafeBytes { Self.littleEndian($0, at: within, width: width) }
                }
            }
        }
        var value: UInt64 = 0
        for index in (0..<width).reversed() { value = value << 8 | UInt64(self[offset + index]) }
        return value
    }

    private static func littleEndian(_ raw: UnsafeRawBufferPointer, at offset: Int, width: Int) -> UInt64 {
        var value: UInt64 = 0
        var index = width
        while index > 0 {
            index -= 1
            value = value << 8 | UInt64(raw[offset + index])
        }
        return value
    }

    /// The offset of the first 0 byte in `range` (clamped to the file), if any.
    ///
    /// Reads only up to that byte, in place (no copy of the range): the symbol-table check asks
    /// this for every link name, with ranges that run to the end of the group's name heap, so
    /// the cost must be the name's length, not the rest of the heap's.
    func firstZero(in range: Range<Int>) -> Int? {
        let range = range.clamped(to: 0..<count)
        guard !range.isEmpty else { return nil }
        switch source {
        case let .memory(bytes):
            return bytes.withUnsafeBytes { raw -> Int? in
                guard let base = raw.baseAddress,
                      let hit = memchr(base + range.lowerBound, 0, range.count) else { return nil }
                return base.distance(to: UnsafeRawPointer(hit))
            }
        case .file:
            var position = range.lowerBound
            while position < range.upperBound {
                let index = position / Self.pageSize, within = position % Self.pageSize
                let piece = page(index)
                let n = min(range.upperBound - position, piece.count - within)
                guard n > 0 else { return nil }
                let hit = piece.withUnsafeBytes { raw -> Int? in
                    guard let base = raw.baseAddress, let found = memchr(base + within, 0, n) else { return nil }
                    return base.distance(to: UnsafeRawPointer(found)) - within
                }
                if let hit { return position + hit }
                position += n
            }
            return nil
        }
    }

    /// The offset of the last 0 byte in `range` (clamped to the file), if any; reads backwards
    /// from the end of the range only as far as that byte.
    func lastZero(in range: Range<Int>) -> Int? {
        let range = range.clamped(to: 0..<count)
        guard !range.isEmpty else { return nil }
        switch source {
        case let .memory(bytes):
            return bytes[range].lastIndex(of: 0)
        case .file:
            var end = range.upperBound
            while end > range.lowerBound {
                let index = (end - 1) / Self.pageSize, pageStart = index * Self.pageSize
                let piece = page(index)
                let from = max(range.lowerBound, pageStart) - pageStart, to = min(end - pageStart, piece.count)
                guard to > from else { return nil }
                if let hit = piece[from..<to].lastIndex(of: 0) { return pageStart + hit }
                end = pageStart + from
            }
            return nil
        }
    }

    /// Whether the bytes at `offset` are `expected`.
    func matches(_ expected: [UInt8], at offset: Int) -> Bool {
        offset >= 0 && offset <= count - expected.count && slice(offset..<offset + expected.count) == expected
    }

    /// The offset of the first occurrence of `needle` at or after `offset`.
    ///
    /// A disk file is read through one window of ``windowSize`` bytes, allocated once and kept:
    /// a search that starts inside the window (the next one after a hit, as the global heap
    /// scan asks) continues there instead of reading the bytes again, so scanning the whole file
    /// reads each byte once however many hits it has.
    func find(_ needle: [UInt8], from offset: Int) -> Int? {
        guard !needle.isEmpty, offset >= 0 else { return nil }
        switch source {
        case let .memory(bytes):
            guard offset <= bytes.count else { return nil }
            return bytes.withUnsafeBytes { raw in
                ByteSearch.firstOffset(of: needle, in: UnsafeRawBufferPointer(rebasing: raw[offset...])).map { offset + $0 }
            }
        case let .file(file):
            var start = offset
            while start + needle.count <= count {
                let inWindow = start >= windowStart && start + needle.count <= windowStart + window.count
                if !inWindow {
                    let length = min(Self.windowSize, count - start)
                    if windowBuffer.count < length {
                        windowBuffer.deallocate()
                        windowBuffer = .allocate(byteCount: Self.windowSize, alignment: 64)
                    }
                    let target = UnsafeMutableRawBufferPointer(rebasing: windowBuffer[0..<length])
                    do { try file.read(into: target, at: start) } catch {
                        if failure == nil { failure = error }
                        window = UnsafeRawBufferPointer(start: nil, count: 0)
                        return nil
                    }
                    window = UnsafeRawBufferPointer(target)
                    windowStart = start
                }
                let within = start - windowStart
                if let hit = ByteSearch.firstOffset(of: needle, in: UnsafeRawBufferPointer(rebasing: window[within...])) {
                    return start + hit
                }
                let windowEnd = windowStart + window.count
                guard windowEnd < count else { return nil }
                start = windowEnd - (needle.count - 1)  // a match may straddle two windows
            }
            return nil
        }
    }

    /// Bytes ``find(_:from:)`` reads a disk file by: large enough that the reads cost little
    /// per byte, small enough to stay in a core's cache while searched.
    static let windowSize = 1 << 20
    /// The memory of the search window (allocated on the first search of a disk file).
    private var windowBuffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    /// The bytes of the file from `windowStart` that the window holds now.
    private var window = UnsafeRawBufferPointer(start: nil, count: 0)
    private var windowStart = 0

    deinit { windowBuffer.deallocate() }
}
