import NNCore
import NNSystem

/// A NumPy `.npy` array (format versions 1.0, 2.0 and 3.0), C order.
///
/// Element types read: float16/32/64, signed and unsigned integers of 8 to 64 bits, and bool,
/// little- or big-endian. Object arrays (which NumPy stores as pickles) and Fortran order are refused.
public struct NPYArray: Sendable {
    /// The elements in their most faithful Swift form.
    public enum Values: Sendable, Equatable {
        case uint8([UInt8])
        case int64([Int64])
        case float32([Float])
        case float64([Double])
    }

    /// The array's shape (`[]` for a scalar).
    public var shape: [Int]
    /// The element type as NumPy describes it (`"<f4"`, `"|u1"`, ...).
    public var descr: String
    /// The elements, row-major.
    public var values: Values

    /// The largest element count accepted.
    public static let maximumElements = 1 << 32

    public init(shape: [Int], descr: String, values: Values) {
        self.shape = shape
        self.descr = descr
        self.values = values
    }

    /// Number of elements.
    public var count: Int {
        switch values {
        case let .uint8(v): return v.count
        case let .int64(v): return v.count
        case let .float32(v): return v.count
        case let .float64(v): return v.count
        }
    }

    /// The elements converted to Float32.
    public var floats: [Float] {
        switch values {
        case let .uint8(v): return v.map(Float.init)
        case let .int64(v): return v.map(Float.init)
        case let .float32(v): return v
        case let .float64(v): return v.map(Float.init)
        }
    }

    /// Reads the `.npy` file at `path`.
    public init(path: String) throws(DataError) {
        let data: [UInt8]
        do { data = try FileReader.bytes(path) } catch { throw .file(error) }
        try self.init(contents: data, path: path)
    }

    /// Parses `.npy` bytes; `path` is used in messages.
    public init(contents data: [UInt8], path: String) throws(DataError) {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
        guard data.count >= 10, Array(data[0..<6]) == magic else {
            throw .invalidNPY(path: path, reason: "missing the \\x93NUMPY magic")
        }
        let major = data[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(data[8]) | Int(data[9]) << 8
            headerStart = 10
        case 2, 3:
            guard data.count >= 12 else { throw .invalidNPY(path: path, reason: "truncated header") }
            headerLength = Int(data[8]) | Int(data[9]) << 8 | Int(data[10]) << 16 | Int(data[11]) << 24
            headerStart = 12
        default:
            throw .invalidNPY(path: path, reason: "format version \(major).\(data[7]), expected 1.0, 2.0 or 3.0")
        }
        guard headerLength <= data.count - headerStart else {
            throw .invalidNPY(path: path, reason: "header length \(headerLength) runs past the end of the file")
        }
        let header = String(decoding: data[headerStart..<headerStart + headerLength], as: UTF8.self)
        // NumPy reads the header as a Python dict literal, where a repeated key takes the last value.
        for key in ["descr", "fortran_order", "shape"] where NPYHeader.occurrences(of: key, in: header) > 1 {
            throw .invalidNPY(path: path, reason: "header names '\(key)' twice (readers disagree on which counts)")
        }
        guard let descr = NPYHeader.string(header, key: "descr") else {
            throw .invalidNPY(path: path, reason: "header has no 'descr' string (structured or object arrays are not supported): \(Excerpt.quote(header))")
        }
        if NPYHeader.bool(header, key: "fortran_order") == true {
            throw .invalidNPY(path: path, reason: "Fortran-order arrays are not supported; save with np.ascontiguousarray")
        }
        guard let shape = NPYHeader.shape(header) else {
            throw .invalidNPY(path: path, reason: "header has no valid 'shape' tuple: \(Excerpt.quote(header))")
        }
        guard let count = Tensor.checkedCount(of: shape), count <= NPYArray.maximumElements else {
            throw .invalidNPY(path: path, reason: "shape \(shape) is too large")
        }
        guard descr.count >= 3, let size = Int(descr.dropFirst(2)) else {
            throw .invalidNPY(path: path, reason: "unsupported dtype '\(descr)'")
        }
        let order = descr.first ?? "<"
        let kind = descr.dropFirst().first ?? "?"
        let body = headerStart + headerLength
        guard [1, 2, 4, 8].contains(size) else { throw .invalidNPY(path: path, reason: "unsupported dtype '\(descr)'") }
        guard data.count - body >= count * size else {
            throw .invalidNPY(path: path, reason: "shape \(shape) of \(descr) needs \(count * size) data bytes, the file has \(data.count - body) (truncated?)")
        }
        let bigEndian = order == ">"
        func word(_ i: Int) -> UInt64 {
            var v: UInt64 = 0
            let o = body + i * size
            for b in 0..<size {
                let byte = UInt64(data[o + (bigEndian ? b : size - 1 - b)])
                v = v << 8 | byte
            }
            return v
        }
        self.shape = shape
        self.descr = descr
        switch (kind, size) {
        case ("u", 1), ("b", 1):
            values = .uint8(Array(data[body..<body + count]))
        case ("f", 4):
            values = .float32((0..<count).map { Float(bitPattern: UInt32(truncatingIfNeeded: word($0))) })
        case ("f", 8):
            values = .float64((0..<count).map { Double(bitPattern: word($0)) })
        case ("f", 2):
            values = .float32((0..<count).map { Float(Float16(bitPattern: UInt16(truncatingIfNeeded: word($0)))) })
        case ("i", 1), ("i", 2), ("i", 4), ("i", 8):
            let shift = UInt64(64 - size * 8)
            values = .int64((0..<count).map { Int64(bitPattern: word($0) << shift) >> Int64(shift) })
        case ("u", 2), ("u", 4):
            values = .int64((0..<count).map { Int64(word($0)) })
        case ("u", 8):
            values = .int64((0..<count).map { Int64(truncatingIfNeeded: min(word($0), UInt64(Int64.max))) })
        default:
            throw .invalidNPY(path: path, reason: "unsupported dtype '\(descr)' (expected float16/32/64, integers or bool)")
        }
    }

