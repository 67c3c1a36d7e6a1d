import Foundation
import NNHDF5
import NNModel
import NNTestSupport
import Testing

/// Streamed conversions (`ModelFile.convert`): the tensors are read a piece at a time while they
/// are written. Pieces made as small as one value cross every boundary; the output is byte for
/// byte the file reading the model whole and saving it writes (for `.h5`, but for the modification
/// times libhdf5 stamps on object headers); HDF5 datasets of every layout
/// (contiguous, chunked, compressed, float64) stream, as do safetensors files of either naming
/// and ONNX files written; and a tensor found damaged at the end leaves no file under the target
/// name.
@Suite struct StreamedConversionTests {
    /// A model with several tensors whose sizes are not multiples of the piece sizes, an Adam
    /// state and a fixed creation time (so two saves write the same bytes).
    static func model() throws -> Sequential {
        var model = try Sequential(ModelArchitecture(name: "streamed", inputShape: [5, 7], layers: [
            Layer(name: "flat", kind: .flatten),
            Layer(name: "hidden", kind: .dense(Dense(units: 37, activation: .relu))),
            Layer(name: "drop", kind: .dropout(rate: 0.25)),
            Layer(name: "frozen", kind: .dense(Dense(units: 11, activation: .tanh, useBias: false)), trainable: false),
            Layer(name: "head", kind: .dense(Dense(units: 3, activation: .softmax))),
        ]), seed: 5)
        var rng = SeededGenerator(seed: 9)
        let trainable = model.weightSpecs.filter(\.trainable)
        let slots = ["momentum", "velocity"].map { _ in
            trainable.map { spec in Tensor(shape: spec.shape, values: (0..<spec.shape.reduce(1, *)).map { _ in rng.nextUnitFloat() }) }
        }
        model.optimizerState = OptimizerState(config: OptimizerConfig(.adam, learningRate: 0.003), iterations: 17, slots: slots)
        model.metadata.classNames = ["x", "y", "z"]
        model.metadata.createdAt = "2026-01-02T03:04:05Z"
        return model
    }

    /// Sources: format and the dtype the weights are stored in.
    static let sources: [(String, DType)] = [("nnm", .float32), ("nnm", .float16), ("h5", .float32), ("h5", .float64),
                                             ("safetensors", .float32), ("safetensors", .bfloat16)]
    /// Targets: format and the dtype asked for (nil: the format's default).
    static let targets: [(String, DType?)] = [("nnm", nil), ("nnm", .float16), ("nnm", .float64), ("h5", nil), ("h5", .float64),
                                             ("safetensors", nil), ("safetensors", .float16), ("onnx", nil), ("onnx", .float16)]

    @Test(arguments: sources)
    func streamedOutputIsTheWholeReadOutput(source: String, sourceDType: DType) throws {
        let folder = try TemporaryFolder("streamed")
        let input = folder.file("in." + source)
        try ModelFile.save(try Self.model(), to: input, dtype: sourceDType)
        for (target, dtype) in Self.targets {
            let whole = folder.file("whole." + target)
            let wholeConversion = try ModelFile.convert(input, to: whole, dtype: dtype, chunkElements: StreamingChunk.defaultElements,
                                                        streaming: false)
            #expect(!wholeConversion.streamed)
            let expected = try Repository.bytes(whole)
            // One value, a prime smaller than every tensor, one larger than some, the default.
            for chunk in [1, 7, 64, StreamingChunk.defaultElements] {
                let streamed = folder.file("streamed-\(chunk)." + target)
                let conversion = try ModelFile.convert(input, to: streamed, dtype: dtype, chunkElements: chunk)
                #expect(conversion.streamed, "\(source) → \(target)")
                #expect(conversion.parameterCount == wholeConversion.parameterCount)
                #expect(conversion.optimizerValueCount == wholeConversion.optimizerValueCount)
                #expect(conversion.optimizerState == wholeConversion.optimizerState)
                #expect(conversion.input == wholeConversion.input)
                let got = try Repository.bytes(streamed)
                let differences = zip(got, expected).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
                let what = "\(source) (\(sourceDType)) → \(target) (\(dtype?.rawValue ?? "default")), pieces of \(chunk)"
                if target == "h5" {
                    // libhdf5 stamps each object header with the second it was written (two saves
                    // of a model in memory differ there too): the same bytes but those.
                    #expect(got.count == expected.count, "\(what): \(got.count) bytes, the whole conversion \(expected.count)")
                    #expect(differences.count <= 4 * 16, "\(what): differs at \(differences.prefix(20)) (\(differences.count) in all)")
                    let a = try ModelFile.open(streamed), b = try ModelFile.open(whole)
                    #expect(ModelComparison(a.model, b.model).equal && a.model.metadata == b.model.metadata, "\(what)")
                    #expect(a.model.optimizerState == b.model.optimizerState, "\(what)")
                } else {
                    #expect(got == expected, "\(what): differs at \(differences.prefix(20)) (\(differences.count) in all)")
                }
                try FileManager.default.removeItem(atPath: streamed)
            }
        }
        #expect(folder.names.allSatisfy { !$0.hasPrefix(AtomicFile.temporaryPrefix) })
    }

