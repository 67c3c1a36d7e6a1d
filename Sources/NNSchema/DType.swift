/// The element type of stored weights. Computation is always Float32; a model remembers the
/// dtype its source computed in (``ModelArchitecture/sourceDType``) and files say what they store.
public enum DType: String, CaseIterable, Sendable {
    /// IEEE 754 binary32.
    case float32
    /// IEEE 754 binary16 (round to nearest even on write; ±65504 range, overflow becomes ±inf).
    case float16
    /// The top 16 bits of binary32 (round to nearest even on write; float32's range, 8-bit precision).
    case bfloat16
    /// IEEE 754 binary64 (exact on write; rounded to nearest on read).
    case float64

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float32: return 4
        case .float16, .bfloat16: return 2
        case .float64: return 8
        }
    }
}

extension DType {
    /// Encodes Float32 values little-endian in this dtype.
    package func encode(_ values: UnsafeBufferPointer<Float>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count * byteSize)
        out.withUnsafeMutableBytes { raw in encode(values, into: raw) }
        return out
    }

    /// Encodes Float32 values little-endian in this dtype into `raw`, which holds at least
    /// `values.count × byteSize` bytes.
    package func encode(_ values: UnsafeBufferPointer<Float>, into raw: UnsafeMutableRawBufferPointer) {
        precondition(raw.count >= values.count * byteSize, "encoding into a buffer too small")
        switch self {
        case .float32:
            for (i, v) in values.enumerated() { raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self) }
        case .float16:
            for (i, v) in values.enumerated() { raw.storeBytes(of: Float16(v).bitPattern.littleEndian, toByteOffset: i * 2, as: UInt16.self) }
        case .bfloat16:
            for (i, v) in values.enumerated() { raw.storeBytes(of: DType.bfloat16Bits(v).littleEndian, toByteOffset: i * 2, as: UInt16.self) }
        case .float64:
            for (i, v) in values.enumerated() { raw.storeBytes(of: Double(v).bitPattern.littleEndian, toByteOffset: i * 8, as: UInt64.self) }
        }
    }

    /// Decodes `count` little-endian elements of this dtype into Float32; `raw` holds at least
    /// `count × byteSize` bytes (the caller checked).
    package func decode(_ raw: UnsafeRawBufferPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        switch self {
        case .float32:
            for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))) }
        case .float16:
            for i in 0..<count { out[i] = Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))) }
        case .bfloat16:
            for i in 0..<count {
                out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) << 16)
            }
        case .float64:
            for i in 0..<count { out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))) }
        }
    }

    /// The bfloat16 bits of `v`, rounded to nearest even (NaN stays a quiet NaN).
    package static func bfloat16Bits(_ v: Float) -> UInt16 {
        let bits = v.bitPattern
        if v.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }
}
