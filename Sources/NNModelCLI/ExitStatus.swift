import ArgumentParser
import NNModel


/// The exit statuses nnmodel promises scripts (BSD `sysexits.h` values where one fits).
enum ExitStatus {
    static let negative: Int32 = 1
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let noInput: Int32 = 66
    static let cannotCreate: Int32 = 73
    static let ioError: Int32 = 74

    /// The status for an error thrown by the library.
    static func code(for error: Error) -> Int32 {
        switch error {
        case let e as FileError:
            switch e {
            case .notFound, .isDirectory, .notAFile: return noInput
            case .permissionDenied, .readFailed: return ioError
            case .writeFailed, .folderMissing: return cannotCreate
            case .tooLarge, .invalidGzip: return dataError
            }
        case let e as DataError:
            switch e {
            case let .file(f): return code(for: f)
            case .datasetMissing: return noInput
            default: return dataError
            }
        case let e as TrainingError:
            if case .nonFiniteLoss = e { return negative }
            return dataError
        case is ModelConfigError: return dataError
        case let e as ModelFileError:
            if case let .file(f) = e { return code(for: f) }
            return dataError
        case let e as KerasImportError:
            switch e {
            case let .file(f): return code(for: f)
            case let .hdf5(h): return code(for: h)
            default: return dataError
            }
        case let e as HDF5Error:
            if case .cannotCreate = e { return cannotCreate }
            return dataError
        case let e as CommandFailure: return e.status
        default: return dataError
        }
    }
}

/// A failure the CLI itself detects, with its exit status.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var status: Int32 = ExitStatus.dataError
    var description: String { message }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    Console.errRaw(message.hasSuffix("\n") ? message : message + "\n")
}

/// Runs a command body, turning library errors into one line on stderr and a stable exit status.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        printError("nnmodel: error: \(error)")
        throw ExitCode(ExitStatus.code(for: error))
    }
}
