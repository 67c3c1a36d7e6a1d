import NNSchema
import NNSystem

/// Why a safetensors file cannot be read or written. Every message names the file, and where it
/// applies the tensor, what was expected and what was found.
public enum SafetensorsError: NNError, Equatable, Sendable {
    /// The header length in the first 8 bytes is over the limit the safetensors project sets.
    case headerTooLarge(path: String, length: UInt64, limit: Int)
    /// The header length runs past the end of the file (or the file is shorter than 8 bytes).
    case invalidHeaderLength(path: String, declared: UInt64, fileSize: Int)
    /// The header is not UTF-8 JSON of the expected shape.
    case invalidHeader(path: String, reason: String)
    /// A tensor's entry is invalid: unknown dtype, bad shape, or offsets that do not match its size.
    case invalidTensor(path: String, tensor: String, reason: String)
    /// The tensors do not cover the data section exactly (a gap, an overlap or bytes left over).
    case invalidLayout(path: String, reason: String)
    /// A file of weights alone was read without an architecture to load them into.
    case architectureRequired(path: String, tensors: Int)
    /// The file's tensors do not match the architecture's weights.
    case weightsMismatch(path: String, reason: String)
    /// The file could not be read or written.
    case file(FileError)

    public var category: ErrorCategory {
        switch self {
        case let .file(e): return e.category
        default: return .invalidInput
        }
    }

    public var path: String? {
        switch self {
        case let .headerTooLarge(path, _, _), let .invalidHeaderLength(path, _, _), let .invalidHeader(path, _),
             let .invalidTensor(path, _, _), let .invalidLayout(path, _), let .architectureRequired(path, _),
             let .weightsMismatch(path, _):
            return path
        case let .file(e): return e.path
        }
    }

    public var description: String {
        switch self {
        case let .headerTooLarge(path, length, limit):
            return "\(path): the safetensors header is \(length) bytes, more than the limit of \(limit)"
        case let .invalidHeaderLength(path, declared, size):
            return size < 8 ? "\(path): \(size) bytes is too short for a safetensors file (8-byte header length, then the header)"
                : "\(path): the header length \(declared) runs past the end of the file (\(size) bytes)"
        case let .invalidHeader(path, reason): return "\(path): invalid safetensors header: \(reason)"
        case let .invalidTensor(path, tensor, reason): return "\(path): tensor '\(Excerpt.quote(tensor))': \(reason)"
        case let .invalidLayout(path, reason): return "\(path): invalid safetensors data layout: \(reason)"
        case let .architectureRequired(path, count):
            return "\(path): the file holds \(count) \(count == 1 ? "tensor" : "tensors") and no nnmodel architecture; give the architecture of the model \(count == 1 ? "it belongs" : "they belong") to"
        case let .weightsMismatch(path, reason): return "\(path): the tensors do not match the architecture: \(reason)"
        case let .file(e): return e.description
        }
    }
}
