import Testing
@testable import NNCore
@testable import NNSchema
@testable import NNJSON

func architecture(_ text: String) throws(ModelConfigError) -> ModelArchitecture {
    try KerasConfig.architecture(fromJSON: Array(text.utf8))
}

/// The `ModelConfigError` reading `text` throws, or `nil` (recording an issue) when it is accepted.
func configError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> ModelConfigError? {
    do {
        let a = try architecture(text)
        Issue.record("accepted: \(a)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// A Sequential config with an InputLayer of `shape` and the given layer entries (JSON text).
func sequentialConfig(shape: String = "[null, 4]", _ layers: String...) -> String {
    let input = #"{"class_name": "InputLayer", "config": {"batch_shape": \#(shape), "dtype": "float32", "name": "input_layer"}}"#
    return #"{"class_name": "Sequential", "config": {"name": "sequential", "layers": ["# + ([input] + layers).joined(separator: ", ") + "]}}"
}

func denseEntry(_ name: String, units: Int = 3, activation: String = #""relu""#, extra: String = "") -> String {
    #"{"class_name": "Dense", "config": {"name": "\#(name)", "units": \#(units), "activation": \#(activation)\#(extra)}}"#
}

/// A hand-written Keras 3 functional config: `pixels [28, 28] → Flatten → Dense(64, gelu, he_normal) → Dense(10, softmax)`,
/// with inbound nodes in Keras 3's `__keras_tensor__` form.
let keras3Functional = #"""
{"module": "keras", "class_name": "Functional", "config": {"name": "functional", "trainable": true, "layers": [
 {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 28, 28], "dtype": "float32", "sparse": false, "name": "pixels"}, "registered_name": null, "name": "pixels", "inbound_nodes": []},
 {"module": "keras.layers", "class_name": "Flatten", "config": {"name": "flatten", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "data_format": "channels_last"}, "registered_name": null, "build_config": {"input_shape": [null, 28, 28]}, "name": "flatten",
  "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 28, 28], "dtype": "float32", "keras_history": ["pixels", 0, 0]}}], "kwargs": {}}]},
 {"module": "keras.layers", "class_name": "Dense", "config": {"name": "hidden", "trainable": true, "dtype": "float32", "units": 64, "activation": {"module": "keras.activations", "class_name": "function", "config": "gelu", "registered_name": "function"}, "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "HeNormal", "config": {"seed": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "registered_name": null, "build_config": {"input_shape": [null, 784]}, "name": "hidden",
  "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 784], "dtype": "float32", "keras_history": ["flatten", 0, 0]}}], "kwargs": {}}]},
 {"module": "keras.layers", "class_name": "Dense", "config": {"name": "predictions", "trainable": true, "dtype": "float32", "units": 10, "activation": "softmax", "use_bias": true}, "registered_name": null, "build_config": {"input_shape": [null, 64]}, "name": "predictions",
  "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 64], "dtype": "float32", "keras_history": ["hidden", 0, 0]}}], "kwargs": {}}]}
], "input_layers": [["pixels", 0, 0]], "output_layers": [["predictions", 0, 0]]}, "registered_name": "Functional", "build_config": {"input_shape": null}}
"""#

/// A tf_keras (Keras 2) functional chain with Keras 2 inbound nodes `[[["name", 0, 0, {}]]]`;
/// `OUTPUT` and `INBOUND2` are replaced to build broken variants.
let tfKerasFunctionalTemplate = #"""
{"class_name": "Functional", "config": {"name": "model", "layers": [
 {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_1"}, "name": "input_1", "inbound_nodes": []},
 {"class_name": "Dense", "config": {"name": "dense", "trainable": false, "dtype": "float32", "units": 8, "activation": "tanh", "use_bias": false, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}}}, "name": "dense", "inbound_nodes": [[["input_1", 0, 0, {}]]]},
 {"class_name": "Dropout", "config": {"name": "dropout", "trainable": true, "dtype": "float32", "rate": 0.5, "noise_shape": null, "seed": null}, "name": "dropout", "inbound_nodes": [[["dense", 0, 0, {}]]]},
 {"class_name": "Dense", "config": {"name": "dense_1", "trainable": true, "dtype": "float32", "units": 1, "activation": "sigmoid", "use_bias": true}, "name": "dense_1", "inbound_nodes": INBOUND2}
], "input_layers": [["input_1", 0, 0]], "output_layers": [["OUTPUT", 0, 0]]}, "keras_version": "2.15.0", "backend": "tensorflow"}
"""#

func tfKerasFunctional(output: String = "dense_1", inbound2: String = #"[[["dropout", 0, 0, {}]]]"#) -> String {
    tfKerasFunctionalTemplate.replacingOccurrences("OUTPUT", output).replacingOccurrences("INBOUND2", inbound2)
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

@Suite("Keras model configs")
struct KerasConfigTests {
    static var seedKeras3: ModelArchitecture { .seed() }

    static var seedTFKeras: ModelArchitecture {
        var a = ModelArchitecture.seed()
        a.inputName = "flatten_input"
        return a
    }

    static func dropoutActivation(inputName: String) -> ModelArchitecture {
        ModelArchitecture(inputShape: [28, 28], inputName: inputName, layers: [
            Layer(name: "flatten", kind: .flatten), dense("dense", 32), Layer(name: "activation", kind: .activation(.relu)),
            Layer(name: "dropout", kind: .dropout(rate: 0.25)), dense("dense_1", 10),
            Layer(name: "activation_1", kind: .activation(.softmax)),
        ])
    }

    static func noBiasSigmoidTanh(inputName: String) -> ModelArchitecture {
        ModelArchitecture(inputShape: [28, 28], inputName: inputName, layers: [
            Layer(name: "flatten", kind: .flatten), dense("dense", 24, .tanh, bias: false), dense("dense_1", 16, .sigmoid),
            dense("dense_2", 10, .softmax),
        ])
    }

    struct Fixture: Sendable, CustomTestStringConvertible {
        var name: String
        var json: String
        var expected: ModelArchitecture
        var testDescription: String { name }
    }

    static let fixtures: [Fixture] = [
        Fixture(name: "seed, Keras 3 .h5", json: KerasConfigFixtures.seedKeras3H5, expected: seedKeras3),
        Fixture(name: "seed, Keras 3 .keras", json: KerasConfigFixtures.seedKeras3Archive, expected: seedKeras3),
        Fixture(name: "seed, tf_keras .h5", json: KerasConfigFixtures.seedTFKeras, expected: seedTFKeras),
        Fixture(name: "dropout+activation, Keras 3 .h5", json: KerasConfigFixtures.dropoutActivationKeras3H5,
                expected: dropoutActivation(inputName: "input_layer")),
        Fixture(name: "dropout+activation, Keras 3 .keras", json: KerasConfigFixtures.dropoutActivationKeras3Archive,
                expected: dropoutActivation(inputName: "input_layer")),
        Fixture(name: "dropout+activation, tf_keras .h5", json: KerasConfigFixtures.dropoutActivationTFKeras,
                expected: dropoutActivation(inputName: "flatten_input")),
        Fixture(name: "no bias, sigmoid, tanh, Keras 3 .h5", json: KerasConfigFixtures.noBiasSigmoidTanhKeras3H5,
                expected: noBiasSigmoidTanh(inputName: "input_layer")),
        Fixture(name: "no bias, sigmoid, tanh, tf_keras .h5", json: KerasConfigFixtures.noBiasSigmoidTanhTFKeras,
                expected: noBiasSigmoidTanh(inputName: "flatten_input")),
    ]

    /// Real configs written by Keras 3.15.1 and tf_keras 2.21.0.
    @Test(arguments: fixtures)
    func realKerasConfigs(_ f: Fixture) throws {
        let a = try architecture(f.json)
        #expect(a == f.expected)
        #expect(a.layers.allSatisfy { $0.ignoredOptions.isEmpty && $0.trainable })
        // And what nnmodel writes for it reads back the same.
        #expect(try KerasConfig.architecture(from: KerasConfig.json(for: a)) == a)
    }

    @Test func keras3FunctionalChain() throws {
        let a = try architecture(keras3Functional)
        #expect(a == ModelArchitecture(name: "functional", inputShape: [28, 28], inputName: "pixels", layers: [
            Layer(name: "flatten", kind: .flatten),
            Layer(name: "hidden", kind: .dense(Dense(units: 64, activation: .gelu, kernelInitializer: .heNormal))),
            dense("predictions", 10, .softmax),
        ]))
    }

    @Test func tfKerasFunctionalChain() throws {
        let a = try architecture(tfKerasFunctional())
        #expect(a == ModelArchitecture(name: "model", inputShape: [4], inputName: "input_1", layers: [
            dense("dense", 8, .tanh, bias: false, trainable: false), Layer(name: "dropout", kind: .dropout(rate: 0.5)),
            dense("dense_1", 1, .sigmoid),
        ]))
    }

    @Test func functionalModelsThatAreNotAChainAreRefused() throws {
        // dense_1 reads dense, skipping dropout.
        guard case let .notAChain(layer, reason)? = configError(tfKerasFunctional(inbound2: #"[[["dense", 0, 0, {}]]]"#)) else {
            Issue.record("skip connection accepted")
            return
        }
        #expect(layer == "dense_1" && reason.contains("dense"))
        // dense_1 takes two inputs (a merge).
        guard case .notAChain("dense_1", _)? = configError(tfKerasFunctional(inbound2: #"[[["dropout", 0, 0, {}], ["dense", 0, 0, {}]]]"#)) else {
            Issue.record("two inputs accepted")
            return
        }
        // dense_1 is called twice.
        guard case .notAChain("dense_1", _)? = configError(tfKerasFunctional(inbound2: #"[[["dropout", 0, 0, {}]], [["dropout", 0, 0, {}]]]"#)) else {
            Issue.record("shared layer accepted")
            return
        }
        // dense_1 has no input (a second model input).
        guard case .notAChain("dense_1", _)? = configError(tfKerasFunctional(inbound2: "[]")) else {
            Issue.record("second input accepted")
            return
        }
        // The output is not the last layer.
        guard case .notAChain? = configError(tfKerasFunctional(output: "dropout")) else {
            Issue.record("wrong output accepted")
            return
        }
    }

    // MARK: Refusals

    /// Keras 3's and tf_keras's Conv2D configs read alike (the tutorial's `conv2d_k3` / `conv2d_tfk`).
    @Test(arguments: [KerasConfigFixtures.conv2DKeras3Archive, KerasConfigFixtures.conv2DTFKeras])
    func conv2DIsRead(_ json: String) throws {
        let architecture = try KerasConfig.architecture(fromJSON: Array(json.utf8))
        #expect(architecture.inputShape == [28, 28, 1])
        #expect(architecture.layers.map(\.className) == ["Conv2D", "Flatten", "Dense"])
        #expect(architecture.layers[0].kind == .conv2D(Conv2D(filters: 4, kernelSize: [3, 3], activation: .relu)))
        #expect(try architecture.validated() == [[26, 26, 4], [2704], [10]])
        #expect(try architecture.weightSpecs().map(\.shape) == [[3, 3, 1, 4], [4], [2704, 10], [10]])
    }

    @Test(arguments: [
        (#"{"class_name": "Lambda", "config": {"name": "lambda", "function": {"class_name": "__lambda__", "config": {"code": "4wEAAA=="}}}}"#,
         ModelConfigError.unsupportedLayer(name: "lambda", className: "Lambda")),
        (#"{"module": "my_layers", "class_name": "Dense", "config": {"name": "dense", "units": 3}}"#,
         .unsupportedLayer(name: "dense", className: "my_layers.Dense")),
        (#"{"module": "keras_evil", "class_name": "Dense", "config": {"name": "dense", "units": 3}}"#,
         .unsupportedLayer(name: "dense", className: "keras_evil.Dense")),
        (#"{"module": "keras.layers", "class_name": "Dense", "registered_name": "MyPackage>CustomDense", "config": {"name": "dense", "units": 3}}"#,
         .unsupportedLayer(name: "dense", className: "MyPackage>CustomDense")),
        (#"{"class_name": "Custom>Dense", "config": {"name": "dense", "units": 3}}"#,
         .unsupportedLayer(name: "dense", className: "Custom>Dense")),
        (#"{"class_name": "LSTM", "config": {"name": "lstm", "units": 2}}"#,
         .unsupportedLayer(name: "lstm", className: "LSTM")),
        (#"{"class_name": "DepthwiseConv2D", "config": {"name": "dw", "kernel_size": [2, 2]}}"#,
         .unsupportedLayer(name: "dw", className: "DepthwiseConv2D")),
    ])
    func unknownLayersAreRefused(_ entry: String, _ expected: ModelConfigError) {
        #expect(configError(sequentialConfig(entry, denseEntry("out"))) == expected)
    }

    /// tf_keras 2.16+ writes `Functional` (which has no public export) into a `.keras` archive's
    /// config under its module path; Keras 2.13–2.15 under `keras.src.engine.functional`.
    @Test(arguments: ["tf_keras.src.engine.functional", "keras.src.engine.functional", "tf_keras"])
    func tfKerasFunctionalModulesAreKerasOwn(module: String) throws {
        let config = keras3Functional.replacing(#"{"module": "keras", "class_name": "Functional""#,
                                                with: #"{"module": "\#(module)", "class_name": "Functional""#)
        #expect(config != keras3Functional)
        let architecture = try KerasConfig.architecture(fromJSON: Array(config.utf8))
        #expect(architecture.layers.map(\.name) == ["flatten", "hidden", "predictions"])
        // Look-alikes stay refused.
        for fake in ["tf_keras_evil", "tf_kerasx.engine", "my.tf_keras"] {
            let bad = keras3Functional.replacing(#"{"module": "keras", "class_name": "Functional""#,
                                                 with: #"{"module": "\#(fake)", "class_name": "Functional""#)
            #expect(configError(bad) == .unsupportedLayer(name: "functional", className: "\(fake).Functional"))
        }
    }

    @Test func customModelClassesAreRefused() {
        #expect(configError(#"{"class_name": "MyModel", "config": {"name": "m", "layers": []}}"#) == .unsupportedModelClass("MyModel"))
        let custom = #"{"module": "my_models", "class_name": "Sequential", "config": {"name": "s", "layers": []}}"#
        #expect(configError(custom) == .unsupportedLayer(name: "s", className: "my_models.Sequential"))
    }

    @Test(arguments: [
        (denseEntry("dense", activation: #""log_softmax""#), "dense", "log_softmax"),
        (denseEntry("dense", activation: #""crelu""#), "dense", "crelu"),
        (#"{"class_name": "Activation", "config": {"name": "act", "activation": "relu_squared"}}"#, "act", "relu_squared"),
        (denseEntry("dense", activation: #"{"module": "my_activations", "class_name": "function", "config": "relu", "registered_name": "function"}"#),
         "dense", "function"),
        (denseEntry("dense", activation: #"{"class_name": "MyActivation", "config": {}}"#), "dense", "MyActivation"),
    ])
    func unsupportedActivationsNameTheLayerAndListTheSupportedOnes(_ entry: String, _ layer: String, _ name: String) {
        let error = configError(sequentialConfig(entry))
        #expect(error == .unsupportedActivation(layer: layer, name: name))
        let message = error?.description ?? ""
        #expect(message.contains("'\(layer)'") && message.contains("'\(name)'"), "\(message)")
        for supported in ["relu", "softmax", "gelu", "hard_silu", "silu", "mish"] {
            #expect(message.contains(supported), "\(message) does not list \(supported)")
        }
    }

    /// `"use_bias": "false"` is true to Python and was false to nnmodel: any non-boolean is refused.
    @Test(arguments: ["use_bias", "trainable"], [#""false""#, "0", "1", "[]", #"{"value": false}"#])
    func booleanFieldsMustBeBooleans(_ field: String, _ value: String) {
        let error = configError(sequentialConfig(denseEntry("dense", extra: ", \"\(field)\": \(value)")))
        #expect(error == .invalidField(layer: "dense", field: field, expected: "true or false", found: value))
    }

    @Test func booleanFieldsAbsentOrNullDefaultToTrue() throws {
        for extra in ["", #", "use_bias": null, "trainable": null"#] {
            let a = try architecture(sequentialConfig(denseEntry("dense", extra: extra)))
            #expect(a.layers[0].kind == .dense(Dense(units: 3, activation: .relu, useBias: true)))
            #expect(a.layers[0].trainable)
        }
    }

    @Test func keras3FunctionActivationObjectsAreAccepted() throws {
        let a = try architecture(sequentialConfig(denseEntry(
            "dense", activation: #"{"module": "keras.activations", "class_name": "function", "config": "swish", "registered_name": "function"}"#)))
        #expect(a.layers[0].kind == .dense(Dense(units: 3, activation: .swish)))
    }

    @Test(arguments: [
        ("silu", Activation.swish), ("hard_swish", .hardSilu), ("leaky_relu", .leakyRelu), ("linear", .linear),
    ])
    func activationAliasesInConfigs(_ name: String, _ expected: Activation) throws {
        let a = try architecture(sequentialConfig(denseEntry("dense", activation: "\"\(name)\"")))
        #expect(a.layers[0].kind == .dense(Dense(units: 3, activation: expected)))
        let b = try architecture(sequentialConfig(#"{"class_name": "Activation", "config": {"name": "a", "activation": "\#(name)"}}"#))
        #expect(b.layers[0].kind == .activation(expected))
    }

    @Test func otherMalformedConfigs() {
        #expect(configError("[1, 2]") == .notAModelConfig(found: "an array"))
        #expect(configError(#"{"layers": []}"#) == .notAModelConfig(found: #"an object with keys ["layers"]"#))
        guard case .invalidJSON? = configError(#"{"class_name": "Sequential", "config": "#) else {
            Issue.record("truncated JSON accepted")
            return
        }
        // No input shape anywhere.
        let noShape = #"{"class_name": "Sequential", "config": {"name": "s", "layers": [\#(denseEntry("d"))]}}"#
        #expect(configError(noShape) == .missingInputShape)
        #expect(configError(sequentialConfig()) == .noLayers)
        #expect(configError(sequentialConfig(denseEntry("d"), denseEntry("d"))) == .duplicateLayerName("d"))
        #expect(configError(sequentialConfig(denseEntry("d", units: 0))) ==
                .invalidField(layer: "d", field: "units", expected: "a positive integer", found: "0"))
        #expect(configError(sequentialConfig(#"{"class_name": "Dense", "config": {"name": "d", "units": 2.5}}"#)) ==
                .invalidField(layer: "d", field: "units", expected: "a positive integer", found: "2.5"))
        #expect(configError(sequentialConfig(#"{"class_name": "Dropout", "config": {"name": "drop", "rate": 0.2, "noise_shape": [null, 1]}}"#))
                == .invalidField(layer: "drop", field: "noise_shape", expected: "null", found: "[null, 1]"))
        #expect(configError(sequentialConfig(#"{"class_name": "Dropout", "config": {"name": "drop", "rate": 1.0}}"#)) != nil)
        #expect(configError(sequentialConfig(#"{"class_name": "Flatten", "config": {"name": "f", "data_format": "channels_first"}}"#))
                == .invalidField(layer: "f", field: "data_format", expected: "\"channels_last\"", found: "\"channels_first\""))
        #expect(configError(sequentialConfig(shape: "[null, 0]", denseEntry("d"))) != nil)
        #expect(configError(sequentialConfig(shape: "[null, -3]", denseEntry("d"))) != nil)
        #expect(configError(sequentialConfig(#"{"class_name": "Dense", "config": {"name": "d"}}"#)) == .missingField(layer: "d", field: "units"))
    }

    /// Keras 2.0–2.2 wrote the layers as the config itself, with batch_input_shape on the first layer.
    @Test func oldSequentialLayerListForm() throws {
        let old = #"{"class_name": "Sequential", "config": [{"class_name": "Dense", "config": {"name": "dense_1", "units": 3, "batch_input_shape": [null, 5], "activation": "relu"}}]}"#
        let a = try architecture(old)
        #expect(a.inputShape == [5])
        #expect(a.layers == [dense("dense_1", 3, .relu)])
    }

    /// Regularizers and constraints are read past (they do not change inference) but named, and
    /// training refuses them.
    @Test func trainingOnlyOptionsAreKeptAsIgnoredAndRefusedByFit() throws {
        let a = try architecture(sequentialConfig(denseEntry(
            "dense", extra: #", "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.01}}, "bias_constraint": null"#)))
        #expect(a.layers[0].ignoredOptions == ["kernel_regularizer"])
        var model = try Sequential(a, seed: 1)
        let data = try TestData.classes([0, 0, 0, 0], shape: [4], labels: [1])
        #expect(throws: TrainingError.self) { try model.fit(data, options: TrainingOptions(epochs: 1)) }
    }

    // MARK: Writing

    static let roundTripArchitectures: [ModelArchitecture] = [
        .seed(),
        .seed(hidden: [64, 32], activation: .selu, classes: 5),
        ModelArchitecture(name: "every_activation", inputShape: [3, 4], inputName: "pixels",
                          layers: [Layer(name: "flatten", kind: .flatten)]
                            + Activation.allCases.enumerated().flatMap { i, a in
                                [dense("dense_\(i)", 6, a), Layer(name: "activation_\(i)", kind: .activation(a))]
                            }),
        ModelArchitecture(name: "mixed", inputShape: [2, 3], layers: [
            dense("rows", 4, .tanh, bias: false, trainable: false), Layer(name: "flatten", kind: .flatten),
            Layer(name: "dropout", kind: .dropout(rate: 0.125)), dense("out", 2, .sigmoid),
        ], sourceDType: .float64),
        ModelArchitecture(inputShape: [7], layers: [
            Layer(name: "a", kind: .dense(Dense(units: 2, kernelInitializer: .constant(0.5), biasInitializer: .ones))),
            Layer(name: "b", kind: .dense(Dense(units: 2, kernelInitializer: .randomNormal(mean: 0.1, stddev: 0.2),
                                                  biasInitializer: .randomUniform(minimum: -0.3, maximum: 0.4)))),
            Layer(name: "c", kind: .dense(Dense(units: 2, kernelInitializer: .truncatedNormal(mean: 0, stddev: 0.02),
                                                  biasInitializer: .constant(-1)))),
            Layer(name: "d", kind: .dense(Dense(units: 2, kernelInitializer: .lecunNormal, biasInitializer: .zeros))),
            Layer(name: "e", kind: .dense(Dense(units: 2, kernelInitializer: .lecunUniform, biasInitializer: .zeros))),
            Layer(name: "f", kind: .dense(Dense(units: 2, kernelInitializer: .heUniform, biasInitializer: .zeros))),
            Layer(name: "g", kind: .dense(Dense(units: 2, kernelInitializer: .glorotNormal, biasInitializer: .zeros))),
            Layer(name: "h", kind: .dense(Dense(units: 2, kernelInitializer: .unsupported(.object([
                ("class_name", "Orthogonal"), ("config", .object([("gain", 1.0), ("seed", .null)])),
            ]))))),
        ]),
    ]

    @Test(arguments: roundTripArchitectures)
    func writtenConfigsReadBack(_ a: ModelArchitecture) throws {
        let json = KerasConfig.json(for: a)
        #expect(try KerasConfig.architecture(from: json) == a)
        #expect(try KerasConfig.architecture(fromJSON: json.serializedBytes()) == a)
        #expect(try KerasConfig.architecture(fromJSON: json.serializedBytes(pretty: true)) == a)
        // The Keras 2 style both loaders accept.
        #expect(json["class_name"] == "Sequential")
        let first = json["config"]?["layers"]?.arrayValue?.first
        #expect(first?["class_name"] == "InputLayer")
        #expect(first?["config"]?["batch_input_shape"] == .array([.null] + a.inputShape.map { .int($0) }))
    }

    /// The Keras 3 form (`config.json` of a `.keras` archive) reads back as the same architecture.
    @Test(arguments: roundTripArchitectures)
    func writtenKeras3ConfigsReadBack(_ a: ModelArchitecture) throws {
        let json = KerasConfig.keras3JSON(for: a)
        #expect(try KerasConfig.architecture(from: json) == a)
        #expect(try KerasConfig.architecture(fromJSON: json.serializedBytes()) == a)
        #expect(json["module"] == "keras" && json["class_name"] == "Sequential" && json["registered_name"] == .null)
        let first = json["config"]?["layers"]?.arrayValue?.first
        #expect(first?["class_name"] == "InputLayer")
        #expect(first?["config"]?["batch_shape"] == .array([.null] + a.inputShape.map { .int($0) }))
        #expect(first?["config"]?["dtype"] == .string(a.sourceDType.rawValue))
        #expect(json["config"]?["dtype"]?["class_name"] == "DTypePolicy")
        for layer in json["config"]?["layers"]?.arrayValue?.dropFirst() ?? [] {
            #expect(layer["module"] == "keras.layers" && layer["config"]?["dtype"]?["config"]?["name"] == .string(a.sourceDType.rawValue))
            let built = layer["class_name"] == "Dense" || layer["class_name"] == "Flatten"
            #expect((layer["build_config"] != nil) == built, "\(layer["class_name"] ?? .null)")
        }
        // Keras 3 writes swish as silu.
        #expect(KerasConfig.keras3Name(.swish) == "silu" && KerasConfig.keras3Name(.hardSilu) == "hard_silu")
    }
}

/// `KerasConfig.writtenModel`: a config nnmodel cannot run, layer by layer as written.
@Suite struct WrittenModelTests {
    @Test func everyLayerIsListedAndEachUnsupportedOneSaysWhy() throws {
        let text = sequentialConfig(shape: "[null, 2, 3]",
                                    #"{"class_name": "Flatten", "config": {"name": "flat"}}"#,
                                    denseEntry("d1", units: 5, activation: #""swishy""#),
                                    #"{"class_name": "Conv1D", "config": {"name": "conv", "filters": 4}}"#,
                                    denseEntry("d2", units: 2))
        let json = try JSON(parsing: Array(text.utf8))
        let failure = configError(text)
        let written = KerasConfig.writtenModel(json, failure: failure)
        #expect(written.modelClass == "Sequential" && written.name == "sequential")
        #expect(written.layers.map(\.name) == ["input_layer", "flat", "d1", "conv", "d2"])
        #expect(written.layers.map { $0.problem != nil } == [false, false, true, true, false])
        #expect(written.layers[2].problem == ModelConfigError.unsupportedActivation(layer: "d1", name: "swishy").description)
        #expect(written.layers[3].problem == ModelConfigError.unsupportedLayer(name: "conv", className: "Conv1D").description)
        // Shapes follow from the layers nnmodel knows, and stop at one it does not.
        #expect(written.layers.map(\.outputShape) == [[2, 3], [6], nil, nil, nil])
        #expect(written.layers[3].config["filters"]?.intValue == 4 && written.layers.allSatisfy { $0.inputs == nil })
    }

    @Test func aFunctionalModelNamesItsInputsAndTheLayersThatBreakTheChain() throws {
        let text = #"""
        {"class_name": "Functional", "config": {"name": "f", "layers": [
          {"class_name": "InputLayer", "name": "in", "config": {"batch_input_shape": [null, 4], "name": "in"}, "inbound_nodes": []},
          {"class_name": "Dense", "name": "a", "config": {"name": "a", "units": 3}, "inbound_nodes": [[["in", 0, 0, {}]]]},
          {"class_name": "Dense", "name": "b", "config": {"name": "b", "units": 3}, "inbound_nodes": [[["in", 0, 0, {}]]]},
          {"class_name": "Concatenate", "name": "cat", "config": {"name": "cat"}, "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]}
        ], "input_layers": [["in", 0, 0]], "output_layers": [["cat", 0, 0]]}}
        """#
        let written = KerasConfig.writtenModel(try JSON(parsing: Array(text.utf8)), failure: configError(text))
        #expect(written.layers.map(\.inputs) == [[], ["in"], ["in"], ["a", "b"]])
        #expect(written.layers.map { $0.problem != nil } == [false, false, true, true])
        #expect(written.layers[2].problem?.contains("its input is 'in', not the preceding layer 'a'") == true)
        #expect(written.layers.map(\.outputShape) == [[4], [3], [3], nil])
    }
}

@Suite("Keras configs of the layers beyond Dense")
struct KerasLayerConfigTests {
    /// Layers without names get Keras's default names (its snake case of the class).
    @Test func unnamedLayersGetKerasNames() throws {
        let json = """
        {"class_name": "Sequential", "config": {"layers": [
          {"class_name": "InputLayer", "config": {"batch_shape": [null, 6, 6, 1]}},
          {"class_name": "Conv2D", "config": {"filters": 2, "kernel_size": 3}},
          {"class_name": "PReLU", "config": {}}, {"class_name": "ReLU", "config": {}},
          {"class_name": "MaxPooling2D", "config": {}}, {"class_name": "Conv2D", "config": {"filters": 1, "kernel_size": [1, 1]}},
          {"class_name": "GlobalAveragePooling2D", "config": {}}]}}
        """
        let architecture = try KerasConfig.architecture(fromJSON: Array(json.utf8))
        #expect(architecture.layers.map(\.name) == ["conv2d", "p_re_lu", "re_lu", "max_pooling2d", "conv2d_1", "global_average_pooling2d"])
        #expect(try architecture.validated() == [[4, 4, 2], [4, 4, 2], [4, 4, 2], [2, 2, 2], [2, 2, 1], [1]])
    }

    /// Impossible shapes and options are refused before anything is allocated, naming the layer and field.
    @Test(arguments: [
        (#"{"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": [7, 7]}}"#, "kernel_size"),
        (#"{"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": 3, "strides": 0}}"#, "strides"),
        (#"{"class_name": "Conv2D", "config": {"name": "c", "filters": 0, "kernel_size": 3}}"#, "filters"),
        (#"{"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": [3, -1]}}"#, "kernel_size"),
        (#"{"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2}}"#, "strides"),
        (#"{"class_name": "Conv2D", "config": {"name": "c", "filters": 65537, "kernel_size": 1}}"#, "filters"),
        (#"{"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": 3, "padding": "causal"}}"#, "padding"),
        (#"{"class_name": "MaxPooling2D", "config": {"name": "c", "pool_size": 9}}"#, "pool_size"),
        (#"{"class_name": "Reshape", "config": {"name": "c", "target_shape": [-1, -1]}}"#, "target_shape"),
        (#"{"class_name": "Reshape", "config": {"name": "c", "target_shape": [7]}}"#, "target_shape"),
        (#"{"class_name": "Reshape", "config": {"name": "c", "target_shape": [4611686018427387904, 4, -1]}}"#, "target_shape"),
        (#"{"class_name": "PReLU", "config": {"name": "c", "shared_axes": [4]}}"#, "shared_axes"),
        (#"{"class_name": "BatchNormalization", "config": {"name": "c", "axis": 1}}"#, "axis"),
        (#"{"class_name": "BatchNormalization", "config": {"name": "c", "epsilon": 0}}"#, "epsilon"),
        (#"{"class_name": "ReLU", "config": {"name": "c", "max_value": -1}}"#, "max_value"),
        (#"{"class_name": "Softmax", "config": {"name": "c", "axis": 1}}"#, "axis"),
    ] as [(String, String)])
    func impossibleLayersAreRefused(_ layer: String, _ field: String) throws {
        let json = #"{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 6, 6, 1]}}, "# + layer + "]}}"
        do {
            _ = try KerasConfig.architecture(fromJSON: Array(json.utf8))
            Issue.record("accepted \(layer)")
        } catch {
            #expect(error.description.contains("layer 'c'") && error.description.contains("'\(field)'"), "\(error)")
        }
    }
}
