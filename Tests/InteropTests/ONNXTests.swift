import Foundation
import NNModel
import NNTestSupport
import Testing

/// ONNX files: the exports of PyTorch and tf2onnx in `Fixtures/onnx` run as their frameworks
/// compute them; files nnmodel writes pass onnx's full check, run in onnxruntime as nnmodel
/// computes them, and read back to the model that was saved.
@Suite struct ONNXTests {
    static let fixtures = Repository.fixtureFiles(in: "onnx").filter { $0.hasSuffix(".onnx") }

    @Test func fixturesCoverTheExporters() {
        #expect(Self.fixtures.contains { $0.hasPrefix("torch_") && $0.hasSuffix("_dynamo.onnx") })
        #expect(Self.fixtures.contains { $0.hasPrefix("torch_") && $0.hasSuffix("_legacy.onnx") })
        #expect(Self.fixtures.contains { $0.hasPrefix("tf2onnx_") })
    }

    @Test(arguments: fixtures)
    func exportsPredictAsTheirFramework(_ file: String) throws {
        let base = Repository.fixture("onnx/" + String(file.dropLast(5)))
        let loaded = try ModelFile.open(Repository.fixture("onnx/" + file))
        #expect(loaded.format == .onnx)
        #expect(!loaded.file.writtenByNNModel)
        let input = try NPYArray(path: base + ".input.npy"), expected = try NPYArray(path: base + ".expected.npy")
        let output = try loaded.model.predict(Tensor(shape: input.shape, values: input.floats))
        #expect(output.shape == expected.shape)
        let worst = zip(output.scalars, expected.floats).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "\(file): max |nnmodel - framework| = \(worst)")
    }

    @Test func torchActivationsAreRecognised() throws {
        let model = try ModelFile.load(Repository.fixture("onnx/torch_activations_dynamo.onnx"))
        let activations = model.architecture.layers.compactMap(\.activation)
        #expect(activations == [.gelu, .tanh, .swish, .elu, .leakyRelu, .hardSilu, .mish, .relu6, .softplus, .selu, .hardSigmoid,
                                .softsign, .sigmoid])
        let legacy = try ModelFile.load(Repository.fixture("onnx/torch_activations_legacy.onnx"))
        #expect(legacy.architecture.layers.compactMap(\.activation) == activations)
        #expect(model.architecture.layers.map(\.name).prefix(3) == ["flatten", "dense", "dense_1"])
    }

    /// A model with every layer kind: Flatten, Dense with and without bias, Dropout, Activation.
    static func model(_ activation: Activation, inputShape: [Int] = [3, 4], flatten: Bool = true, seed: UInt64 = 5) throws -> Sequential {
        var layers: [Layer] = []
        if flatten { layers.append(Layer(name: "flat", kind: .flatten)) }
        layers += [
            Layer(name: "hidden", kind: .dense(Dense(units: 7, activation: activation))),
            Layer(name: "drop", kind: .dropout(rate: 0.25)),
            Layer(name: "mix", kind: .dense(Dense(units: 5, useBias: false))),
            Layer(name: "act", kind: .activation(activation)),
            Layer(name: "head", kind: .dense(Dense(units: 3, activation: .softmax))),
        ]
        var model = try Sequential(ModelArchitecture(name: "probe", inputShape: inputShape, inputName: "pixels", layers: layers), seed: seed)
        model.metadata.classNames = ["cat", "dog", "emu"]
        model.metadata.dataset = "synthetic"
        return model
    }

    static func input(_ shape: [Int], count: Int = 6) -> Tensor {
        let n = count * shape.reduce(1, *)
        return Tensor(shape: [count] + shape, values: (0..<n).map { Float(($0 * 37) % 23) / 5 - 2.2 })
    }

    @Test(arguments: [DType.float32, .float16])
    func roundTripKeepsTheModel(_ dtype: DType) throws {
        let folder = try TemporaryFolder("onnx")
        let model = try Self.model(.gelu)
        let path = folder.file("m.onnx")
        try ModelFile.save(model, to: path, dtype: dtype)
        let loaded = try ModelFile.open(path)
        #expect(loaded.file.writtenByNNModel)
        #expect(loaded.file.weightsDType == dtype)
        #expect(loaded.model.architecture == model.architecture)
        #expect(loaded.model.metadata.classNames == ["cat", "dog", "emu"])
        #expect(loaded.model.metadata.dataset == "synthetic")
        for (a, b) in zip(loaded.model.weights, model.weights) {
            let expected = dtype == .float32 ? b.scalars : b.scalars.map { Float(Float16($0)) }
            #expect(a.scalars == expected)
        }
    }

    @Test func readingWithAGivenArchitectureChecksItComputesTheGraph() throws {
        let folder = try TemporaryFolder("onnx")
        let path = folder.file("m.onnx")
        try ModelFile.save(try Self.model(.relu), to: path)
        var renamed = try Self.model(.relu).architecture
        renamed.layers[1].name = "renamed"
        #expect(try ModelFile.open(path, architecture: renamed).model.architecture.layers[1].name == "renamed")
        var other = renamed
        other.layers[1].kind = .dense(Dense(units: 7, activation: .tanh))
        let error = #expect(throws: ONNXError.self) { try ModelFile.open(path, architecture: other) }
        #expect(error?.description.contains("m.onnx") == true)
        #expect(error?.description.contains("tanh") == true)
    }

    @Test func optimizerStateIsDroppedWithAWarning() throws {
        let model = try Self.model(.relu)
        #expect(ModelFile.compatibilityNotes(model, path: "x.onnx").isEmpty)
        var trained = model
        let data = try Dataset(name: "synthetic", sampleShape: [3, 4], features: .float32(Self.input([3, 4], count: 4).scalars),
                           labels: .classes([0, 1, 2, 0]), classNames: ["cat", "dog", "emu"])
        _ = try trained.fit(data, options: TrainingOptions(epochs: 1, batchSize: 2))
        #expect(trained.optimizerState != nil)
        #expect(ModelFile.compatibilityNotes(trained, path: "x.onnx").contains { $0.contains("optimizer") })
    }

    /// Every activation, on a rank-2 input (Gemm) and on a rank-3 input without Flatten (MatMul
    /// + Add on the last axis), in float32 and float16: onnx's checker accepts the file and
    /// onnxruntime computes what nnmodel computes from the same file.
    @Test(arguments: Activation.allCases)
    func onnxruntimeAgrees(_ activation: Activation) throws {
        guard let python = PythonEnvironment.require(for: "onnx checker and onnxruntime") else { return }
        let folder = try TemporaryFolder("onnx")
        for (flatten, dtype) in [(true, DType.float32), (false, .float32), (true, .float16)] {
            try Self.checkInOnnxruntime(try Self.model(activation, flatten: flatten), dtype: dtype, python: python, in: folder,
                                        label: "\(activation.rawValue)-\(flatten)-\(dtype.rawValue)")
        }
    }

    /// Twelve hidden layers of alternating activations, wider than the input.
    @Test func deepModelAgrees() throws {
        guard let python = PythonEnvironment.require(for: "onnx checker and onnxruntime") else { return }
        let folder = try TemporaryFolder("onnx")
        let activations: [Activation] = [.relu, .tanh, .gelu, .selu, .swish, .elu]
        let architecture = ModelArchitecture.multilayerPerceptron(inputShape: [3, 4], hidden: Array(repeating: 40, count: 12),
                                                                  activation: .relu, outputs: 10, outputActivation: .softmax)
        var layers = architecture.layers
        for (i, layer) in layers.enumerated() {
            if case var .dense(d) = layer.kind, d.units == 40 { d.activation = activations[i % activations.count]; layers[i].kind = .dense(d) }
        }
        let model = try Sequential(ModelArchitecture(name: "deep", inputShape: [3, 4], layers: layers), seed: 9)
        try Self.checkInOnnxruntime(model, dtype: .float32, python: python, in: folder, label: "deep")
    }

    /// Keras fixtures with each layer beyond Dense (convolutions of every padding, stride and
    /// dilation, pooling, global pooling, normalization, activation layers, PReLU, Reshape, a CNN).
    static let layerFixtures = [
        "conv_valid_k3.keras", "conv_same_even_k3.keras", "conv_strides_k3.keras", "conv_dilated_k3.keras", "maxpool_k3.keras",
        "avgpool_k3.keras", "globalavg_k3.keras", "globalmax_keepdims_k3.keras", "bn_variants_k3.keras", "layernorm_image_k3.keras",
        "relu_k3.keras", "leakyrelu_k3.keras", "elu_k3.keras", "softmax_layer_k3.keras", "prelu_image_k3.keras", "reshape_k3.keras",
        "cnn_k3.keras",
    ]

    /// Each fixture written as ONNX passes onnx's full check, onnxruntime predicts Keras's expected
    /// output from it within 1e-5, and nnmodel reads it back as the same model.
    @Test(arguments: layerFixtures)
    func layersBeyondDenseExportAsKerasComputes(_ file: String) throws {
        guard let python = PythonEnvironment.require(for: "onnx checker and onnxruntime") else { return }
        let manifest = try JSON(parsing: try FileReader.bytes(Repository.fixture("keras/manifest.json")))
        let entry = try #require(manifest["files"]?.arrayValue?.first { $0["file"]?.stringValue == file })
        let inputFile = try #require(entry["input_file"]?.stringValue), expectedFile = try #require(entry["expected_file"]?.stringValue)
        let model = try ModelFile.load(Repository.fixture("keras/" + file))
        let folder = try TemporaryFolder("onnx")
        let path = folder.file("model.onnx"), outputPath = folder.file("y.npy")
        try ModelFile.save(model, to: path)
        let run = try PythonEnvironment.run(python, script: "check_onnx.py", [path, Repository.fixture("keras/" + inputFile), outputPath])
        try #require(run.status == 0, "\(file): \(run.output)")
        let theirs = try NPYArray(path: outputPath), expected = try NPYArray(path: Repository.fixture("keras/" + expectedFile))
        #expect(theirs.shape == expected.shape)
        let worst = zip(theirs.floats, expected.floats).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "\(file): max |onnxruntime - keras| = \(worst)")
        let reloaded = try ModelFile.load(path)
        #expect(reloaded.architecture == model.architecture)
        #expect(reloaded.weights.map(\.scalars) == model.weights.map(\.scalars))
    }

    /// Read without nnmodel's stored architecture, a CNN's graph alone gives the same layers
    /// (Keras's default names) and the same predictions.
    @Test func theGraphAloneGivesTheLayers() throws {
        let model = try ModelFile.load(Repository.fixture("keras/cnn_k3.keras"))
        let folder = try TemporaryFolder("onnx")
        let path = folder.file("cnn.onnx")
        try ModelFile.save(model, to: path, dtype: .float16)
        var bytes = try FileReader.bytes(path)
        // "nnmodel" → "nnmodek": no longer nnmodel's own file, so its metadata is ignored.
        let marker = Array("nnmodel".utf8)
        let at = try #require((0...(bytes.count - marker.count)).first { Array(bytes[$0..<$0 + marker.count]) == marker })
        bytes[at + 6] = UInt8(ascii: "k")
        let loaded = try ONNXCodec().read(contents: bytes, name: "cnn.onnx", options: ReadOptions())
        // Keras's ReLU() layer is the activation ReLU in the graph.
        #expect(loaded.model.architecture.layers.map(\.className) == model.architecture.layers.map { $0.className == "ReLU" ? "Activation" : $0.className })
        #expect(loaded.model.architecture.layers.map(\.name).prefix(3) == ["conv2d", "batch_normalization", "activation"])
        let x = Self.input(model.architecture.inputShape, count: 2)
        let a = try loaded.model.predict(x), b = try model.predict(x)
        #expect(zip(a.scalars, b.scalars).allSatisfy { abs($0 - $1) < 1e-2 })
    }

    /// Every layer kind in one image model, in the layouts the export moves between (element-wise
    /// layers on channels-first values, a Conv2D with softmax, odd sizes with `same` pooling and
    /// strides, normalization without gamma or beta), in float32 and float16: onnxruntime computes
    /// what nnmodel computes from the same file.
    @Test(arguments: [DType.float32, .float16])
    func everyLayerKindAgreesWithOnnxruntime(_ dtype: DType) throws {
        guard let python = PythonEnvironment.require(for: "onnx checker and onnxruntime") else { return }
        let layers: [Layer] = [
            Layer(name: "conv", kind: .conv2D(Conv2D(filters: 4, kernelSize: [3, 2], strides: [2, 1], padding: .same, activation: .relu))),
            Layer(name: "bn", kind: .batchNormalization(BatchNormalization(epsilon: 0.01, scale: false))),
            Layer(name: "capped", kind: .relu(ReLULayer(maxValue: 1.5, negativeSlope: 0.1, threshold: 0.25))),
            Layer(name: "average", kind: .pooling2D(Pooling2D(mode: .average, poolSize: [3, 3], strides: [2, 2], padding: .same))),
            Layer(name: "leaky", kind: .leakyReLU(negativeSlope: 0.05)),
            Layer(name: "mix", kind: .conv2D(Conv2D(filters: 3, kernelSize: [2, 2], padding: .same, activation: .softmax, useBias: false))),
            Layer(name: "max", kind: .pooling2D(Pooling2D(mode: .max, poolSize: [2, 2], strides: [1, 1], padding: .same))),
            Layer(name: "shifted", kind: .relu(ReLULayer(negativeSlope: 0.2, threshold: 0.3))),
            Layer(name: "ln", kind: .layerNormalization(LayerNormalization(center: false, scale: false))),
            Layer(name: "prelu", kind: .prelu(PReLU(sharedAxes: [1, 2]))),
            Layer(name: "elu", kind: .elu(alpha: 0.5)),
            Layer(name: "global", kind: .globalPooling2D(GlobalPooling2D(mode: .max, keepDims: true))),
            Layer(name: "flat", kind: .reshape(targetShape: [-1])),
            Layer(name: "head", kind: .dense(Dense(units: 4))),
            Layer(name: "probabilities", kind: .softmax),
        ]
        let architecture = ModelArchitecture(name: "every_layer", inputShape: [7, 6, 3], inputName: "images", layers: layers)
        let weights = try architecture.weightSpecs().enumerated().map { i, spec in
            let n = spec.shape.reduce(1, *)
            let values = (0..<n).map { Float((($0 + 7 * i) * 37) % 29) / 14 - 1 }
            return Tensor(shape: spec.shape, values: spec.role == "moving_variance" ? values.map { abs($0) + 0.25 } : values)
        }
        let model = try Sequential(architecture: architecture, weights: weights)
        let folder = try TemporaryFolder("onnx")
        try Self.checkInOnnxruntime(model, dtype: dtype, python: python, in: folder, label: "every-\(dtype.rawValue)")
        let path = folder.file("every-\(dtype.rawValue).onnx")
        #expect(try ModelFile.load(path).architecture == architecture)
    }

    /// Saves `model` as ONNX, runs onnx's full check and onnxruntime on it, and compares with
    /// nnmodel's prediction from the same file.
    static func checkInOnnxruntime(_ model: Sequential, dtype: DType, python: String, in folder: TemporaryFolder, label: String) throws {
        let path = folder.file(label + ".onnx")
        try ModelFile.save(model, to: path, dtype: dtype)
        let reloaded = try ModelFile.load(path)
        let x = Self.input(model.architecture.inputShape)
        let ours = try reloaded.predict(x)
        let inputPath = folder.file(label + ".x.npy"), outputPath = folder.file(label + ".y.npy")
        try NPYArray.write(floats: x.scalars, shape: x.shape, to: inputPath)
        let run = try PythonEnvironment.run(python, script: "check_onnx.py", [path, inputPath, outputPath])
        try #require(run.status == 0, "\(path): \(run.output)")
        #expect(run.output.contains("opset=17") && run.output.contains("batch=batch"), "\(run.output)")
        let theirs = try NPYArray(path: outputPath)
        #expect(theirs.shape == ours.shape)
        let worst = zip(ours.scalars, theirs.floats).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "\(label): max |nnmodel - onnxruntime| = \(worst)")
    }
}
