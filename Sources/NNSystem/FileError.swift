import NNBase

#if canImport(Glibc)
import Glibc
#endif

/// A file that could not be read or written, with the path and the system's reason.
public enum FileError: NNError, Equatable, Sendable {
    /// An input does not exist.
    case notFound(path: String)
    /// The system refused access.
    case permissionDenied(path: String)
    /// An input is a folder.
    case isDirectory(path: String)
    /// An input is not a regular file (a FIFO, a device, a socket).
    case notAFile(path: String)
    /// Reading failed.
    case readFailed(path: String, reason: String)
    /// The file changed size while it was read (truncated by another process).
    case changedWhileReading(path: String, expected: Int, found: Int)
    /// The output file could not be created.
    case cannotCreate(path: String, reason: String)
    /// Writing, flushing or renaming the output failed after it was created (a full disk, an I/O error).
    case writeFailed(path: String, reason: String)
    /// The output path names something a save must not replace: a folder, a device, a FIFO, a
    /// symbolic link.
    case unsuitableTarget(path: String, reason: String)
    /// A file is larger than the limit for its kind.
    case tooLarge(path: String, size: Int, limit: Int)
    /// gzip data is corrupt or truncated.
    case invalidGzip(path: String, reason: String)
    /// The output's folder does not exist.
    case folderMissing(path: String, folder: String)

    public var description: String {
        switch self {
        case let .notFound(path): return "\(path): no such file"
        case let .permissionDenied(path): return "\(path): permission denied"
        case let .isDirectory(path): return "\(path): is a folder, expected a file"
        case let .notAFile(path): return "\(path): not a regular file (a FIFO, device or socket), expected a file"
        case let .readFailed(path, reason): return "\(path): cannot read: \(reason)"
        case let .changedWhileReading(path, expected, found):
            return "\(path): the file changed while it was read (expected \(expected) bytes, found \(found)); read it again"
        case let .cannotCreate(path, reason): return "\(path): cannot create: \(reason)"
        case let .writeFailed(path, reason): return "\(path): cannot write: \(reason)"
        case let .unsuitableTarget(path, reason): return "\(path): will not write over it: \(reason)"
        case let .tooLarge(path, size, limit): return "\(path): \(size) bytes is more than the limit of \(limit) bytes"
        case let .invalidGzip(path, reason): return "\(path): invalid gzip data: \(reason)"
        case let .folderMissing(path, folder): return "\(path): cannot write: folder '\(folder)' does not exist"
        }
    }

    public var category: ErrorCategory {
        switch self {
        case .notFound: return .missingInput
        case .isDirectory, .notAFile, .tooLarge, .invalidGzip: return .invalidInput
        case .permissionDenied, .readFailed, .changedWhileReading, .writeFailed: return .io
        case .cannotCreate, .unsuitableTarget, .folderMissing: return .cannotWrite
        }
    }

    /// The path the error is about.
    public var path: String? { filePath }

    /// The path the error is about.
    public var filePath: String {
        switch self {
        case let .notFound(p), let .permissionDenied(p), let .isDirectory(p), let .notAFile(p): return p
        case let .readFailed(p, _), let .changedWhileReading(p, _, _), let .cannotCreate(p, _), let .writeFailed(p, _),
             let .unsuitableTarget(p, _), let .tooLarge(p, _, _), let .invalidGzip(p, _), let .folderMissing(p, _):
            return p
        }
    }

    /// Maps the current `errno` of a failed read-side call on `path`.
    static func reading(_ path: String, _ code: Int32 = errno) -> FileError {
        switch code {
        case ENOENT, ENOTDIR: return .notFound(path: path)
        case EACCES, EPERM: return .permissionDenied(path: path)
        case EISDIR: return .isDirectory(path: path)
        case ENXIO: return .notAFile(path: path)
        default: return .readFailed(path: path, reason: systemMessage(code))
        }
    }

    /// The C library's text for an `errno` value.
    public static func systemMessage(_ code: Int32) -> String {
        guard let s = strerror(code) else { return "error \(code)" }
        return String(cString: s)
    }
}
