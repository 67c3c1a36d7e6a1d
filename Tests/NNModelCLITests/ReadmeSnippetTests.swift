import Foundation
import NNModel
import NNTestSupport
import Testing

/// The README's library snippet compiles (it is the body of ``readmeSnippet()`` below, checked
/// line by line against the README), and the library's defaults train what the command line trains.
@Suite struct ReadmeSnippetTests {
    /// The README snippet, verbatim: compiled, never run (it trains on the whole dataset).
    static func readmeSnippet() throws {
        let data = try DataSource("fashion-mnist")
        var model = try Sequential(.seed())                        // Flatten -> Dense(128, relu) -> Dense(10, softmax)
        let history = try model.fit(try data.load(.train), options: TrainingOptions(epochs: 5))
        try ModelFile.save(model, to: "seed.nnm")                  // atomic: temporary file, fsync, rename
        try ModelFile.save(model, to: "seed.h5")                   // Keras legacy HDF5 (also .onnx, .safetensors)

        let loaded = try ModelFile.load("seed.nnm")                // checksums verified
        let result = try loaded.evaluate(try data.load(.test))
        print(history.epochs.last?.loss ?? 0, result.accuracy, result.confusion.report.macroAverage.f1)
        let keras = try ModelFile.load("model.keras")              // any Keras layout, ONNX, safetensors
        let probabilities = try keras.predict(Tensor(shape: [1, 28, 28], values: [Float](repeating: 0, count: 784)))
        _ = probabilities
    }

    /// The non-blank lines of the README's first Swift block that imports NNModel, trimmed.
    static func readmeLines() throws -> [String] {
        let text = try String(contentsOfFile: Repository.root + "/README.md", encoding: .utf8)
        let blocks = text.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "```").first ?? "" }
        let block = try #require(blocks.first { $0.hasPrefix("import NNModel") })
        return block.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0 != "import NNModel" }
    }

    @Test func theReadmeSnippetIsTheCompiledOne() throws {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let start = try #require(source.range(of: "static func readmeSnippet() throws {\n"))
        let end = try #require(source.range(of: "\n        _ = probabilities\n", range: start.upperBound..<source.endIndex))
        let compiled = source[start.upperBound..<end.lowerBound].split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(try Self.readmeLines() == compiled)
    }

    /// `Sequential(.seed())` with `TrainingOptions(epochs:)` trains what `nnmodel train` trains with its defaults.
    @Test func libraryDefaultsTrainWhatTheCommandLineTrains() throws {
        let folder = try TemporaryFolder("readme")
        let output = folder.file("cli.nnm")
        let result = CLIFixtures.run(["train", "--data", CLIFixtures.smallDataset, "--epochs", "1", "--output", output, "--quiet"])
        try #require(result.status == 0, "\(result.err)")
        let data = try DataSource(CLIFixtures.smallDataset)
        var model = try Sequential(.seed())
        _ = try model.fit(try data.load(.train), options: TrainingOptions(epochs: 1))
        let cli = try ModelFile.load(output)
        #expect(cli.weights == model.weights)
    }
}
