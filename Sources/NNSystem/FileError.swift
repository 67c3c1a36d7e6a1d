import NNBase

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that could not be read or written, with the path and the system's reason.
public enum FileError: NNError, Equatable, Sendable {
    case notFound(path: String)
    case permissionDenied(path: String)
    case isDirectory(path: String)
    case notAFile(path: String)
    case readFailed(path: String, reason: String)
    case writeFailed(path: String, reason: String)
    case tooLarge(path: String, size: Int, limit: Int)
    case invalidGzip(path: String, reason: String)
    case folderMissing(path: String, folder: String)

    public var description: String {
        switch self {
        case let .notFound(path): return "\(path): no such file"
        case let .permissionDenied(path): return "\(path): permission denied"
        case let .isDirectory(path): return "\(path): is a folder, expected a file"
        case let .notAFile(path): return "\(path): not a regular file"
        case let .readFailed(path, reason): return "\(path): cannot read: \(reason)"
        case let .writeFailed(path, reason): return "\(path): cannot write: \(reason)"
        case let .tooLarge(path, size, limit): return "\(path): \(size) bytes is more than the limit of \(limit) bytes"
        case let .invalidGzip(path, reason): return "\(path): invalid gzip data: \(reason)"
        case let .folderMissing(path, folder): return "\(path): cannot write: folder '\(folder)' does not exist"
        }
    }

    public var category: ErrorCategory {
        switch self {
        case .notFound, .isDirectory, .notAFile: return .missingInput
        case .permissionDenied, .readFailed: return .io
        case .writeFailed, .folderMissing: return .cannotWrite
        case .tooLarge, .invalidGzip: return .invalidInput
        }
    }

    /// The path the error is about.
    public var path: String? { filePath }

    /// The path the error is about.
    public var filePath: String {
        switch self {
        case let .notFound(p), let .permissionDenied(p), let .isDirectory(p), let .notAFile(p): return p
        case let .readFailed(p, _), let .writeFailed(p, _), let .tooLarge(p, _, _), let .invalidGzip(p, _): return p
        case let .folderMissing(p, _): return p
        }
    }

    /// Maps the current `errno` of a failed read-side call on `path`.
    static func reading(_ path: String, _ code: Int32 = errno) -> FileError {
        switch code {
        case ENOENT, ENOTDIR: return .notFound(path: path)
        case EACCES, EPERM: return .permissionDenied(path: path)
        case EISDIR: return .isDirectory(path: path)
        default: return .readFailed(path: path, reason: systemMessage(code))
        }
    }

    /// The C library's text for an `errno` value.
    public static func systemMessage(_ code: Int32) -> String {
        guard let s = strerror(code) else { return "error \(code)" }
        return String(cString: s)
    }
}
