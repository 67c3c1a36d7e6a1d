/// Why a file cannot be read or written in any format: the format is unknown, or cannot hold
/// what is asked.
public enum CodecError: NNError, Equatable, Sendable {
    /// No format recognises the file's first bytes (and its extension names none).
    case unknownFormat(path: String, found: String, known: [String])
    /// The output path's extension names no format and none was given.
    case unknownExtension(path: String, known: [String])
    /// A format was named that nnmodel does not know.
    case unknownFormatName(String, known: [String])
    /// The format is read-only.
    case readOnlyFormat(path: String, format: String, writable: [String])
    /// The format cannot store weights in this dtype.
    case unsupportedDType(path: String, format: String, dtype: DType, supported: [DType])

    public var category: ErrorCategory {
        switch self {
        case .unknownFormat: return .invalidInput
        case .unknownExtension, .unknownFormatName, .readOnlyFormat, .unsupportedDType: return .usage
        }
    }

    public var path: String? {
        switch self {
        case let .unknownFormat(path, _, _), let .unknownExtension(path, _), let .readOnlyFormat(path, _, _),
             let .unsupportedDType(path, _, _, _):
            return path
        case .unknownFormatName: return nil
        }
    }

    public var description: String {
        switch self {
        case let .unknownFormat(path, found, known):
            return "\(path): not a model file nnmodel reads (\(known.joined(separator: ", "))): found \(Excerpt.quote(found))"
        case let .unknownExtension(path, known):
            return "\(path): the extension names no model format; use one of \(known.map { "." + $0 }.joined(separator: ", ")) or name the format"
        case let .unknownFormatName(name, known):
            return "unknown model format '\(name)'; known: \(known.joined(separator: ", "))"
        case let .readOnlyFormat(path, format, writable):
            return "\(path): nnmodel reads \(format) files but does not write them; it writes \(writable.joined(separator: ", "))"
        case let .unsupportedDType(path, format, dtype, supported):
            return "\(path): \(format) files cannot store \(dtype.rawValue) weights; they store \(supported.map(\.rawValue).joined(separator: ", "))"
        }
    }
}
