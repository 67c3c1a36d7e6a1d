import NNJSON
import NNSchema

/// The element types of the safetensors format, with their sizes in bits.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL", u8 = "U8", i8 = "I8", f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3", f8e8m0 = "F8_E8M0"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32", i64 = "I64", u64 = "U64", f64 = "F64", c64 = "C64"
    case f4 = "F4", f6e2m3 = "F6_E2M3", f6e3m2 = "F6_E3M2"

    /// Bits per element.
    public var bits: Int {
        switch self {
        case .f4: return 4
        case .f6e2m3, .f6e3m2: return 6
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .i64, .u64, .f64, .c64: return 64
        }
    }

    /// The nnmodel dtype of a floating-point weight type nnmodel reads.
    public var weightDType: DType? {
        switch self {
        case .f32: return .float32
        case .f16: return .float16
        case .bf16: return .bfloat16
        case .f64: return .float64
        default: return nil
        }
    }

    /// The safetensors name of an nnmodel dtype.
    public init(_ dtype: DType) {
        switch dtype {
        case .float32: self = .f32
        case .float16: self = .f16
        case .bfloat16: self = .bf16
        case .float64: self = .f64
        }
    }
}

/// The header of a safetensors file, validated as the safetensors project's reader does: the
/// tensors, sorted by offset, cover the data section exactly, each with the bytes its dtype and
/// shape need.
public struct SafetensorsHeader: Sendable {
    /// One tensor's entry.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var dtype: SafetensorsDType
        public var shape: [Int]
        /// Byte range within the data section.
        public var begin: Int
        public var end: Int

