import CZlibNN

/// A failure inside a test helper, with a message for the test log.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One chunk of a PNG file, with both the CRC stored in the file and the
/// one recomputed here with zlib.
struct PNGChunk {
    let type: String
    let data: [UInt8]
    let storedCRC: UInt32
    let computedCRC: UInt32
}

/// An independent PNG reader used to check what ``PNG`` writes.
enum PNGReader {
    static func bigEndian32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(0) { ($0 << 8) | UInt32($1) }
    }

    /// Splits a PNG file (after its signature) into chunks.
    static func chunks(of file: [UInt8]) throws -> [PNGChunk] {
        var offset = 8
        var result: [PNGChunk] = []
        while offset < file.count {
            guard offset + 12 <= file.count else { throw TestFailure("truncated chunk header at \(offset)") }
            let length = Int(bigEndian32(file, at: offset))
            guard offset + 12 + length <= file.count else { throw TestFailure("chunk overruns file at \(offset)") }
            let typeBytes = Array(file[(offset + 4)..<(offset + 8)])
            let data = Array(file[(offset + 8)..<(offset + 8 + length)])
            let stored = bigEndian32(file, at: offset + 8 + length)
            let covered = typeBytes + data
            let computed = covered.withUnsafeBufferPointer { buffer in
                UInt32(truncatingIfNeeded: crc32(0, buffer.baseAddress, uInt(buffer.count)))
            }
            result.append(PNGChunk(type: String(decoding: typeBytes, as: UTF8.self), data: data,
                                   storedCRC: stored, computedCRC: computed))
            offset += 12 + length
        }
        return result
    }

    /// Inflates a zlib stream whose decompressed size is known.
    static func inflate(_ data: [UInt8], expectedSize: Int) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: expectedSize + 16)
        var outputLength = uLongf(output.count)
        let status = output.withUnsafeMutableBufferPointer { destination in
            data.withUnsafeBufferPointer { source in
                uncompress(destination.baseAddress, &outputLength, source.baseAddress, uLong(source.count))
            }
        }
        guard status == Z_OK else { throw TestFailure("uncompress failed with code \(status)") }
        return Array(output[0..<Int(outputLength)])
    }

    /// Reverses PNG scanline filtering (types 0–4), returning raw pixel bytes.
    static func unfilter(_ data: [UInt8], rowLength: Int, rows: Int, bytesPerPixel: Int) throws -> [UInt8] {
        guard data.count == rows * (rowLength + 1) else {
            throw TestFailure("filtered data has \(data.count) bytes, expected \(rows * (rowLength + 1))")
        }
        var raw = [UInt8](repeating: 0, count: rows * rowLength)
        for row in 0..<rows {
            let filter = data[row * (rowLength + 1)]
            for i in 0..<rowLength {
                let x = data[row * (rowLength + 1) + 1 + i]
                let a = i >= bytesPerPixel ? Int(raw[row * rowLength + i - bytesPerPixel]) : 0
                let b = row > 0 ? Int(raw[(row - 1) * rowLength + i]) : 0
                let c = (row > 0 && i >= bytesPerPixel) ? Int(raw[(row - 1) * rowLength + i - bytesPerPixel]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c
                    let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c)
                default: throw TestFailure("unknown filter type \(filter) in row \(row)")
                }
                raw[row * rowLength + i] = UInt8(truncatingIfNeeded: Int(x) + predictor)
            }
        }
        return raw
    }

    /// Decodes a PNG written by NNPlot back to its raw pixel bytes and header fields.
    static func decode(_ file: [UInt8]) throws -> (width: Int, height: Int, colorType: UInt8, pixels: [UInt8]) {
        let chunks = try chunks(of: file)
        guard let header = chunks.first, header.type == "IHDR", header.data.count == 13 else {
            throw TestFailure("first chunk is not a 13-byte IHDR")
        }
        let width = Int(bigEndian32(header.data, at: 0)), height = Int(bigEndian32(header.data, at: 4))
        let colorType = header.data[9]
        let channels = colorType == 6 ? 4 : colorType == 0 ? 1 : 0
        guard channels > 0 else { throw TestFailure("unexpected colour type \(colorType)") }
        let compressed = chunks.filter { $0.type == "IDAT" }.flatMap(\.data)
        let filtered = try inflate(compressed, expectedSize: height * (width * channels + 1))
        let pixels = try unfilter(filtered, rowLength: width * channels, rows: height, bytesPerPixel: channels)
        return (width, height, colorType, pixels)
    }
}
