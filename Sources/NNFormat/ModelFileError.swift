import NNSchema
import NNSystem

/// Why a `.nnm` model file cannot be read or written. Every message names the file.
public enum ModelFileError: NNError, Equatable, Sendable {
    case file(FileError)
    case tooShort(path: String, size: Int)
    case notNNM(path: String, found: String)
    case unsupportedVersion(path: String, major: Int, minor: Int)
    case headerTooLarge(path: String, length: UInt64, limit: Int)
    case headerPastEnd(path: String, length: UInt64, fileSize: Int)
    case headerChecksumMismatch(path: String, expected: UInt32, found: UInt32)
    case invalidHeader(path: String, reason: String)
    case invalidArchitecture(path: String, ModelConfigError)
    case unknownDType(path: String, tensor: String, dtype: String)
    case invalidTensorShape(path: String, tensor: String, reason: String)
    case tensorLengthMismatch(path: String, tensor: String, expected: Int, found: Int)
    case misalignedTensor(path: String, tensor: String, offset: Int)
    case tensorOutOfBounds(path: String, tensor: String, offset: Int, length: Int, dataSize: Int)
    case tensorsOverlap(path: String, first: String, second: String)
    case duplicateTensor(path: String, tensor: String)
    case tooManyTensors(path: String, count: Int, limit: Int)
    case checksumMismatch(path: String, tensor: String, expected: UInt32, found: UInt32)
    case missingTensor(path: String, tensor: String, expectedShape: [Int])
    case tensorShapeMismatch(path: String, tensor: String, expected: [Int], found: [Int])
    case invalidOptimizerState(path: String, reason: String)
    /// The model cannot be written as `.nnm` (the file would break a reader's limit).
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .file(e): return e.description
        case let .tooShort(path, size):
            return "\(path): not an nnm model file: it is \(size) bytes, shorter than the \(NNMFormat.preambleSize)-byte preamble"
        case let .notNNM(path, found): return "\(path): not an nnm model file: expected the magic bytes 89 4E 4E 4D 0D 0A 1A 0A, found \(found)"
        case let .unsupportedVersion(path, major, minor):
            return major == 0
                ? "\(path): invalid nnm format version \(major).\(minor)"
                : "\(path): nnm format version \(major).\(minor) is newer than this nnmodel reads (\(NNMFormat.majorVersion).x); upgrade nnmodel to read it"
        case let .headerTooLarge(path, length, limit):
            return "\(path): header length \(length) bytes exceeds the limit of \(limit) bytes"
        case let .headerPastEnd(path, length, size):
            return "\(path): header length \(length) bytes runs past the end of the \(size)-byte file (truncated?)"
        case let .headerChecksumMismatch(path, expected, found):
            return "\(path): header checksum mismatch: expected CRC-32 \(hex32(expected)), computed \(hex32(found)) (the file is damaged)"
        case let .invalidHeader(path, reason): return "\(path): invalid header: \(Excerpt.quote(reason))"
        case let .invalidArchitecture(path, e): return "\(path): \(e)"
        case let .unknownDType(path, tensor, dtype):
            return "\(path): tensor '\(Excerpt.quote(tensor))' has unknown dtype '\(Excerpt.quote(dtype))'; expected one of \(DType.allCases.map(\.rawValue).joined(separator: ", "))"
        case let .invalidTensorShape(path, tensor, reason): return "\(path): tensor '\(Excerpt.quote(tensor))': \(Excerpt.quote(reason))"
        case let .tensorLengthMismatch(path, tensor, expected, found):
            return "\(path): tensor '\(Excerpt.quote(tensor))' declares \(found) bytes, its dtype and shape need \(expected)"
        case let .misalignedTensor(path, tensor, offset):
            return "\(path): tensor '\(Excerpt.quote(tensor))' starts at data offset \(offset), which is not a multiple of \(NNMFormat.alignment)"
        case let .tensorOutOfBounds(path, tensor, offset, length, dataSize):
            return "\(path): tensor '\(Excerpt.quote(tensor))' (offset \(offset), \(length) bytes) lies outside the \(dataSize)-byte data section (truncated file?)"
        case let .tensorsOverlap(path, first, second): return "\(path): tensors '\(Excerpt.quote(first))' and '\(Excerpt.quote(second))' overlap"
        case let .duplicateTensor(path, tensor): return "\(path): tensor '\(Excerpt.quote(tensor))' appears twice in the tensor table"
        case let .tooManyTensors(path, count, limit): return "\(path): \(count) tensors exceed the limit of \(limit)"
        case let .checksumMismatch(path, tensor, expected, found):
            return "\(path): checksum mismatch in tensor '\(Excerpt.quote(tensor))': expected CRC-32 \(hex32(expected)), computed \(hex32(found)) (the file is damaged)"
        case let .missingTensor(path, tensor, shape):
            return "\(path): tensor '\(Excerpt.quote(tensor))' (shape \(shape)) required by the architecture is missing"
        case let .tensorShapeMismatch(path, tensor, expected, found):
            return "\(path): tensor '\(Excerpt.quote(tensor))' has shape \(found), the architecture needs \(expected)"
        case let .invalidOptimizerState(path, reason): return "\(path): invalid optimizer state: \(Excerpt.quote(reason))"
        case let .cannotWrite(path, reason): return "\(path): cannot write as .nnm: \(Excerpt.quote(reason))"
        }
    }
}

extension ModelFileError {
    public var category: ErrorCategory {
        if case let .file(e) = self { return e.category }
        return .invalidInput
    }

    public var path: String? {
        switch self {
        case let .file(e): return e.path
        case let .tooShort(path, _), let .notNNM(path, _), let .unsupportedVersion(path, _, _), let .headerTooLarge(path, _, _),
             let .headerPastEnd(path, _, _), let .headerChecksumMismatch(path, _, _), let .invalidHeader(path, _),
             let .invalidArchitecture(path, _), let .unknownDType(path, _, _), let .invalidTensorShape(path, _, _),
             let .tensorLengthMismatch(path, _, _, _), let .misalignedTensor(path, _, _), let .tensorOutOfBounds(path, _, _, _, _),
             let .tensorsOverlap(path, _, _), let .duplicateTensor(path, _), let .tooManyTensors(path, _, _),
             let .checksumMismatch(path, _, _, _), let .missingTensor(path, _, _), let .tensorShapeMismatch(path, _, _, _),
             let .invalidOptimizerState(path, _), let .cannotWrite(path, _):
            return path
        }
    }
}

func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - s.count) + s
}
