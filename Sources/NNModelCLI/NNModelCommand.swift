import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import NNModel

/// `nnmodel`: train, inspect, evaluate, predict and convert small neural-network models.
public struct NNModelCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "nnmodel",
        abstract: "Train, inspect, evaluate, predict with and convert small neural-network models.",
        discussion: """
        Exit status: 0 success; 1 the command ran but the answer is negative (models differ, a \
        checksum failed, training diverged); 64 bad usage; 65 invalid or unsupported input \
        (a damaged file, an unsupported layer, data that does not fit the model); 66 an input \
        file is missing; 73 an output file cannot be created; 74 another I/O error.
        """,
        version: NNModelVersion.string,
        subcommands: [TrainCommand.self, InspectCommand.self, EvaluateCommand.self, PredictCommand.self, ConvertCommand.self, DiffCommand.self, PlotCommand.self]
    )
}

extension NNModelCommand {
    /// Runs the command line `arguments` and returns the exit status. Help and version go to
    /// standard output; any error is one line on standard error (`nnmodel: error: ...`).
    public static func runMain(_ arguments: [String]) -> Int32 {
        // A write past the file-size limit (`ulimit -f`) fails with EFBIG, reported with the file
        // and the temporary file removed, instead of killing the process (SIGXFSZ) midway.
        signal(SIGXFSZ, SIG_IGN)
        let status = runCommand(arguments)
        if Console.capture == nil, let code = Console.standardOutputError {
            // The report went nowhere (a full disk, a failing device): that is not success.
            printError("nnmodel: error: cannot write standard output: \(String(cString: strerror(code)))")
            return status == 0 || status == 1 ? ExitStatus.ioError : status
        }
        return status
    }

    private static func runCommand(_ arguments: [String]) -> Int32 {
        if arguments.isEmpty {
            // Nothing asked: the overview goes to stderr and the status says it was a usage error.
            Console.errRaw(helpMessage() + "\n")
            return ExitStatus.usage
        }
        do {
            var command = try parseAsRoot(joiningNegativeValues(arguments))
            try command.run()
            return 0
        } catch let error as ExitCode {
            return error.rawValue  // the command already printed its message
        } catch {
            let status = exitCode(for: error).rawValue
            if status == 0 {
                Console.outRaw(fullMessage(for: error) + "\n")
            } else {
                let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
                let names = configuration.subcommands.map { $0.configuration.commandName ?? "" }
                let help = arguments.first.flatMap { names.contains($0) ? "nnmodel \($0) --help" : nil } ?? "nnmodel --help"
                printError("nnmodel: error: \(message) (see '\(help)')")
            }
            return status
        }
    }

    /// `--option -1` as `--option=-1`: the parser takes a word starting with `-` for an option, so
    /// a negative number after a space was reported as a missing value instead of being checked
    /// (and refused as out of range where it is).
    static func joiningNegativeValues(_ arguments: [String]) -> [String] {
        var result: [String] = []
        result.reserveCapacity(arguments.count)
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { result += arguments[i...]; break }
            if a.hasPrefix("--"), !a.contains("="), i + 1 < arguments.count, isNegativeNumber(arguments[i + 1]) {
                result.append(a + "=" + arguments[i + 1])
                i += 2
                continue
            }
            result.append(a)
            i += 1
        }
        return result
    }

    /// `-1`, `-0.5`, `-.5`, `-1e-3`, `-inf`: a word that is a negative number, not an option.
    static func isNegativeNumber(_ word: String) -> Bool {
        guard word.hasPrefix("-"), word.count > 1 else { return false }
        let rest = word.dropFirst()
        if ["inf", "infinity", "nan"].contains(rest.lowercased()) { return true }
        guard let first = rest.first, first.isASCII, first.isNumber || first == "." else { return false }
        return Double(rest) != nil
    }

    /// Runs the command line `arguments` in-process, as the executable would, returning the exit
    /// status and what was printed. Tests use this; scripts run the `nnmodel` executable.
    public static func runInProcess(_ arguments: [String]) -> (status: Int32, standardOutput: String, standardError: String) {
        let capture = OutputCapture()
        var status: Int32 = 0
        Console.$capture.withValue(capture) { status = runMain(arguments) }
        return (status, capture.standardOutput, capture.standardError)
    }
}
