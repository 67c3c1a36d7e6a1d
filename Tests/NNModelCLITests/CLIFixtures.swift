import Foundation
import NNModel
import NNModelCLI
import NNTestSupport
import Testing

/// Shared data for the CLI tests: a small slice of Fashion-MNIST as an IDX folder, and a model
/// trained on it once.
enum CLIFixtures {
    static var repository: String { Repository.root }

    /// A fresh temporary folder (removed when the test process exits).
    static func temporaryFolder() -> String { TemporaryFolder.shared("nnmodel-cli") }

    /// A folder with the first 3000 training and 500 test images of Fashion-MNIST as raw IDX files.
    static let smallDataset: String = {
        let folder = temporaryFolder() + "/fashion-small"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (split, count) in [(DataSplit.train, 3000), (.test, 500)] {
            guard let data = try? FashionMNISTFixture.load(split)?.slice(0..<count),
                  case let .uint8(pixels, _) = data.features, case let .classes(labels)? = data.labels else { continue }
            let prefix = split == .train ? "train" : "t10k"
            writeIDX(folder + "/\(prefix)-images-idx3-ubyte", dims: [count, 28, 28], bytes: pixels)
            writeIDX(folder + "/\(prefix)-labels-idx1-ubyte", dims: [count], bytes: labels.map { UInt8($0) })
        }
        return folder
    }()

    static func writeIDX(_ path: String, dims: [Int], bytes: [UInt8]) {
        var out: [UInt8] = [0, 0, 8, UInt8(dims.count)]
        for d in dims { out += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
        try? Data(out + bytes).write(to: URL(fileURLWithPath: path))
    }

    /// A seed model trained for one epoch on ``smallDataset``, saved as .nnm.
    static let trainedModel: String = {
        let path = temporaryFolder() + "/seed.nnm"
        _ = run(["train", "--data", smallDataset, "--epochs", "2", "--quiet", "--output", path])
        return path
    }()

    /// Runs `nnmodel` in-process.
    static func run(_ arguments: [String]) -> (status: Int32, out: String, err: String) {
        let r = NNModelCommand.runInProcess(arguments)
        return (r.status, r.standardOutput, r.standardError)
    }

    /// Runs the built `nnmodel` executable as a separate process, with `environment` added to
    /// this process's; a run that takes longer than `timeout` is killed and reported as status -1.
    /// With `standardOutput`, the process writes its standard output to that existing file
    /// (e.g. `/dev/full`) and `out` is empty.
    static func runProcess(_ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60),
                           standardOutput: String? = nil)
        throws -> (status: Int32, out: String, err: String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repository.executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let folder = try TemporaryFolder("process")
        let outPath = folder.file("out"), errPath = folder.file("err")
        try Data().write(to: URL(fileURLWithPath: outPath))
        try Data().write(to: URL(fileURLWithPath: errPath))
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: standardOutput ?? outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let deadline = ContinuousClock.now + timeout
        var timedOut = false
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(process.processIdentifier, SIGKILL)
                timedOut = true
                break
            }
            usleep(10_000)
        }
        process.waitUntilExit()
        try out.close()
        try err.close()
        let o = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let e = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return (timedOut ? -1 : process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus, o, e)
    }

    /// Parses JSON printed by a command.
    static func json(_ text: String) throws -> JSON { try JSON(parsing: text) }
}
