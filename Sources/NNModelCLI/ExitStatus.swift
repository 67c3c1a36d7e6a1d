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
    /// 128 + SIGINT, as shells report a process ended by Ctrl-C.
    static let interrupted: Int32 = 130

    /// The status for an error: its category's (see ``ErrorCategory``), or 65 for an error
    /// that carries none.
    static func code(for error: Error) -> Int32 {
        if let e = error as? CommandFailure { return e.status }
        guard let e = error as? any NNError else { return dataError }
        switch e.category {
        case .usage: return usage
        case .invalidInput: return dataError
        case .missingInput: return noInput
        case .cannotWrite: return cannotCreate
        case .io: return ioError
        case .negativeResult: return negative
        case .interrupted: return interrupted
        }
    }

    /// The longest error message printed (messages quote file content, which is excerpted first;
    /// this bounds what is left, such as long paths).
    static let maximumMessageLength = 2000

    /// A message as one safe line: escaped, and cut to ``maximumMessageLength`` characters.
    static func oneLine(_ message: String) -> String {
        let escaped = Excerpt.escaped(message)
        guard escaped.count > maximumMessageLength else { return escaped }
        return String(escaped.prefix(maximumMessageLength)) + "… (\(escaped.count - maximumMessageLength) more characters)"
    }

    /// How to run a file of weights alone.
    static let architectureHint = "give --architecture FILE (a .nnm, .h5 or .keras of the same model) or --config model_config.json"

    /// What to add to a library error's message on the command line: the flag that helps.
    static func hint(for error: Error) -> String? {
        switch error {
        case KerasImportError.missingArchitecture, SafetensorsError.architectureRequired:
            return architectureHint
        case TrainingError.nonFiniteLoss:
            return "try a lower --learning-rate"
        case DataError.datasetMissing:
            return "or give --data DIR"
        case let ModelFileError.checksumMismatch(_, tensor, _, _) where tensor.hasPrefix("optimizer/"):
            return "only the optimizer state is damaged, which evaluate and predict do not use: --no-verify skips the check (convert --strip-optimizer --no-verify saves a clean copy without it)"
        case CodecError.unknownExtension:
            return "convert takes --format nnm|h5|keras|onnx|safetensors"
        default:
            return nil
        }
    }
}

/// A failure the CLI itself detects, with its exit status.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var status: Int32 = ExitStatus.dataError
    var description: String { message }
}

/// Writes a message to standard error as one line: escaped (a name read from a file cannot forge
/// a second line or drive the terminal) and bounded.
func printError(_ message: String) {
    Console.errRaw(ExitStatus.oneLine(message.hasSuffix("\n") ? String(message.dropLast()) : message) + "\n")
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
        let hint = ExitStatus.hint(for: error).map { "; \($0)" } ?? ""
        printError("nnmodel: error: \(error)\(hint)")
        throw ExitCode(ExitStatus.code(for: error))
    }
}
