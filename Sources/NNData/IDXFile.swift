import NNSystem

/// An IDX file (the MNIST format): a magic number giving the element type and rank, big-endian
/// dimensions, then the elements. nnmodel reads unsigned-byte IDX files, raw or gzip.
@_spi(Testing) public struct IDXFile: Sendable {
    /// The dimensions, outermost first (`[60000, 28, 28]` for Fashion-MNIST training images).
    @_spi(Testing) public var dimensions: [Int]
    /// The elements, row-major.
    @_spi(Testing) public var bytes: [UInt8]

    /// The largest element count accepted.
    @_spi(Testing) public static let maximumElements = 1 << 32

    /// Reads and validates the IDX file at `path` (gzip or raw), streaming: the header is read
    /// first, then the elements straight into a buffer of exactly the size the header gives
    /// (checked against the cap first), so a compressed file that inflates beyond what its header
    /// says, or lies in its gzip trailer, costs nothing extra.
    ///
    /// A gzip file is read through the per-user cache of inflated files (``InflatedCache``).
    @_spi(Testing) public init(path: String) throws(DataError) {
        try self.init(path: path, cache: InflatedCache.fromEnvironment())
    }

    /// ``init(path:)`` with the cache of inflated gzip files to use (`nil` for none).
    package init(path: String, cache: InflatedCache?) throws(DataError) {
        let file: ReadableFile
        do { file = try ReadableFile(path: path) } catch { throw .file(error) }
        let head: [UInt8]
        do { head = try file.bytes(at: 0, count: min(2, file.size)) } catch { throw .file(error) }
        if head == [0x1F, 0x8B] {
            // Inflated once, then read from the cache.
            let entry = cache?.entry(for: file)
            if let cache, let entry, var inflated = cache.contents(of: entry) {
                if let (dimensions, total, headerSize) = try? IDXFile.parseHeader(inflated, fileSize: nil, path: path),
                   inflated.count - headerSize == total {
                    // In place: no second copy of the elements.
                    inflated.removeFirst(headerSize)
                    self.init(dimensions: dimensions, bytes: inflated)
                    return
                }
            }
            let compressed: [UInt8]
            do { compressed = try file.allBytes() } catch { throw .file(error) }
            let reader: GzipReader
            do { reader = try GzipReader(compressed, path: path) } catch { throw .file(error) }
            try self.init(path: path) { (buffer) throws(DataError) in
                do throws(FileError) { return try reader.read(into: buffer) } catch { throw .file(error) }
            }
            if let cache, let entry { cache.store([header, bytes], as: entry, source: file) }
        } else {
            var position = 0
            try self.init(path: path) { (buffer) throws(DataError) in
                let n = min(buffer.count, file.size - position)
                do throws(FileError) { try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n]), at: position) } catch {
                    throw .file(error)
                }
                position += n
                return n
            }
        }
    }

    private init(dimensions: [Int], bytes: [UInt8]) {
        self.dimensions = dimensions
        self.bytes = bytes
    }

    /// Reads an IDX stream through `read`, which fills as much of a buffer as the stream holds
    /// and returns how much it wrote (less only at the end).
    init(path: String, read: (UnsafeMutableRawBufferPointer) throws(DataError) -> Int) throws(DataError) {
        func fill(_ count: Int) throws(DataError) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: count)
            var got = 0
            try bytes.withUnsafeMutableBufferPointer { (buffer) throws(DataError) in
                got = try read(UnsafeMutableRawBufferPointer(buffer))
            }
            bytes.removeLast(count - got)
            return bytes
        }
        let magic = try fill(4)
        let rank = magic.count == 4 ? Int(magic[3]) : 0
        let header = magic + (magic.count == 4 && (1...4).contains(rank) ? try fill(4 * rank) : [])
        let (dimensions, total, headerSize) = try IDXFile.parseHeader(header, fileSize: nil, path: path)
        var elements = [UInt8](repeating: 0, count: total)
        var got = 0
        try elements.withUnsafeMutableBufferPointer { (buffer) throws(DataError) in
            got = try read(UnsafeMutableRawBufferPointer(buffer))
        }
        var extra = 0
        if got == total {
            var probe = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                var n = 0
                try probe.withUnsafeMutableBufferPointer { (buffer) throws(DataError) in n = try read(UnsafeMutableRawBufferPointer(buffer)) }
                extra += n
                if n < probe.count || extra > (1 << 30) { break }
            }
        }
        guard got == total else {
            throw .invalidIDX(path: path, reason: "dimensions \(dimensions) need \(total) data bytes after the \(headerSize)-byte header, the file has only \(got) (truncated?)")
        }
        guard extra == 0 else {
            // Counted only up to 1 GiB: the rest of a huge tail is not read.
            let tail = extra > (1 << 30) ? "more than 1073741824" : "\(extra)"
            throw .invalidIDX(path: path, reason: "dimensions \(dimensions) need \(total) data bytes after the \(headerSize)-byte header, the file has \(tail) bytes more (trailing data)")
        }
        _ = headerSize
        self.dimensions = dimensions
        bytes = elements
    }

    /// The dimensions, element count and header size of IDX `data` (at least its header).
    static func parseHeader(_ data: [UInt8], fileSize: Int?, path: String) throws(DataError) -> (dimensions: [Int], total: Int, headerSize: Int) {
        guard data.count >= 4 else { throw .invalidIDX(path: path, reason: "the file has \(data.count) bytes, too few for the 4-byte magic number") }
        guard data[0] == 0, data[1] == 0 else {
            throw .invalidIDX(path: path, reason: "magic number starts \(hex(data[0])) \(hex(data[1])), expected 00 00")
        }
        guard data[2] == 0x08 else {
            throw .invalidIDX(path: path, reason: "element type \(hex(data[2])), expected 08 (unsigned byte)")
        }
        let rank = Int(data[3])
        guard (1...4).contains(rank) else { throw .invalidIDX(path: path, reason: "rank \(rank), expected 1 to 4") }
        let headerSize = 4 + 4 * rank
        guard data.count >= headerSize else {
            throw .invalidIDX(path: path, reason: "the header needs \(headerSize) bytes, the file has \(fileSize ?? data.count)")
        }
        var dims: [Int] = []
        var total = 1
        for i in 0..<rank {
            let o = 4 + 4 * i
            let d = Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3])
            dims.append(d)
            let (product, overflow) = total.multipliedReportingOverflow(by: d)
            total = product
            guard !overflow, total <= IDXFile.maximumElements else {
                throw .invalidIDX(path: path, reason: "dimensions \(dims) hold more than \(IDXFile.maximumElements) elements")
            }
        }
        return (dims, total, headerSize)
    }

    /// The IDX header that describes these dimensions (magic number and big-endian sizes).
    var header: [UInt8] {
        [0, 0, 0x08, UInt8(dimensions.count)] + dimensions.flatMap { d in
            [UInt8(truncatingIfNeeded: d >> 24), UInt8(truncatingIfNeeded: d >> 16), UInt8(truncatingIfNeeded: d >> 8), UInt8(truncatingIfNeeded: d)]
        }
    }

    /// Parses IDX bytes; `path` is used in error messages.
    @_spi(Testing) public init(contents data: [UInt8], path: String) throws(DataError) {
        let (dims, total, headerSize) = try IDXFile.parseHeader(data, fileSize: nil, path: path)
        let available = data.count - headerSize
        guard available >= total else {
            throw .invalidIDX(path: path, reason: "dimensions \(dims) need \(total) data bytes after the \(headerSize)-byte header, the file has only \(available) (truncated?)")
        }
        guard available == total else {
            throw .invalidIDX(path: path, reason: "dimensions \(dims) need \(total) data bytes after the \(headerSize)-byte header, the file has \(available - total) bytes more (trailing data)")
        }
        dimensions = dims
        bytes = Array(data[headerSize...])
    }
}

func hex(_ b: UInt8) -> String {
    let s = String(b, radix: 16)
    return s.count == 1 ? "0" + s : s
}
