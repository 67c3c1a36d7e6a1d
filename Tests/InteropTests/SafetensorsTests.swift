import Foundation
import NNModel
import NNTestSupport
import Testing

/// safetensors files: nnmodel's own read back whole in both namings and every dtype; the Python
/// safetensors package reads them with the same values and nnmodel reads what it writes;
/// weights-only files load into a given architecture with the naming detected; and every
/// malformed header is refused as the reference reader refuses it.
@Suite struct SafetensorsTests {
    static func model(seed: UInt64 = 3) throws -> Sequential {
        var model = try Sequential(ModelArchitecture(name: "st", inputShape: [3, 4], layers: [
            Layer(name: "flat", kind: .flatten),
            Layer(name: "hidden", kind: .dense(Dense(units: 6, activation: .relu))),
            Layer(name: "drop", kind: .dropout(rate: 0.5)),
            Layer(name: "mix", kind: .dense(Dense(units: 5, useBias: false))),
            Layer(name: "act", kind: .activation(.tanh)),
            Layer(name: "head", kind: .dense(Dense(units: 3, activation: .softmax))),
        ]), seed: seed)
        model.metadata.classNames = ["a", "b", "c"]
        return model
    }

    static func rounded(_ tensor: Tensor, _ dtype: DType) -> [Float] {
        tensor.withUnsafeBufferPointer { values in
            let raw = dtype.encode(values)
            var out = [Float](repeating: 0, count: values.count)
            raw.withUnsafeBytes { r in out.withUnsafeMutableBufferPointer { o in if let b = o.baseAddress { dtype.decode(r, count: values.count, into: b) } } }
            return out
        }
    }

