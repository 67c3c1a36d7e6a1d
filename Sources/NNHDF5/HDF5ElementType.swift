internal import CHDF5

/// The element type of a dataset, as far as this library distinguishes it.
package enum HDF5ElementType: Equatable, Sendable, CustomStringConvertible {
    /// IEEE 754 binary16 (numpy float16), either byte order.
    case float16
    /// IEEE 754 binary32, either byte order.
    case float32
    /// IEEE 754 binary64, either byte order.
    case float64
    /// An integer of `bits` bits.
    case integer(bits: Int, signed: Bool)
    /// A fixed- or variable-length string.
    case string
    /// Anything else (compound, enum, opaque, bfloat16, ...), described in words.
    case other(String)

    package var description: String {
        switch self {
        case .float16: return "float16"
        case .float32: return "float32"
        case .float64: return "float64"
        case let .integer(bits, signed): return "\(signed ? "int" : "uint")\(bits)"
        case .string: return "string"
        case .other(let text): return text
        }
    }

    /// Whether HDF5 (or, for float16, this library) can convert the values to Float/Double.
    var isNumeric: Bool {
        switch self {
        case .float16, .float32, .float64, .integer: return true
        case .string, .other: return false
        }
    }
}

/// What this module knows about an HDF5 datatype identifier.
struct HDF5TypeInfo {
    let elementType: HDF5ElementType
    /// Size of one element in bytes as HDF5 reports it (for variable-length types,
    /// the size of the in-memory descriptor).
    let size: Int
    /// Whether the datatype is little-endian (meaningful for numeric types).
    let littleEndian: Bool
    /// For a floating-point type this library does not name (e.g. bfloat16), HDF5
    /// can still convert it; true then.
    let isConvertibleFloat: Bool

    /// Classifies the datatype `type`. Lock must be held.
    static func inspect(_ type: hid_t, failure: (String) -> HDF5Error) throws(HDF5Error) -> HDF5TypeInfo {
        let typeClass = H5Tget_class(type)
        try HDF5Library.check(typeClass.rawValue, failure)
        let size = Int(H5Tget_size(type))
        guard size > 0 else { throw failure(HDF5Library.takeErrorMessage()) }
        let order = H5Tget_order(type)
        HDF5Library.discardErrorStack()  // H5Tget_order fails harmlessly for non-atomic types
        let little = order != H5T_ORDER_BE

        switch typeClass {
        case H5T_FLOAT:
            var signPosition = 0, exponentPosition = 0, exponentSize = 0, mantissaPosition = 0, mantissaSize = 0
            try HDF5Library.check(
                H5Tget_fields(type, &signPosition, &exponentPosition, &exponentSize, &mantissaPosition, &mantissaSize),
                failure)
            let bias = Int(H5Tget_ebias(type))
            let precision = Int(H5Tget_precision(type))
            let offset = Int(H5Tget_offset(type))
            HDF5Library.discardErrorStack()
            let layout = [size, signPosition, exponentPosition, exponentSize, mantissaPosition, mantissaSize,
                          bias, precision, offset]
            if layout == [2, 15, 10, 5, 0, 10, 15, 16, 0] {
                return HDF5TypeInfo(elementType: .float16, size: size, littleEndian: little, isConvertibleFloat: true)
            }
            if layout == [4, 31, 23, 8, 0, 23, 127, 32, 0] {
                return HDF5TypeInfo(elementType: .float32, size: size, littleEndian: little, isConvertibleFloat: true)
            }
            if layout == [8, 63, 52, 11, 0, 52, 1023, 64, 0] {
                return HDF5TypeInfo(elementType: .float64, size: size, littleEndian: little, isConvertibleFloat: true)
            }
            if layout == [2, 15, 7, 8, 0, 7, 127, 16, 0] {
                return HDF5TypeInfo(elementType: .other("bfloat16"), size: size, littleEndian: little, isConvertibleFloat: true)
            }
            // Any other layout is not handed to libhdf5's generic float conversion:
            // a file can declare nonsensical bit fields.
            let name = "float(\(size) bytes, \(exponentSize)-bit exponent, \(mantissaSize)-bit mantissa)"
            return HDF5TypeInfo(elementType: .other(name), size: size, littleEndian: little, isConvertibleFloat: false)
        case H5T_INTEGER:
            let sign = H5Tget_sign(type)
            let precision = Int(H5Tget_precision(type))
            let offset = Int(H5Tget_offset(type))
            HDF5Library.discardErrorStack()
            // Only plain integers (all bits used) are converted by libhdf5.
            guard [1, 2, 4, 8].contains(size), precision == size * 8, offset == 0 else {
                return HDF5TypeInfo(
                    elementType: .other("integer(\(size) bytes, precision \(precision), offset \(offset))"),
                    size: size, littleEndian: little, isConvertibleFloat: false)
            }
            return HDF5TypeInfo(
                elementType: .integer(bits: size * 8, signed: sign == H5T_SGN_2),
                size: size, littleEndian: little, isConvertibleFloat: false)
        case H5T_STRING:
            return HDF5TypeInfo(elementType: .string, size: size, littleEndian: little, isConvertibleFloat: false)
        default:
            return HDF5TypeInfo(
                elementType: .other(HDF5TypeInfo.className(typeClass)),
                size: size, littleEndian: little, isConvertibleFloat: false)
        }
    }

    /// A readable name for an HDF5 type class.
    static func className(_ typeClass: H5T_class_t) -> String {
        switch typeClass {
        case H5T_INTEGER: return "integer"
        case H5T_FLOAT: return "float"
        case H5T_TIME: return "time"
        case H5T_STRING: return "string"
        case H5T_BITFIELD: return "bitfield"
        case H5T_OPAQUE: return "opaque"
        case H5T_COMPOUND: return "compound"
        case H5T_REFERENCE: return "reference"
        case H5T_ENUM: return "enum"
        case H5T_VLEN: return "variable-length sequence"
        case H5T_ARRAY: return "array"
        default: return "unknown type class \(typeClass.rawValue)"
        }
    }
}

/// Conversion of IEEE 754 binary16 bit patterns.
enum HalfFloat {
    /// The Float with the value of the half-precision bit pattern `bits`
    /// (subnormals, infinities and NaNs included; exact, since every half is a float).
    static func toFloat(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = Int(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa * 2^-24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        case 0x1F:
            // Infinity or NaN (payload kept in the top mantissa bits).
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        }
    }
}
