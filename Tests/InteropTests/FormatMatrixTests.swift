import Foundation
import NNModel
import NNTestSupport
import Testing

/// Every fixture model through every pair of formats nnmodel writes, and back: the model read at
/// the end equals the one read at the start (architecture, and weights bitwise in float32), and
/// predicts the same.
@Suite struct FormatMatrixTests {
    /// Fixture models: the Keras files that convert on their own, the ONNX exports and the `.nnm` vectors.
    static let sources: [String] = {
        var paths: [String] = []
        if let bytes = try? FileReader.bytes(Repository.fixture("keras/manifest.json")), let json = try? JSON(parsing: bytes) {
            for f in json["files"]?.arrayValue ?? [] where f["expected_to_succeed"]?.boolValue == true
                && (f["architecture_from"]?.stringValue ?? "this file") == "this file" {
                if let name = f["file"]?.stringValue { paths.append("keras/" + name) }
            }
        }
        paths += Repository.fixtureFiles(in: "onnx").filter { $0.hasSuffix(".onnx") }.map { "onnx/" + $0 }
        paths += Repository.fixtureFiles(in: "nnm").filter { $0.hasPrefix("tiny") }.map { "nnm/" + $0 }
        return paths
    }()

    static let writable = ModelFile.codecs.filter(\.capabilities.canWrite).map(\.format)

    @Test func theMatrixCoversEveryWritableFormat() {
        #expect(Self.sources.count >= 20)
        #expect(Set(Self.writable).isSuperset(of: [.nnm, .h5, .onnx, .safetensors]))
    }

    @Test(arguments: sources)
    func everyPairOfFormatsKeepsTheModel(_ source: String) throws {
        let folder = try TemporaryFolder("matrix")
        let original = try ModelFile.load(Repository.fixture(source))
        let shape = original.architecture.inputShape
        let count = 3 * shape.reduce(1, *)
        let x = Tensor(shape: [3] + shape, values: (0..<count).map { Float(($0 * 29) % 17) / 8 - 1 })
        let expected = try original.predict(x)
        let writable = Self.writable
        for first in writable {
            let a = folder.file("a." + first.rawValue)
            try ModelFile.save(original, to: a, format: first)
            let middle = try ModelFile.load(a)
            for second in writable {
                let b = folder.file("b-\(first.rawValue)." + second.rawValue)
                try ModelFile.save(middle, to: b, format: second)
                let last = try ModelFile.load(b)
                let comparison = ModelComparison(original, last)
                #expect(comparison.equal, "\(source) → \(first) → \(second): \(comparison.architectureDifferences) \(comparison.tensors.filter { !$0.equal }.map(\.name))")
                #expect(try last.predict(x) == expected, "\(source) → \(first) → \(second): predictions differ")
            }
        }
    }
}
