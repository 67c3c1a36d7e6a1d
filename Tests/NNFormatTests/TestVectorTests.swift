import Foundation
import NNCore
import NNSystem
import Testing
@testable import NNFormat

/// The test vectors of Spec/FORMAT.md, section 8.
@Suite struct TestVectorTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var file: String
        var valid: Bool
        var error: String?
        var message: String?
        var testDescription: String { file }
    }

    static let manifest: (kernel: [Float], bias: [Float], vectors: [Vector]) = {
        guard let bytes = try? FileReader.bytes(Fixtures.path("nnm/vectors.json")), let json = try? JSON(parsing: bytes) else {
            return ([], [], [])
        }
        let vectors = (json["vectors"]?.arrayValue ?? []).map { v in
            Vector(file: v["file"]?.stringValue ?? "?", valid: v["valid"]?.boolValue ?? false,
                   error: v["error"]?.stringValue, message: v["message"]?.stringValue)
        }
        func floats(_ key: String) -> [Float] { (json[key]?.arrayValue ?? []).compactMap { $0.doubleValue.map(Float.init) } }
        return (floats("kernel"), floats("bias"), vectors)
    }()

    @Test func manifestIsComplete() {
        #expect(Self.manifest.vectors.count >= 25)
        #expect(Self.manifest.vectors.filter(\.valid).count == 5)
    }

    @Test(arguments: manifest.vectors.filter(\.valid))
    func validVectorLoads(_ vector: Vector) throws {
        let model = try NNMFile(path: Fixtures.path("nnm/" + vector.file)).model()
        #expect(model.architecture.name == "tiny")
        #expect(model.weights[0].shape == [2, 1])
        #expect(model.weights[0].scalars == Self.manifest.kernel)
        #expect(model.weights[1].scalars == Self.manifest.bias)
        let y = try model.predict(Tensor(shape: [1, 2], values: [1, 2]))
        #expect(abs(y.scalars[0] - 0.531209) < 1e-6)
    }

    @Test(arguments: manifest.vectors.filter { !$0.valid })
    func invalidVectorIsRefused(_ vector: Vector) throws {
        let path = Fixtures.path("nnm/" + vector.file)
        let error = #expect(throws: ModelFileError.self) { _ = try NNMFile(path: path).model() }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.hasPrefix(path + ":"), "the message names the file: \(text)")
        if let message = vector.message { #expect(text.contains(message), "\(text)") }
        if let kind = vector.error, let error { #expect(caseName(error) == kind, "\(error)") }
    }

    /// The enum case's name (`"checksumMismatch"` for `.checksumMismatch(...)`).
    func caseName(_ error: ModelFileError) -> String {
        let mirror = Mirror(reflecting: error)
        return mirror.children.first?.label ?? "\(error)"
    }

    @Test func writerReproducesTheWorkedExampleByteForByte() throws {
        let expected = try FileReader.bytes(Fixtures.path("nnm/tiny.nnm"))
        let written = NNMWriter.encode(try Fixtures.tinyModel(), producer: "nnmodel 0.1.0", createdAt: "2026-01-01T00:00:00Z")
        #expect(written == expected)
    }

    @Test(arguments: [DType.float16, .bfloat16, .float64])
    func writerMatchesTheOtherDTypeVectors(_ dtype: DType) throws {
        let expected = try FileReader.bytes(Fixtures.path("nnm/tiny-\(dtype.rawValue).nnm"))
        let written = NNMWriter.encode(try Fixtures.tinyModel(), dtype: dtype, producer: "nnmodel 0.1.0",
                                       createdAt: "2026-01-01T00:00:00Z")
        #expect(written == expected)
    }

    @Test func headerOnlyReadAgreesWithFullOpen() throws {
        let path = Fixtures.path("nnm/tiny.nnm")
        let header = try NNMFile.readHeader(path: path)
        let full = try NNMFile(path: path).header
        #expect(header.tensors == full.tensors)
        #expect(header.dataOffset == 1024)
        #expect(header.headerLength == 968)
        #expect(header.architecture == full.architecture)
    }

    @Test func newerMinorVersionIsAcceptedAndUnknownFieldsIgnored() throws {
        let header = try NNMFile.readHeader(path: Fixtures.path("nnm/newer-minor.nnm"))
        #expect(header.major == 1 && header.minor == 7)
    }
}
