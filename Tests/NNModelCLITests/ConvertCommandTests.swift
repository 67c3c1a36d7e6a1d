import Foundation
import NNModel
@testable import NNModelCLI
import NNTestSupport
import Testing

/// `convert` beyond one file: many files into a folder, standard output, no optimizer state.
@Suite struct ConvertCommandTests {
    static var model: String { CLIFixtures.trainedModel }
    static var kerasFixtures: String { CLIFixtures.repository + "/Fixtures/keras" }

    /// Every input converted in parallel; a failure is reported and does not stop the others;
    /// the status is the first failure's; the converted files equal their sources.
    @Test func manyFilesIntoAFolder() throws {
        let folder = try TemporaryFolder("convert-many")
        let out = folder.file("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        let good = ["tiny_k3.keras", "fmnist8_tfk.h5", "zoo_gelu_k3.keras"].map { Self.kerasFixtures + "/" + $0 }
        let bad = Self.kerasFixtures + "/refuse_depthwise_k3.keras"
        let r = CLIFixtures.run(["convert"] + good + [bad, Self.model, "--output-dir", out, "--format", "nnm"])
        #expect(r.status == 65, "\(r.err)")
        #expect(r.err.split(separator: "\n").count == 1 && r.err.contains("refuse_depthwise_k3.keras") && r.err.contains("DepthwiseConv2D"), "\(r.err)")
        #expect(r.out.contains("Converted 4 of 5 file(s) into \(out); 1 failed"), "\(r.out)")
        for input in good + [Self.model] {
            let stem = ConvertCommand.stem(input)
            let written = out + "/" + stem + ".nnm"
            #expect(CLIFixtures.run(["diff", input, written]).status == 0, "\(input) and \(written) differ")
        }
        #expect(!FileManager.default.fileExists(atPath: out + "/refuse_depthwise_k3.nnm"))

        let json = try CLIFixtures.json(CLIFixtures.run(["convert"] + good + ["--output-dir", out, "--format", "onnx", "--json"]).out)
        #expect(json["converted"]?.intValue == 3 && json["failed"]?.intValue == 0)
        #expect(json["files"]?.arrayValue?.map { $0["output"]?.stringValue ?? "" } == good.map { out + "/" + ConvertCommand.stem($0) + ".onnx" })
    }

    @Test(arguments: [
        (["convert", "a.nnm", "b.nnm", "c.nnm"], "expected an input and an output, got 3 path(s)"),
        (["convert", "a.nnm", "--output-dir", "x"], "--output-dir needs --format"),
        (["convert", "a.nnm", "-"], "writing to standard output ('-') needs --format"),
        (["convert", "a/m.h5", "b/m.keras", "--output-dir", "x", "--format", "nnm"], "a/m.h5 and b/m.keras would both be written to x/m.nnm"),
    ])
    func badCombinationsAreUsageErrors(_ arguments: [String], _ message: String) {
        let r = CLIFixtures.run(arguments)
        #expect(r.status == 64, "\(r.err)")
        #expect(r.err.contains(message), "\(r.err)")
    }

    /// `convert M - --format F` writes the model to standard output, byte for byte what a file
    /// would hold, and the report to standard error.
    @Test(arguments: ["nnm", "h5", "onnx", "safetensors"])
    func toStandardOutput(_ format: String) throws {
        let folder = try TemporaryFolder("convert-stdout")
        let piped = folder.file("piped." + format)
        try Data().write(to: URL(fileURLWithPath: piped))
        // A temporary folder of its own, so the cases running in parallel do not see each other's.
        let scratch = folder.file("tmp")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: false)
        let r = try CLIFixtures.runProcess(["convert", Self.model, "-", "--format", format], environment: ["TMPDIR": scratch],
                                           standardOutput: piped)
        #expect(r.status == 0, "\(r.err)")
        #expect(r.err.contains("Converted") && r.err.contains("to - (\(format)"), "\(r.err)")
        #expect(CLIFixtures.run(["diff", Self.model, piped]).status == 0)
        // Nothing left behind in the temporary folder.
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
    }