        public var count: Int { shape.reduce(1, *) }
    }

    /// The largest header the safetensors project's reader accepts (`MAX_HEADER_SIZE`).
    public static let maximumHeaderLength = 100_000_000
    /// The most dimensions a tensor may have.
    public static let maximumRank = 8
    /// The most JSON values a header may hold: 65,536 tensor entries of the largest rank
    /// (an entry is at most 16 values) and as many metadata entries. A model nnmodel can run has
    /// at most twice ``ModelArchitecture/maximumLayers`` tensors; the bound keeps the parsed tree
    /// of a 100 MB header small (a header of 800,000 one-value tensors took 0.6 GB and 10 s).
    public static let maximumValues = 65_536 * 17

    /// The tensors in the order the header lists them.
    public var entries: [Entry]
    /// The `__metadata__` map, in header order.
    public var metadata: [(key: String, value: String)]
    /// The header's length in bytes (the 8-byte length field not included).
    public var headerLength: Int
    /// The offset of the data section in the file.
    public var dataOffset: Int { 8 + headerLength }

    /// The value of `__metadata__[key]`.
    public func metadata(_ key: String) -> String? { metadata.first { $0.key == key }?.value }

    /// The header length the first 8 bytes declare, checked against the limit and the file size.
    static func headerLength(_ prefix: [UInt8], fileSize: Int, path: String) throws(SafetensorsError) -> Int {
        guard prefix.count >= 8, fileSize >= 8 else {
            throw .invalidHeaderLength(path: path, declared: 0, fileSize: fileSize)
        }
        let declared = (0..<8).reduce(UInt64(0)) { $0 | UInt64(prefix[$1]) << (8 * UInt64($1)) }
        guard declared <= UInt64(maximumHeaderLength) else {
            throw .headerTooLarge(path: path, length: declared, limit: maximumHeaderLength)
        }
        guard Int(declared) <= fileSize - 8 else { throw .invalidHeaderLength(path: path, declared: declared, fileSize: fileSize) }
        return Int(declared)
    }

    /// Parses and validates the header text `bytes` of a file of `fileSize` bytes.
    init(header bytes: ArraySlice<UInt8>, fileSize: Int, path: String) throws(SafetensorsError) {
        headerLength = bytes.count
        guard bytes.first == UInt8(ascii: "{") else {
            throw .invalidHeader(path: path, reason: "it does not start with '{'")
        }
        let json: JSON
        do {
            json = try JSON(parsing: bytes, maximumValues: Self.maximumValues)
        } catch {
            throw .invalidHeader(path: path, reason: error.reason == "more values than the reader accepts"
                ? "more than \(Self.maximumValues) JSON values (about 65,536 tensors), more than any model nnmodel reads"
                : error.description)
        }
        guard let members = json.objectValue else { throw .invalidHeader(path: path, reason: "not a JSON object") }
        entries = []
        entries.reserveCapacity(members.count)
        metadata = []
        for (name, value) in members {
            if name == "__metadata__" {
                guard let map = value.objectValue else {
                    throw .invalidHeader(path: path, reason: "__metadata__ is \(value.kindName), expected an object of strings")
                }
                for (key, v) in map {
                    guard let s = v.stringValue else {
                        throw .invalidHeader(path: path, reason: "__metadata__ '\(Excerpt.quote(key, limit: 64))' is \(v.kindName), expected a string")
                    }
                    metadata.append((key, s))
                }
                continue
            }
            entries.append(try Self.entry(name, value, path: path))
        }
        try Self.validateLayout(entries, dataSize: fileSize - 8 - headerLength, path: path)
    }

    /// One tensor entry: `{"dtype": ..., "shape": [...], "data_offsets": [begin, end]}`.
    static func entry(_ name: String, _ value: JSON, path: String) throws(SafetensorsError) -> Entry {
        func invalid(_ reason: String) -> SafetensorsError { .invalidTensor(path: path, tensor: name, reason: reason) }
        guard let fields = value.objectValue else { throw invalid("the entry is \(value.kindName), expected an object") }
        _ = fields  // other fields are ignored, as the reference reader ignores them
        guard let dtypeName = value["dtype"]?.stringValue else { throw invalid("no string 'dtype'") }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw invalid("unknown dtype '\(Excerpt.quote(dtypeName, limit: 32))'")
        }
        guard let shapeValues = value["shape"]?.arrayValue else { throw invalid("no 'shape' array") }
        guard shapeValues.count <= maximumRank else { throw invalid("\(shapeValues.count) dimensions, more than the limit of \(maximumRank)") }
        var shape: [Int] = []
        for (i, d) in shapeValues.enumerated() {
            guard let n = d.intValue, n >= 0 else { throw invalid("dimension \(i) of the shape is not a non-negative integer") }
            shape.append(n)
        }
        guard let offsets = value["data_offsets"]?.arrayValue, offsets.count == 2,
              let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, end >= 0 else {
            throw invalid("'data_offsets' must be two non-negative integers")
        }
        guard let count = Tensor.checkedCount(of: shape) else { throw invalid("shape \(shape) overflows") }
        let (bits, overflow) = count.multipliedReportingOverflow(by: dtype.bits)
        guard !overflow else { throw invalid("shape \(shape) overflows") }
        guard bits % 8 == 0 else { throw invalid("\(count) elements of \(dtype.rawValue) do not fill whole bytes") }
        guard end >= begin, end - begin == bits / 8 else {
            throw invalid("\(dtype.rawValue) \(shape) needs \(bits / 8) bytes, data_offsets [\(begin), \(end)] hold \(end >= begin ? end - begin : 0)")
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// The tensors, sorted by offset, must start at 0, follow each other without gap or overlap,
    /// and end with the data section.
    static func validateLayout(_ entries: [Entry], dataSize: Int, path: String) throws(SafetensorsError) {
        let sorted = entries.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var position = 0
        for e in sorted {
            guard e.begin == position else {
                throw .invalidLayout(path: path, reason: e.begin > position
                    ? "tensor '\(Excerpt.quote(e.name, limit: 64))' starts at byte \(e.begin) of the data, leaving a gap after byte \(position)"
                    : "tensor '\(Excerpt.quote(e.name, limit: 64))' starts at byte \(e.begin) of the data, overlapping the tensor before it (which ends at \(position))")
            }
            position = e.end
        }
        guard position == dataSize else {
            throw .invalidLayout(path: path, reason: "the tensors cover \(position) bytes of data, the file holds \(dataSize)")
        }
    }
}
