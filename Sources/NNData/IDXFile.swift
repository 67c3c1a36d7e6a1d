/// An IDX file (the MNIST format): a magic number giving the element type and rank, big-endian
/// dimensions, then the elements. nnmodel reads unsigned-byte IDX files, raw or gzip.
package struct IDXFile: Sendable {
    /// The dimensions, outermost first (`[60000, 28, 28]` for Fashion-MNIST training images).
    package var dimensions: [Int]
    /// The elements, row-major.
    package var bytes: [UInt8]

    /// The largest element count accepted.
    package static let maximumElements = 1 << 32

    /// Reads and validates the IDX file at `path` (gzip or raw).
    package init(path: String) throws(DataError) {
        try self.init(contents: try DataFile.contents(path), path: path)
    }

    /// Parses IDX bytes; `path` is used in error messages.
    package init(contents data: [UInt8], path: String) throws(DataError) {
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
            throw .invalidIDX(path: path, reason: "the header needs \(headerSize) bytes, the file has \(data.count)")
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
        let available = data.count - headerSize
        guard available == total else {
            throw .invalidIDX(path: path, reason: "dimensions \(dims) need \(total) data bytes, the file has \(available)"
                + (available < total ? " (truncated?)" : " (trailing data)"))
        }
        dimensions = dims
        bytes = Array(data[headerSize...])
    }
}

func hex(_ b: UInt8) -> String {
    let s = String(b, radix: 16)
    return s.count == 1 ? "0" + s : s
}
