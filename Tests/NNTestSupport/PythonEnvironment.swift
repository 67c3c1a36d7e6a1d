import Foundation
import Testing

/// The Python the test suite uses for checks by other tools (onnx's checker, onnxruntime,
/// safetensors, h5py): `NNMODEL_PYTHON`, else the virtualenv `scripts/pyenv.sh` makes in
/// `.build/python-env`.
///
/// When neither exists the checks are skipped with a note, except in CI, where a missing Python
/// is a failure (`scripts/test.sh` always creates it).
package enum PythonEnvironment {
    /// The interpreter, if there is one.
    package static let python: String? = {
        let candidates = [ProcessInfo.processInfo.environment["NNMODEL_PYTHON"], Repository.root + "/.build/python-env/bin/python"]
        return candidates.compactMap { $0 }.first { !$0.isEmpty && FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// The interpreter, or nil after recording an issue in CI (and a note elsewhere) when it is missing.
    package static func require(for purpose: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        if let python { return python }
        if FashionMNISTFixture.isCI {
            Issue.record("no Python for \(purpose): set NNMODEL_PYTHON or run scripts/pyenv.sh", sourceLocation: sourceLocation)
        } else {
            print("note: skipping \(purpose): no Python (run scripts/pyenv.sh or set NNMODEL_PYTHON)")
        }
        return nil
    }

    /// Runs `Tests/Python/<script>` with `arguments`; returns its exit status and what it printed.
    package static func run(_ python: String, script: String, _ arguments: [String], timeout: Duration = .seconds(120)) throws
        -> (status: Int32, output: String)
    {
        let folder = try TemporaryFolder("python")
        let outputPath = folder.file("output")
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Repository.root + "/Tests/Python/" + script] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline { process.terminate() }
            usleep(10_000)
        }
        process.waitUntilExit()
        try handle.close()
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return (process.terminationStatus, output)
    }
}
