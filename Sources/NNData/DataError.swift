import NNBase
import NNSystem

/// Why a data file could not be used; every message names the file.
public enum DataError: NNError, Equatable, Sendable {
    /// The file could not be read.
    case file(FileError)
    /// A file of the default dataset is missing; the Debian package provides it.
    case datasetMissing(path: String, package: String)
    /// An IDX file's header is wrong.
    case invalidIDX(path: String, reason: String)
    /// A CSV row or value is wrong.
    case invalidCSV(path: String, line: Int, reason: String)
    /// A NumPy file is malformed or of an unsupported kind.
    case invalidNPY(path: String, reason: String)
    /// Two files that belong together disagree (image and label counts, shapes).
    case mismatch(path: String, reason: String)
    /// A label is outside the class range.
    case labelOutOfRange(path: String, index: Int, label: Int, classes: Int)
    /// The file holds no samples.
    case empty(path: String)
    /// A folder does not hold a dataset in a known layout.
    case unknownLayout(path: String, reason: String)

    public var description: String {
        switch self {
        case let .file(e): return e.description
        case let .datasetMissing(path, package):
            return "\(path): no such file; the Fashion-MNIST data comes from the Debian package '\(package)' (apt-get install -y \(package))"
        case let .invalidIDX(path, reason): return "\(path): not a valid IDX file: \(reason)"
        case let .invalidCSV(path, line, reason): return "\(path), line \(line): \(reason)"
        case let .invalidNPY(path, reason): return "\(path): not a usable NumPy .npy file: \(reason)"
        case let .mismatch(path, reason): return "\(path): \(reason)"
        case let .labelOutOfRange(path, index, label, classes):
            return "\(path): label \(label) of sample \(index) is outside the \(classes) classes (0...\(classes - 1))"
        case let .empty(path): return "\(path): holds no samples"
        case let .unknownLayout(path, reason): return "\(path): \(reason)"
        }
    }

    public var category: ErrorCategory {
        switch self {
        case let .file(e): return e.category
        case .datasetMissing: return .missingInput
        default: return .invalidInput
        }
    }

    public var path: String? {
        switch self {
        case let .file(e): return e.path
        case let .datasetMissing(path, _), let .invalidIDX(path, _), let .invalidCSV(path, _, _), let .invalidNPY(path, _),
             let .mismatch(path, _), let .labelOutOfRange(path, _, _, _), let .empty(path), let .unknownLayout(path, _):
            return path
        }
    }
}
