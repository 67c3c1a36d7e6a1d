import NNTestSupport
import Foundation
import NNModel
import NNHDF5
import Testing

/// Every file of `Fixtures/keras/` (written by real Keras 3.15 and tf_keras 2.21, see
/// `Fixtures/keras/manifest.json`): those that should convert match Keras's own predictions within
/// 1e-5; the others fail with the error the manifest names.
@Suite struct KerasConformanceTests {
    static let folder: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/Fixtures/keras/"
    }()

    struct Entry: Sendable, CustomTestStringConvertible {
        var file: String
        var succeeds: Bool
        var architectureFrom: String?
        var input: String?
        var expected: String?
        var mustContain: [String]
        var mustContainAny: [String]
        var testDescription: String { file }
    }

    static let entries: [Entry] = {
        guard let bytes = try? FileReader.bytes(folder + "manifest.json"), let json = try? JSON(parsing: bytes) else { return [] }
        return (json["files"]?.arrayValue ?? []).map { f in
            Entry(file: f["file"]?.stringValue ?? "?", succeeds: f["expected_to_succeed"]?.boolValue ?? false,
                  architectureFrom: f["architecture_from"]?.stringValue, input: f["input_file"]?.stringValue,
                  expected: f["expected_file"]?.stringValue,
                  mustContain: (f["error_must_contain"]?.arrayValue ?? []).compactMap(\.stringValue),
                  mustContainAny: (f["error_must_contain_any"]?.arrayValue ?? []).compactMap(\.stringValue))
        }
    }()

    @Test func manifestListsTheCorpus() {
        #expect(Self.entries.count >= 50)
        #expect(Self.entries.filter(\.succeeds).count >= 25)
    }

    /// Files that convert on their own, or with the architecture of the file the manifest names.
    static var convertible: [Entry] {
        entries.filter { $0.succeeds || ($0.architectureFrom.map { $0 != "this file" } ?? false) }
    }

    @Test(arguments: convertible)
    func predictionsMatchKeras(_ entry: Entry) throws {
        var architecture: ModelArchitecture?
        if let from = entry.architectureFrom, from != "this file" {
            architecture = try ModelFile.load(Self.folder + from).architecture
        }
        let model = try ModelFile.load(Self.folder + entry.file, architecture: architecture)
        let input = try NPYArray(path: Self.folder + (try #require(entry.input)))
        let expected = try NPYArray(path: Self.folder + (try #require(entry.expected)))
        let output = try model.predict(Tensor(shape: input.shape, values: input.floats))
        #expect(output.shape == expected.shape)
        let worst = zip(output.scalars, expected.floats).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "\(entry.file): max |nnmodel - keras| = \(worst)")
    }

    @Test(arguments: entries.filter { !$0.succeeds })
    func refusalsNameTheProblem(_ entry: Entry) throws {
        let path = Self.folder + entry.file
        do {
            _ = try ModelFile.load(path)
            Issue.record("\(entry.file) loaded, but should have been refused")
        } catch {
            let message = "\(error)"
            #expect(message.contains(entry.file), "the message names the file: \(message)")
            for needle in entry.mustContain { #expect(message.contains(needle), "\(message) should mention \(needle)") }
            if !entry.mustContainAny.isEmpty {
                #expect(entry.mustContainAny.contains { message.contains($0) }, "\(message)")
            }
            #expect(!message.contains("\n"), "one line: \(message)")
        }
    }

    @Test func weightsOnlyFilesSayWhatIsMissing() throws {
        do {
            _ = try ModelFile.load(Self.folder + "fmnist8_k3.weights.h5")
            Issue.record("loaded without an architecture")
        } catch {
            let message = "\(error)"
            #expect(message.contains("holds weights only") && message.contains("architecture must be given"))
            #expect(!message.contains("--"), "library messages name no CLI flag: \(message)")
        }
    }

    @Test func float64ModelsSayTheyWereFloat64() throws {
        for file in ["float64_k3.h5", "float64_k3.keras", "float64_tfk.h5"] {
            let loaded = try ModelFile.open(Self.folder + file)
            #expect(loaded.model.architecture.sourceDType == .float64, "\(file)")
            #expect(loaded.file.weightsDType == .float64, "\(file)")
        }
    }

    @Test func kerasFilesKeepTheirTrainingConfiguration() throws {
        let h5 = try ModelFile.open(Self.folder + "fmnist8_tfk.h5")
        #expect(h5.model.metadata.loss == "sparse_categorical_crossentropy")
        #expect(h5.model.metadata.optimizer?["class_name"]?.stringValue?.hasSuffix("Adam") == true)
        #expect(h5.file.kerasVersion?.hasPrefix("2.") == true)
        let archive = try ModelFile.open(Self.folder + "fmnist8_k3.keras")
        #expect(archive.model.metadata.loss == "sparse_categorical_crossentropy")
        #expect(archive.file.kerasVersion == "3.15.1")
        #expect(archive.model.architecture.layers.map(\.name) == ["flatten", "dense", "dense_1"])
    }

    /// `.nnm -> .h5 -> .nnm` gives identical tensors and metadata; Keras files convert both ways.
    @Test(arguments: ["fmnist8_k3.keras", "fmnist8_tfk.h5", "functional_chain_k3.h5", "nobias_act_dropout_k3.keras", "float64_k3.h5"])
    func roundTripsThroughOurHDF5(_ file: String) throws {
        let temporary = try TemporaryFolder("keras-roundtrip")
        let folder = temporary.path
        let original = try ModelFile.load(Self.folder + file)
        try ModelFile.save(original, to: folder + "/a.nnm")
        let a = try ModelFile.load(folder + "/a.nnm")
        try ModelFile.save(a, to: folder + "/b.h5")
        let b = try ModelFile.load(folder + "/b.h5")
        try ModelFile.save(b, to: folder + "/c.nnm")
        let c = try ModelFile.load(folder + "/c.nnm")
        #expect(c.architecture == original.architecture)
        #expect(c.weights == original.weights)
        #expect(c.metadata == a.metadata)
        #expect(ModelComparison(original, c).equal)
    }

    @Test func exportedH5RecordsItsProducerAndFormatVersion() throws {
        let temporary = try TemporaryFolder("keras-export")
        let folder = temporary.path
        var model = try ModelFile.load(Self.folder + "fmnist8_k3.keras")
        model.metadata.classNames = FashionMNIST.classNames
        try ModelFile.save(model, to: folder + "/m.h5")
        let file = try HDF5File(readingFrom: folder + "/m.h5")
        let root = try file.root
        #expect(try root.stringAttribute("nnmodel_format_version") == "1.0")
        #expect(try root.stringAttribute("nnmodel_version")?.hasPrefix("nnmodel ") == true)
        #expect(try root.stringAttribute("keras_version")?.hasPrefix("2.") == true)
        #expect(try root.group("model_weights").stringArrayAttribute("layer_names") == ["flatten", "dense", "dense_1"])
        #expect(try root.group("model_weights/dense").stringArrayAttribute("weight_names") == ["dense/kernel:0", "dense/bias:0"])
        #expect(try root.group("model_weights/flatten").stringArrayAttribute("weight_names") == [])
        let loaded = try ModelFile.load(folder + "/m.h5")
        #expect(loaded.metadata.classNames == FashionMNIST.classNames)
    }
}