    /// Writes float32 values as a version 1.0 `.npy` file, atomically.
    public static func write(floats: [Float], shape: [Int], to path: String) throws(FileError) {
        try AtomicFile.write(encode(floats: floats, shape: shape), to: path)
    }

    /// The bytes of a version 1.0 `.npy` file holding float32 values.
    public static func encode(floats: [Float], shape: [Int]) -> [UInt8] {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        // Pad so the data starts on a 64-byte boundary, ending the header with a newline.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
        let length = header.utf8.count
        out += [UInt8(length & 0xFF), UInt8(length >> 8)]
        out += Array(header.utf8)
        out.reserveCapacity(out.count + floats.count * 4)
        for f in floats {
            let bits = f.bitPattern
            out += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
        }
        return out
    }
}

/// Reads the few fields nnmodel needs from a `.npy` header (a Python dict literal).
enum NPYHeader {
    /// How often `key` appears quoted as a key in `header`.
    static func occurrences(of key: String, in header: String) -> Int {
        ["'", "\""].reduce(0) { count, quote in count + header.ranges(of: quote + key + quote).count }
    }

    static func valueStart(_ header: String, key: String) -> Substring? {
        for quote in ["'", "\""] {
            if let r = header.firstRange(of: quote + key + quote) {
                var rest = header[r.upperBound...].drop { $0 == " " }
                guard rest.first == ":" else { continue }
                rest = rest.dropFirst().drop { $0 == " " }
                return rest
            }
        }
        return nil
    }

    static func string(_ header: String, key: String) -> String? {
        guard let rest = valueStart(header, key: key), let q = rest.first, q == "'" || q == "\"" else { return nil }
        let body = rest.dropFirst()
        guard let end = body.firstIndex(of: q) else { return nil }
        return String(body[..<end])
    }

    static func bool(_ header: String, key: String) -> Bool? {
        guard let rest = valueStart(header, key: key) else { return nil }
        if rest.hasPrefix("True") { return true }
        if rest.hasPrefix("False") { return false }
        return nil
    }

    static func shape(_ header: String) -> [Int]? {
        guard let rest = valueStart(header, key: "shape"), rest.first == "(", let end = rest.firstIndex(of: ")") else { return nil }
        let inner = rest[rest.index(after: rest.startIndex)..<end]
        var dims: [Int] = []
        for part in inner.split(separator: ",") {
            let t = part.trimmingCharacters(in: " ")
            if t.isEmpty { continue }
            guard let d = Int(t.hasSuffix("L") ? String(t.dropLast()) : t), d >= 0 else { return nil }
            dims.append(d)
        }
        return dims
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