    @Test func strippingTheOptimizerStreams() throws {
        let folder = try TemporaryFolder("streamed")
        let input = folder.file("in.nnm")
        try ModelFile.save(try Self.model(), to: input)
        try ModelFile.convert(input, to: folder.file("whole.h5"), stripOptimizer: true, chunkElements: 5, streaming: false)
        let conversion = try ModelFile.convert(input, to: folder.file("streamed.h5"), stripOptimizer: true, chunkElements: 5)
        #expect(conversion.streamed && conversion.optimizerState == nil && conversion.optimizerValueCount == 0)
        let streamed = try ModelFile.open(folder.file("streamed.h5")), whole = try ModelFile.open(folder.file("whole.h5"))
        #expect(ModelComparison(streamed.model, whole.model).equal && streamed.model.metadata == whole.model.metadata)
        #expect(streamed.model.optimizerState == nil)
        #expect(try Repository.bytes(folder.file("streamed.h5")).count == Repository.bytes(folder.file("whole.h5")).count)
    }

    /// A legacy Keras file whose datasets are chunked (chunks that do not divide the shape),
    /// gzip-compressed and stored as float64, as h5py writes them on request.
    @Test(arguments: [false, true])
    func chunkedAndCompressedDatasetsStream(float64: Bool) throws {
        let folder = try TemporaryFolder("streamed")
        let model = try Sequential(ModelArchitecture.multilayerPerceptron(inputShape: [13], hidden: [29], activation: .relu,
                                                                          outputs: 4, outputActivation: .softmax), seed: 3)
        let input = folder.file("chunked.h5")
        do {
            let file = try HDF5File.createOnDisk(at: input)
            let root = try file.root
            try root.setStringAttribute("backend", "tensorflow")
            try root.setStringAttribute("keras_version", "2.15.0")
            try root.setStringAttribute("model_config", KerasConfig.json(for: model.architecture).serialized())
            let weights = try root.createGroup("model_weights")
            try weights.setStringArrayAttribute("layer_names", model.architecture.layers.map(\.name))
            for (index, layer) in model.architecture.layers.enumerated() {
                let group = try weights.createGroup(layer.name)
                let own = zip(model.weightSpecs, model.weights).filter { $0.0.layerIndex == index }
                try group.setStringArrayAttribute("weight_names", own.map { "\(layer.name)/\($0.0.role):0" })
                let inner = own.isEmpty ? group : try group.createGroup(layer.name)
                for (spec, tensor) in own {
                    let chunk = spec.shape.map { max(1, $0 / 3 + 1) }
                    try HDF5TestSupport.createChunkedDataset(in: inner, name: "\(spec.role):0", shape: spec.shape,
                                                          chunk: chunk, values: tensor.scalars, float64: float64, deflate: true)
                }
            }
            try file.close()
        }
        let whole = try ModelFile.load(input)
        #expect(whole.weights == model.weights)
        try ModelFile.convert(input, to: folder.file("whole.nnm"), chunkElements: 1, streaming: false)
        for chunk in [1, 10, 100, 1000] {
            let output = folder.file("streamed-\(chunk).nnm")
            #expect(try ModelFile.convert(input, to: output, chunkElements: chunk).streamed)
            // The file has no creation time, so each conversion records its own: the tensor tables
            // (offsets, CRC-32s) are compared.
            #expect(try NNMFile.readHeader(path: output).tensors == NNMFile.readHeader(path: folder.file("whole.nnm")).tensors,
                    "pieces of \(chunk)")
            #expect(try ModelFile.load(output).weights == model.weights)
        }
    }

    /// The checksum of the last tensor is only known wrong once all of it was read and (in a
    /// streamed conversion) written: nothing may replace the target. (safetensors and ONNX keep
    /// no optimizer state, so a streamed conversion to them reads no slot: the last weight is
    /// damaged instead.)
    @Test(arguments: ["nnm", "h5", "safetensors", "onnx"])
    func aTensorDamagedAtTheEndLeavesNoTarget(target: String) throws {
        let folder = try TemporaryFolder("streamed")
        let input = folder.file("in.nnm")
        try ModelFile.save(try Self.model(), to: input)
        let header = try NNMFile.readHeader(path: input)
        let keepsOptimizer = target == "nnm" || target == "h5"
        let stored = header.tensors.filter { keepsOptimizer || !$0.name.hasPrefix("optimizer/") }
        let last = try #require(stored.max { $0.offset < $1.offset })
        var bytes = try Repository.bytes(input)
        bytes[header.dataOffset + last.offset + last.length - 1] ^= 0x40
        try folder.write("in.nnm", bytes)

        let fresh = folder.file("fresh." + target)
        #expect {
            try ModelFile.convert(input, to: fresh, chunkElements: 3)
        } throws: { error in
            guard case let ModelFileError.checksumMismatch(path, tensor, _, _) = error else { return false }
            return path == input && tensor == last.name
        }
        #expect(!FileManager.default.fileExists(atPath: fresh))

        let existing = folder.file("existing." + target)
        try folder.write("existing." + target, Array("old".utf8))
        #expect(throws: ModelFileError.self) { try ModelFile.convert(input, to: existing, chunkElements: 1 << 20) }
        #expect(try Repository.bytes(existing) == Array("old".utf8), "the old file is kept")
        #expect(folder.names == ["existing." + target, "in.nnm"], "no temporary file is left")

        // Unchecked (--no-verify), the damaged values convert, as when the model is read whole.
        #expect(try ModelFile.convert(input, to: fresh, verify: false, chunkElements: 3).streamed)
        try ModelFile.convert(input, to: folder.file("whole." + target), verify: false, chunkElements: 3, streaming: false)
        #expect(ModelComparison(try ModelFile.load(fresh, verify: false), try ModelFile.load(folder.file("whole." + target), verify: false)).equal)
    }

    /// safetensors files stream both ways in both namings: PyTorch's `[out, in]` kernels are
    /// transposed a tensor at a time, and the bytes are those of the whole conversion.
    @Test(arguments: [TensorNaming.keras, .torch])
    func safetensorsStreamInEitherNaming(naming: TensorNaming) throws {
        let folder = try TemporaryFolder("streamed")
        let input = folder.file("in.nnm")
        try ModelFile.save(try Self.model(), to: input)
        let whole = folder.file("whole.safetensors")
        #expect(try !ModelFile.convert(input, to: whole, naming: naming, chunkElements: 1, streaming: false).streamed)
        let back = folder.file("back-whole.nnm")
        try ModelFile.convert(whole, to: back, chunkElements: 1, streaming: false)
        for chunk in [1, 7, StreamingChunk.defaultElements] {
            let streamed = folder.file("streamed-\(chunk).safetensors")
            let conversion = try ModelFile.convert(input, to: streamed, naming: naming, stripOptimizer: true, chunkElements: chunk)
            #expect(conversion.streamed)
            #expect(try Repository.bytes(streamed) == Repository.bytes(whole), "\(naming), pieces of \(chunk)")
            let streamedBack = folder.file("back-\(chunk).nnm")
            #expect(try ModelFile.convert(streamed, to: streamedBack, chunkElements: chunk).streamed)
            #expect(try Repository.bytes(streamedBack) == Repository.bytes(back), "\(naming) back, pieces of \(chunk)")
        }
        let model = try ModelFile.load(folder.file("back-7.nnm"))
        #expect(model.weights == (try Self.model()).weights)
    }

    /// A safetensors file cut short is refused when it is opened, before anything is written.
    @Test func aTruncatedSafetensorsFileWritesNothing() throws {
        let folder = try TemporaryFolder("streamed")
        let input = folder.file("in.safetensors")
        try ModelFile.save(try Self.model(), to: input)
        let bytes = try Repository.bytes(input)
        try folder.write("in.safetensors", Array(bytes.dropLast(5)))
        #expect(throws: (any Error).self) { try ModelFile.convert(input, to: folder.file("out.nnm"), chunkElements: 3) }
        #expect(folder.names == ["in.safetensors"])
    }

    @Test func formatsThatDoNotStreamReadTheModelWhole() throws {
        let folder = try TemporaryFolder("streamed")
        let input = folder.file("in.nnm")
        try ModelFile.save(try Self.model(), to: input)
        #expect(try !ModelFile.convert(input, to: folder.file("out.keras")).streamed)
        // ONNX is written streamed but read whole.
        #expect(try ModelFile.convert(input, to: folder.file("out.onnx")).streamed)
        #expect(try !ModelFile.convert(folder.file("out.onnx"), to: folder.file("back.nnm")).streamed)
    }
}
