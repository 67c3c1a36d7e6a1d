import NNBase

/// An error from reading or writing an HDF5 file.
///
/// Every case names the file (`file`) and, where there is one, the object path
/// inside it (`path`, always absolute). Cases that wrap a libhdf5 failure carry the
/// library's own message, taken from the innermost entry of its error stack.
public enum HDF5Error: NNError, Equatable, Sendable {
    /// The file could not be opened as HDF5 (missing, unreadable, not HDF5, truncated...).
    case cannotOpen(file: String, message: String)
    /// The file could not be created.
    case cannotCreate(file: String, message: String)
    /// A libhdf5 call failed; `operation` says what was being done.
    case libraryFailure(file: String, path: String, operation: String, message: String)
    /// The file was closed before the object was used.
    case fileClosed(file: String, path: String)
    /// A write was attempted on a file opened read-only.
    case readOnly(file: String, path: String, operation: String)
    /// No link with this path exists.
    case notFound(file: String, path: String)
    /// The object exists but is of another kind (e.g. a dataset where a group was expected).
    case wrongKind(file: String, path: String, expected: String, found: String)
    /// Refused: the path goes through an external link (points into another file).
    case externalLink(file: String, path: String, targetFile: String, targetPath: String)
    /// Refused: the path goes through a soft link that cannot be resolved inside the file.
    case unsafeSoftLink(file: String, path: String, target: String, reason: String)
    /// Refused: the path goes through a user-defined link type.
    case unsupportedLink(file: String, path: String, linkType: Int)
    /// Refused: the dataset keeps its data in external raw files.
    case externalDataset(file: String, path: String, externalFileCount: Int)
    /// Refused: the dataset is a virtual dataset (maps data from other datasets/files).
    case virtualDataset(file: String, path: String)
    /// Refused: the declared size of the object is implausible for this file.
    case implausibleSize(file: String, path: String, detail: String)
    /// Refused: a structure in the file is corrupt in a way libhdf5 would not survive.
    case corruptFile(file: String, path: String, detail: String)
    /// Refused: the dataspace is not a supported shape (rank, dimension sizes, null space).
    case unsupportedShape(file: String, path: String, detail: String)
    /// The element type cannot be read the requested way.
    case unsupportedType(file: String, path: String, type: String, requested: String)
    /// An attribute holds a value of another type or shape than requested.
    case attributeTypeMismatch(file: String, path: String, attribute: String, expected: String, found: String)
    /// A string stored in the file is not valid UTF-8.
    case invalidUTF8(file: String, path: String, attribute: String)
    /// A value given to a writer cannot be stored (bad name, shape/count mismatch, too large...).
    case invalidArgument(file: String, path: String, detail: String)

    public var category: ErrorCategory {
        if case .cannotCreate = self { return .cannotWrite }
        return .invalidInput
    }

    public var path: String? { file }

    /// The file the error is about.
    public var file: String {
        switch self {
        case let .cannotOpen(file, _), let .cannotCreate(file, _),
             let .libraryFailure(file, _, _, _), let .fileClosed(file, _),
             let .readOnly(file, _, _), let .notFound(file, _),
             let .wrongKind(file, _, _, _), let .externalLink(file, _, _, _),
             let .unsafeSoftLink(file, _, _, _), let .unsupportedLink(file, _, _),
             let .externalDataset(file, _, _), let .virtualDataset(file, _),
             let .implausibleSize(file, _, _), let .corruptFile(file, _, _),
             let .unsupportedShape(file, _, _),
             let .unsupportedType(file, _, _, _), let .attributeTypeMismatch(file, _, _, _, _),
             let .invalidUTF8(file, _, _), let .invalidArgument(file, _, _):
            return file
        }
    }

    public var description: String {
        switch self {
        case let .cannotOpen(file, message):
            return "cannot open '\(file)' as HDF5: \(Self.plain(message))"
        case let .cannotCreate(file, message):
            return "cannot create HDF5 file '\(file)': \(message)"
        case let .libraryFailure(file, path, operation, message):
            return "HDF5 failed \(operation) '\(path)' in '\(file)': \(message)"
        case let .fileClosed(file, path):
            return "cannot use '\(path)': HDF5 file '\(file)' is closed"
        case let .readOnly(file, path, operation):
            return "cannot \(operation) '\(path)': HDF5 file '\(file)' is open read-only"
        case let .notFound(file, path):
            return "'\(file)' has no HDF5 object '\(path)'"
        case let .wrongKind(file, path, expected, found):
            return "expected \(expected) at '\(path)' in '\(file)', found \(found)"
        case let .externalLink(file, path, targetFile, targetPath):
            return "refusing external link '\(path)' in '\(file)' (points to '\(targetPath)' in file '\(targetFile)'): external links are not allowed"
        case let .unsafeSoftLink(file, path, target, reason):
            return "refusing soft link '\(path)' in '\(file)' (target '\(target)'): \(reason)"
        case let .unsupportedLink(file, path, linkType):
            return "refusing link '\(path)' in '\(file)': user-defined link type \(linkType) is not supported"
        case let .externalDataset(file, path, count):
            return "refusing dataset '\(path)' in '\(file)': its data is stored in \(count) external file(s)"
        case let .virtualDataset(file, path):
            return "refusing dataset '\(path)' in '\(file)': virtual datasets are not allowed"
        case let .implausibleSize(file, path, detail):
            return "refusing '\(path)' in '\(file)': \(detail)"
        case let .corruptFile(file, path, detail):
            return "refusing to read '\(path)' in '\(file)': the file is corrupt: \(detail)"
        case let .unsupportedShape(file, path, detail):
            return "unsupported shape for '\(path)' in '\(file)': \(detail)"
        case let .unsupportedType(file, path, type, requested):
            return "cannot read '\(path)' in '\(file)' as \(requested): element type is \(type)"
        case let .attributeTypeMismatch(file, path, attribute, expected, found):
            return "attribute '\(attribute)' of '\(path)' in '\(file)': expected \(expected), found \(found)"
        case let .invalidUTF8(file, path, attribute):
            return "attribute '\(attribute)' of '\(path)' in '\(file)' holds a string that is not valid UTF-8"
        case let .invalidArgument(file, path, detail):
            return "invalid request for '\(path)' in '\(file)': \(detail)"
        }
    }

    /// libhdf5's message in the user's terms where nnmodel knows it (a truncated file is reported
    /// with the superblock's internal field names), else as libhdf5 wrote it.
    static func plain(_ message: String) -> String {
        // "truncated file: eof = 3000, sblock->base_addr = 0, stored_eof = 23216"
        if message.hasPrefix("truncated file"),
           let size = number(after: "eof = ", in: message), let stored = number(after: "stored_eof = ", in: message) {
            return "the file is truncated: it holds \(size) bytes, its HDF5 superblock says \(stored)"
        }
        return message
    }

    /// The decimal number right after `marker` in `text`.
    private static func number(after marker: String, in text: String) -> Int? {
        guard let range = text.range(of: marker) else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isASCII && $0.isNumber })
    }
}