    @Test(arguments: [TensorNaming.keras, .torch], [DType.float32, .float16, .bfloat16, .float64])
    func ownFilesReadBackWhole(_ naming: TensorNaming, _ dtype: DType) throws {
        let folder = try TemporaryFolder("safetensors")
        let model = try Self.model()
        let path = folder.file("m.safetensors")
        try ModelFile.save(model, to: path, dtype: dtype, naming: naming)
        let bytes = try Repository.bytes(path)
        #expect((8 + Int(bytes[0]) + Int(bytes[1]) << 8) % 8 == 0, "the data section is 8-byte aligned")
        let loaded = try ModelFile.open(path)
        #expect(loaded.format == .safetensors && loaded.file.writtenByNNModel && loaded.file.weightsDType == dtype)
        #expect(loaded.model.architecture == model.architecture)
        #expect(loaded.model.metadata.classNames == ["a", "b", "c"])
        for (a, b) in zip(loaded.model.weights, model.weights) { #expect(a.scalars == Self.rounded(b, dtype)) }
        let inspection = try ModelFile.inspect(path, statistics: true)
        let names = inspection.tensors.map(\.name)
        #expect(names == (naming == .keras ? ["hidden/kernel", "hidden/bias", "mix/kernel", "head/kernel", "head/bias"]
                                            : ["1.weight", "1.bias", "4.weight", "6.weight", "6.bias"]))
        #expect(inspection.tensors[0].shape == (naming == .keras ? [12, 6] : [6, 12]))
    }

    @Test(arguments: [TensorNaming.keras, .torch])
    func thePythonPackageReadsOurFilesAndWeReadItsFiles(_ naming: TensorNaming) throws {
        guard let python = PythonEnvironment.require(for: "the safetensors package") else { return }
        let folder = try TemporaryFolder("safetensors")
        let model = try Self.model()
        let path = folder.file("ours.safetensors"), copy = folder.file("theirs.safetensors")
        try ModelFile.save(model, to: path, naming: naming)
        let run = try PythonEnvironment.run(python, script: "check_safetensors.py", [path, copy])
        try #require(run.status == 0, "\(run.output)")
        let summary = try JSON(parsing: Array(run.output.utf8))
        let tensors = try #require(summary["tensors"]?.objectValue)
        let slots = naming == .keras ? ["hidden/kernel", "hidden/bias", "mix/kernel", "head/kernel", "head/bias"]
                                     : ["1.weight", "1.bias", "4.weight", "6.weight", "6.bias"]
        #expect(Set(tensors.map(\.key)) == Set(slots))
        for (key, weight) in zip(slots, model.weights) {
            let facts = try #require(tensors.first { $0.key == key }?.value.arrayValue)
            #expect(facts[0].stringValue == "float32")
            let sum = weight.scalars.reduce(0.0) { $0 + Double($1) }
            #expect(abs((facts[2].doubleValue ?? .nan) - sum) < 1e-5, "\(key)")
        }
        #expect(summary["metadata_keys"]?.arrayValue?.contains(.string("nnmodel.architecture")) == true)
        // The reference writer's file (its own order and padding) reads back to the same model.
        let theirs = try ModelFile.load(copy)
        #expect(theirs.architecture == model.architecture)
        for (a, b) in zip(theirs.weights, model.weights) { #expect(a == b) }
    }

    /// A header written by hand: `entries` as (name, dtype, shape, begin, end), then `data`.
    static func file(_ entries: [(String, String, [Int], Int, Int)], data: [UInt8], metadata: String? = nil, pad: Int = 0) -> [UInt8] {
        var parts: [String] = []
        if let metadata { parts.append("\"__metadata__\":\(metadata)") }
        for (name, dtype, shape, begin, end) in entries {
            parts.append("\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}")
        }
        let header = Array(("{" + parts.joined(separator: ",") + "}").utf8) + Array(repeating: UInt8(ascii: " "), count: pad)
        let n = UInt64(header.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + header + data
    }

    static func floats(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }

    /// 4 inputs → Dense 3 (relu) → Dense 2.
    static let small = ModelArchitecture(name: "small", inputShape: [4], layers: [
        Layer(name: "dense", kind: .dense(Dense(units: 3, activation: .relu))),
        Layer(name: "dense_1", kind: .dense(Dense(units: 2))),
    ])

    @Test func foreignFilesLoadIntoAGivenArchitectureWithTheNamingDetected() throws {
        let k1 = (0..<12).map { Float($0) }, b1: [Float] = [1, 2, 3], k2 = (0..<6).map { Float($0) / 2 }, b2: [Float] = [-1, 1]
        // PyTorch's names and layout, as `safetensors.torch.save_file(model.state_dict())` of
        // nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)) under an attribute `net`, in another order.
        func t(_ v: [Float], _ r: Int, _ c: Int) -> [Float] { (0..<c).flatMap { j in (0..<r).map { i in v[i * c + j] } } }
        let w1 = t(k1, 4, 3), w2 = t(k2, 3, 2)
        let torch = Self.file([("net.2.bias", "F32", [2], 0, 8), ("net.2.weight", "F32", [2, 3], 8, 32),
                               ("net.0.bias", "F32", [3], 32, 44), ("net.0.weight", "F32", [3, 4], 44, 92)],
                              data: Self.floats(b2 + w2 + b1 + w1), metadata: "{\"format\":\"pt\"}")
        let loaded = try SafetensorsCodec().read(contents: torch, name: "torch.safetensors", options: ReadOptions(architecture: Self.small))
        #expect(loaded.file.layout == "safetensors (PyTorch names)" && !loaded.file.writtenByNNModel)
        #expect(loaded.model.weights.map(\.scalars) == [k1, b1, k2, b2])
        // Keras names, TensorFlow style with ":0".
        let keras = Self.file([("dense/kernel:0", "F32", [4, 3], 0, 48), ("dense/bias:0", "F32", [3], 48, 60),
                               ("dense_1/kernel:0", "F32", [3, 2], 60, 84), ("dense_1/bias:0", "F32", [2], 84, 92)],
                              data: Self.floats(k1 + b1 + k2 + b2))
        let k = try SafetensorsCodec().read(contents: keras, name: "keras.safetensors", options: ReadOptions(architecture: Self.small))
        #expect(k.model.weights.map(\.scalars) == [k1, b1, k2, b2])
        // Without an architecture: refused, saying what is needed.
        let error = #expect(throws: SafetensorsError.self) { try SafetensorsCodec().read(contents: torch, name: "torch.safetensors", options: ReadOptions()) }
        #expect(error?.description.contains("no nnmodel architecture") == true)
    }

    func refusal(_ bytes: [UInt8], architecture: ModelArchitecture? = small, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        do {
            _ = try SafetensorsCodec().read(contents: bytes, name: "bad.safetensors", options: ReadOptions(architecture: architecture))
            Issue.record("loaded; expected a refusal", sourceLocation: sourceLocation)
            return ""
        } catch let error as SafetensorsError {
            #expect(error.description.hasPrefix("bad.safetensors: "), sourceLocation: sourceLocation)
            return error.description
        } catch {
            Issue.record("untyped \(type(of: error)): \(error)", sourceLocation: sourceLocation)
            return ""
        }
    }

    @Test func malformedFilesAreRefusedAsTheReferenceRefusesThem() {
        let good: [(String, String, [Int], Int, Int)] = [("dense/kernel", "F32", [4, 3], 0, 48), ("dense/bias", "F32", [3], 48, 60),
                                                          ("dense_1/kernel", "F32", [3, 2], 60, 84), ("dense_1/bias", "F32", [2], 84, 92)]
        let exact = Self.floats((0..<23).map(Float.init))
        #expect((try? SafetensorsCodec().read(contents: Self.file(good, data: exact), name: "ok", options: ReadOptions(architecture: Self.small))) != nil)
        #expect(refusal([1, 2, 3]).contains("too short"))
        #expect(refusal([0x01, 0xE1, 0xF5, 0x05, 0, 0, 0, 0, UInt8(ascii: "{")]).contains("more than the limit of 100000000"))
        #expect(refusal([200, 0, 0, 0, 0, 0, 0, 0, UInt8(ascii: "{"), UInt8(ascii: "}")]).contains("runs past the end"))
        #expect(refusal([2, 0, 0, 0, 0, 0, 0, 0, UInt8(ascii: "["), UInt8(ascii: "]")]).contains("does not start with '{'"))
        #expect(refusal(Self.file(good, data: exact, metadata: "{\"k\":1}")).contains("expected a string"))
        var entries = good
        entries[1].1 = "F33"
        #expect(refusal(Self.file(entries, data: exact)).contains("unknown dtype 'F33'"))
        entries = good
        entries[1].4 = 56
        #expect(refusal(Self.file(entries, data: exact)).contains("needs 12 bytes"))
        entries = good
        entries[2] = ("dense_1/kernel", "F32", [3, 2], 64, 88)
        #expect(refusal(Self.file(entries, data: exact)).contains("gap"))
        entries = good
        entries[2] = ("dense_1/kernel", "F32", [3, 2], 56, 80)
        #expect(refusal(Self.file(entries, data: exact)).contains("overlapping"))
        #expect(refusal(Self.file(good, data: exact + [0, 0, 0, 0])).contains("cover 92 bytes of data, the file holds 96"))
        entries = good
        entries[0].2 = [1 << 40, 1 << 40]
        #expect(refusal(Self.file(entries, data: exact)).contains("overflows"))
        entries = good
        entries[0].2 = [4, -3]
        #expect(refusal(Self.file(entries, data: exact)).contains("not a non-negative integer"))
        entries = good
        entries[3].1 = "I32"
        #expect(refusal(Self.file(entries, data: exact)).contains("not a floating-point type"))
        entries = good
        entries[0].2 = [3, 4]
        #expect(refusal(Self.file(entries, data: exact)).contains("has shape [3, 4]"))
        let extra = good + [("extra", "F32", [], 92, 96)]
        #expect(refusal(Self.file(extra, data: exact + [0, 0, 0, 0])).contains("no weight for"))
        // Keras names, one layer short of the architecture: the missing weight is named.
        let short = Array(good.prefix(2))
        #expect(refusal(Self.file(short, data: Self.floats((0..<15).map(Float.init)))).contains("no tensor named 'dense_1/kernel'"))
        let duplicate = Array("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}".utf8)
        #expect(refusal((0..<8).map { UInt8(truncatingIfNeeded: UInt64(duplicate.count) >> (8 * UInt64($0))) } + duplicate + [0, 0, 0, 0]).contains("duplicate"))
        #expect(refusal(Self.file(good, data: exact), architecture: nil).contains("no nnmodel architecture"))
    }

    /// A header of more entries than any model (here about 160,000 empty tensors, 7 JSON values
    /// each, in 10 MB) is refused while it is parsed, before its tree grows with the file.
    @Test func headersWithMoreValuesThanAnyModelAreRefused() {
        let many = (0..<(SafetensorsHeader.maximumValues / 7 + 100)).map { ("t\($0)", "F32", [0], 0, 0) }
        #expect(refusal(Self.file(many, data: [])).contains("more than \(SafetensorsHeader.maximumValues) JSON values"))
        let fewer = Array(many.prefix(1000))
        #expect(!refusal(Self.file(fewer, data: [])).contains("JSON values"))
    }

    /// An embedded architecture string of more JSON values than any model's (here 1,100,000
    /// zeros in 2.2 MB, within the header's own limits) is refused while it is parsed.
    @Test func anEmbeddedArchitectureOfTooManyValuesIsRefused() {
        let zeros = "[" + Array(repeating: "0", count: 1_100_000).joined(separator: ",") + "]"
        let metadata = "{\"nnmodel.architecture\":\"\(zeros)\"}"
        let message = refusal(Self.file([], data: [], metadata: metadata), architecture: nil)
        #expect(message.contains("architecture is invalid") && message.contains("more values than the reader accepts"), "\(message)")
    }
}