    /// `--strip-optimizer` leaves the optimizer state out; the weights are unchanged.
    @Test func stripOptimizer() throws {
        let folder = try TemporaryFolder("convert-strip")
        let stripped = folder.file("stripped.nnm")
        let r = CLIFixtures.run(["convert", Self.model, stripped, "--strip-optimizer", "--json"])
        #expect(r.status == 0, "\(r.err)")
        #expect(try CLIFixtures.json(r.out)["optimizer_state"] == .null)
        let original = try ModelFile.load(Self.model), loaded = try ModelFile.load(stripped)
        #expect(original.optimizerState != nil && loaded.optimizerState == nil)
        #expect(loaded.weights == original.weights)
        let size = { (p: String) in (try? FileManager.default.attributesOfItem(atPath: p)[.size] as? Int) ?? 0 }
        #expect(size(stripped) * 2 < size(Self.model))
    }

    /// The diff help's tolerances for a float16 or bfloat16 copy call the copy equal (the example
    /// used to report "differ" on its own use case); exact comparison still tells them apart.
    @Test(arguments: [("float16", ["--relative-tolerance", "1e-3", "--tolerance", "1e-7"]), ("bfloat16", ["--relative-tolerance", "1e-2"])])
    func diffToleranceForAHalfPrecisionCopy(_ dtype: String, _ tolerances: [String]) throws {
        let folder = try TemporaryFolder("convert-half")
        let half = folder.file("half.nnm")
        #expect(CLIFixtures.run(["convert", Self.model, half, "--dtype", dtype]).status == 0)
        #expect(CLIFixtures.run(["diff", Self.model, half]).status == 1)
        let r = CLIFixtures.run(["diff", Self.model, half] + tolerances)
        #expect(r.status == 0, "\(r.out)")
    }

    /// `predict --output -` writes the .npy to standard output and nothing else.
    @Test func predictToStandardOutput() throws {
        let folder = try TemporaryFolder("predict-stdout")
        let piped = folder.file("p.npy"), file = folder.file("f.npy")
        try Data().write(to: URL(fileURLWithPath: piped))
        let r = try CLIFixtures.runProcess(["predict", Self.model, "--data", CLIFixtures.smallDataset, "--limit", "7", "--output", "-"],
                                           standardOutput: piped)
        #expect(r.status == 0, "\(r.err)")
        #expect(CLIFixtures.run(["predict", Self.model, "--data", CLIFixtures.smallDataset, "--limit", "7", "--output", file]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: piped)) == Data(contentsOf: URL(fileURLWithPath: file)))
        let both = CLIFixtures.run(["predict", Self.model, "--output", "-", "--json"])
        #expect(both.status == 64 && both.err.contains("cannot also carry --json or --csv"), "\(both.err)")
    }

    /// `inspect -` describes a model piped into standard input (here a Keras .h5 written to a
    /// file, then given as standard input), and an empty input says so.
    @Test func inspectStandardInput() throws {
        let folder = try TemporaryFolder("inspect-stdin")
        let h5 = folder.file("m.h5")
        #expect(CLIFixtures.run(["convert", Self.model, h5]).status == 0)
        for (input, status, text) in [(h5, Int32(0), "Format:        Keras legacy HDF5 model"), ("/dev/null", Int32(65), "-: not a model file nnmodel reads")] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Repository.executable)
            process.arguments = ["inspect", "-"]
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: input))
            let out = folder.file("out"), err = folder.file("err")
            #expect(FileManager.default.createFile(atPath: out, contents: nil))
            #expect(FileManager.default.createFile(atPath: err, contents: nil))
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
            try process.run()
            process.waitUntilExit()
            let text2 = try String(contentsOfFile: out, encoding: .utf8) + String(contentsOfFile: err, encoding: .utf8)
            #expect(process.terminationStatus == status, "\(input): \(text2)")
            #expect(text2.contains(text), "\(input): \(text2)")
        }
    }
}
