/// Converts between ``ModelArchitecture`` and Keras's model config JSON.
///
/// Reading accepts what Keras 2 (tf_keras) and Keras 3 write: `Sequential` configs (with an
/// `InputLayer`, a `batch_input_shape` on the first layer, or `build_input_shape`) and
/// `Functional`/`Model` configs whose layers form a single chain. Layer classes come only from
/// a closed allowlist: nothing named in a config is looked up or executed outside it.
///
/// Writing produces the Keras 2 style that both Keras 3's legacy loader and tf_keras load
/// (`batch_input_shape`, string dtypes, `{"class_name", "config"}` initializers).
public enum KerasConfig {
    /// Parses a Keras model config from JSON text.
    public static func architecture(fromJSON bytes: some Collection<UInt8>) throws(ModelConfigError) -> ModelArchitecture {
        let json: JSON
        do { json = try JSON(parsing: bytes) } catch { throw .invalidJSON(error) }
        return try architecture(from: json)
    }

    /// Reads a Keras model config (`{"class_name": ..., "config": ...}`).
    public static func architecture(from json: JSON) throws(ModelConfigError) -> ModelArchitecture {
        guard let className = json["class_name"]?.stringValue, let config = json["config"] else {
            throw .notAModelConfig(found: json.objectValue.map { "an object with keys \($0.map(\.key))" } ?? json.kindName)
        }
        try checkBuiltIn(json, name: json["config"]?["name"]?.stringValue ?? "model", className: className)
        switch className {
        case "Sequential":
            return try sequential(config, buildInputShape: json["build_config"]?["input_shape"])
        case "Functional", "Model":
            return try functionalChain(config)
        default:
            throw .unsupportedModelClass(className)
        }
    }

    // MARK: Reading

    /// Whether `module` is Keras's own: `keras` or `keras.*` (Keras 3, and Keras 2 before the
    /// split), or `tf_keras` / `tf_keras.*` (tf_keras 2.16+ names classes without a public
    /// export, such as `Functional`, by their module, `tf_keras.src.engine.functional`).
    static func isKerasModule(_ module: String) -> Bool {
        module == "keras" || module.hasPrefix("keras.") || module == "tf_keras" || module.hasPrefix("tf_keras.")
    }

    /// Refuses objects that name a module or registered class outside Keras itself.
    private static func checkBuiltIn(_ object: JSON, name: String, className: String) throws(ModelConfigError) {
        if let module = object["module"]?.stringValue, !isKerasModule(module) {
            throw .unsupportedLayer(name: name, className: "\(module).\(className)")
        }
        if let registered = object["registered_name"]?.stringValue, registered != className {
            throw .unsupportedLayer(name: name, className: registered)
        }
        if className.contains(">") || className.contains(".") {
            throw .unsupportedLayer(name: name, className: className)
        }
    }

    private static func sequential(_ config: JSON, buildInputShape: JSON?) throws(ModelConfigError) -> ModelArchitecture {
        // Keras 2.0–2.2 wrote the layer list directly as the config.
        let layerList: [JSON]
        if let list = config.arrayValue {
            layerList = list
        } else if let list = config["layers"]?.arrayValue {
            layerList = list
        } else {
            throw .missingField(layer: config["name"]?.stringValue ?? "sequential", field: "layers")
        }
        guard layerList.count <= ModelArchitecture.maximumLayers + 1 else {
            throw .tooManyLayers(count: layerList.count, limit: ModelArchitecture.maximumLayers)
        }
        var builder = Builder(name: config["name"]?.stringValue ?? "sequential")
        if let shape = config["build_input_shape"] ?? buildInputShape, !shape.isNull {
            builder.inputShape = try batchShape(shape, layer: builder.name, field: "build_input_shape")
        }
        for entry in layerList { try builder.add(entry) }
        return try builder.finish()
    }

    private static func functionalChain(_ config: JSON) throws(ModelConfigError) -> ModelArchitecture {
        let modelName = config["name"]?.stringValue ?? "model"
        guard let layerList = config["layers"]?.arrayValue else { throw .missingField(layer: modelName, field: "layers") }
        guard layerList.count <= ModelArchitecture.maximumLayers + 1 else {
            throw .tooManyLayers(count: layerList.count, limit: ModelArchitecture.maximumLayers)
        }
        var builder = Builder(name: modelName)
        var previous: String?
        for entry in layerList {
            let layerName = entry["name"]?.stringValue ?? entry["config"]?["name"]?.stringValue ?? "?"
            let inbound = try inboundLayerNames(entry["inbound_nodes"], layer: layerName)
            if let broken = chainBreak(layer: layerName, inbound: inbound, previous: previous) { throw broken }
            try builder.add(entry)
            previous = layerName
        }
        for (field, expected) in [("input_layers", builder.inputName), ("output_layers", previous ?? "")] {
            guard let value = config[field] else { continue }
            let names = endpointNames(value)
            guard names == [expected] else {
                throw .notAChain(layer: names.first ?? "?", reason: "\(field) is \(names), expected [\"\(expected)\"]")
            }
        }
        return try builder.finish()
    }

    /// Why a functional layer fed by `inbound` breaks the chain after the layer `previous` (nil
    /// for the first layer), or nil when it continues it: it must take the preceding layer's
    /// output alone, and the first layer must be the model's input.
    static func chainBreak(layer: String, inbound: [String], previous: String?) -> ModelConfigError? {
        if let previous {
            guard inbound.count == 1 else {
                return .notAChain(layer: layer, reason: inbound.isEmpty ? "it has no input (a second model input?)"
                    : "it is called \(inbound.count) times or takes \(inbound.count) inputs (\(inbound.joined(separator: ", ")))")
            }
            guard inbound[0] == previous else {
                return .notAChain(layer: layer, reason: "its input is '\(inbound[0])', not the preceding layer '\(previous)'")
            }
        } else if !inbound.isEmpty {
            return .notAChain(layer: layer, reason: "the first layer must be the model input")
        }
        return nil
    }

    /// Layer names of `input_layers`/`output_layers`: `[["name", 0, 0]]` or `["name", 0, 0]`.
    private static func endpointNames(_ value: JSON) -> [String] {
        guard let list = value.arrayValue else { return [] }
        if let first = list.first?.stringValue, list.count == 3 { return [first] }
        return list.compactMap { $0.arrayValue?.first?.stringValue }
    }

    /// The names of the layers feeding a functional layer, in both Keras 2 and Keras 3 forms.
    static func inboundLayerNames(_ nodes: JSON?, layer: String) throws(ModelConfigError) -> [String] {
        guard let nodes, !nodes.isNull else { return [] }
        guard let list = nodes.arrayValue else {
            throw .invalidField(layer: layer, field: "inbound_nodes", expected: "an array", found: nodes.kindName)
        }
        var names: [String] = []
        func collect(_ value: JSON, depth: Int) {
            guard depth < 16 else { return }
            if let history = value["config"]?["keras_history"]?.arrayValue, let n = history.first?.stringValue {
                names.append(n)  // Keras 3 `__keras_tensor__`
                return
            }
            if let array = value.arrayValue {
                if array.count >= 3, let n = array[0].stringValue, array[1].intValue != nil {
                    names.append(n)  // Keras 2 `[name, node, tensor, kwargs]`
                    return
                }
                for element in array { collect(element, depth: depth + 1) }
            } else if let args = value["args"] {
                collect(args, depth: depth + 1)
            }
        }
        for node in list { collect(node, depth: 0) }
        return names
    }

    static func batchShape(_ value: JSON, layer: String, field: String) throws(ModelConfigError) -> [Int] {
        guard let dims = value.arrayValue, dims.count >= 2 else {
            throw .invalidField(layer: layer, field: field, expected: "[null, d1, ...]", found: value.serialized())
        }
        var shape: [Int] = []
        for d in dims.dropFirst() {
            guard let n = d.intValue, n > 0 else {
                throw .invalidField(layer: layer, field: field, expected: "positive integer dimensions after the batch axis",
                                    found: value.serialized())
            }
            shape.append(n)
        }
        return shape
    }

    /// Reads a dtype given as a string or as a `DTypePolicy`/`Policy` object: the dtype of the
    /// layer's variables (a mixed-precision policy keeps them in float32).
    static func dtype(_ value: JSON?, layer: String) throws(ModelConfigError) -> DType? {
        guard let value, !value.isNull else { return nil }
        guard let name = value.stringValue ?? value["config"]?["name"]?.stringValue else {
            throw .invalidField(layer: layer, field: "dtype", expected: "a dtype name or a DTypePolicy", found: value.kindName)
        }
        switch name {
        case "mixed_float16", "mixed_bfloat16": return .float32
        default:
            guard let dtype = DType(rawValue: name) else {
                throw .invalidField(layer: layer, field: "dtype", expected: "one of \(DType.allCases.map(\.rawValue).joined(separator: ", "))",
                                    found: "'\(name)'")
            }
            return dtype
        }
    }

    /// Accumulates layers while reading a config.
    struct Builder {
        var name: String
        var inputShape: [Int]?
        var inputName = "input_layer"
        var layers: [Layer] = []
        var dtype: DType?
        var sawInputLayer = false
        /// Layers of each class so far, for Keras-style default names.
        var classCounts: [String: Int] = [:]

        init(name: String) { self.name = name }

        mutating func add(_ entry: JSON) throws(ModelConfigError) {
            guard let className = entry["class_name"]?.stringValue else {
                throw .missingField(layer: entry["config"]?["name"]?.stringValue ?? "layer \(layers.count)", field: "class_name")
            }
            let config = entry["config"] ?? .object([])
            let ordinal = classCounts[className, default: 0]
            classCounts[className] = ordinal + 1
            let layerName = config["name"]?.stringValue ?? entry["name"]?.stringValue ?? KerasConfig.defaultName(className, ordinal: ordinal)
            try KerasConfig.checkBuiltIn(entry, name: layerName, className: className)
            if let d = try KerasConfig.dtype(config["dtype"], layer: layerName), d != .float32, dtype == nil { dtype = d }
            if className == "InputLayer" {
                guard layers.isEmpty, !sawInputLayer else {
                    throw .notAChain(layer: layerName, reason: "an InputLayer may only come first")
                }
                sawInputLayer = true
                inputName = layerName
                if let shape = config["batch_shape"] ?? config["batch_input_shape"] {
                    inputShape = try KerasConfig.batchShape(shape, layer: layerName, field: "batch_shape")
                } else if let shape = config["shape"] ?? config["input_shape"], let dims = shape.arrayValue {
                    inputShape = try KerasConfig.batchShape(.array([.null] + dims), layer: layerName, field: "shape")
                }
                return
            }
            if layers.isEmpty, inputShape == nil || !sawInputLayer,
               let shape = config["batch_input_shape"] ?? config["batch_shape"] {
                inputShape = try KerasConfig.batchShape(shape, layer: layerName, field: "batch_input_shape")
            }
            let trainable = try KerasConfig.flag(config, "trainable", layer: layerName)
            let kind: LayerKind
            switch className {
            case "Flatten":
                if let format = config["data_format"]?.stringValue, format != "channels_last" {
                    throw .invalidField(layer: layerName, field: "data_format", expected: "\"channels_last\"", found: "\"\(format)\"")
                }
                kind = .flatten
            case "Dense":
                kind = .dense(try KerasConfig.dense(config, layer: layerName))
            case "Activation":
                guard let a = config["activation"] else { throw .missingField(layer: layerName, field: "activation") }
                kind = .activation(try KerasConfig.activation(a, layer: layerName))
            case "Dropout":
                guard let rate = config["rate"]?.doubleValue else { throw .missingField(layer: layerName, field: "rate") }
                if let shape = config["noise_shape"], !shape.isNull {
                    throw .invalidField(layer: layerName, field: "noise_shape", expected: "null", found: shape.serialized())
                }
                kind = .dropout(rate: rate)
            default:
                guard let extended = try KerasConfig.extendedLayer(className, config, layer: layerName,
                                                                   lastAxis: currentShape().map(\.count)) else {
                    throw .unsupportedLayer(name: layerName, className: className)
                }
                kind = extended
            }
            var layer = Layer(name: layerName, kind: kind, trainable: trainable)
            layer.ignoredOptions = KerasConfig.trainingOnlyOptions.filter { config[$0].map { !$0.isNull } ?? false }
            track(layer)
            layers.append(layer)
        }

        /// The output shape of the layers so far (for an `axis` given as a number), kept as
        /// layers are added; `nil` before the input shape is known or after an invalid layer
        /// (which ``finish()`` reports).
        var shape: [Int]?
        private var parameters = 0

        func currentShape() -> [Int]? { layers.isEmpty ? inputShape : shape }

        private mutating func track(_ layer: Layer) {
            guard let input = layers.isEmpty ? inputShape : shape else { shape = nil; return }
            shape = try? layer.outputShape(input: input, parameters: &parameters)
        }

        func finish() throws(ModelConfigError) -> ModelArchitecture {
            guard let inputShape else { throw .missingInputShape }
            guard !layers.isEmpty else { throw .noLayers }
            let architecture = ModelArchitecture(name: name, inputShape: inputShape, inputName: inputName,
                                                 layers: layers, sourceDType: dtype ?? .float32)
            _ = try architecture.validated()
            return architecture
        }
    }

    /// Config fields that only affect training, which nnmodel reads past without applying.
    public static let trainingOnlyOptions = [
        "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint",
        "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint", "alpha_regularizer", "alpha_constraint",
    ]

    /// A Keras-style default name: the class in snake case, with the layer's ordinal among the
    /// layers of its class after the first (`dense`, `dense_1`, ...).
    static func defaultName(_ className: String, ordinal: Int) -> String {
        let snake = snakeCase(String(className.prefix(64)))
        return ordinal == 0 ? snake : "\(snake)_\(ordinal)"
    }

    /// A class name in snake case as Keras writes it (`Dense` → `dense`, `Conv2D` → `conv2d`,
    /// `PReLU` → `p_re_lu`, `InputLayer` → `input_layer`): an underscore before each capital that
    /// follows a lower-case letter or starts a capitalised word.
    package static func snakeCase(_ className: String) -> String {
        var out = ""
        let chars = Array(className)
        for (i, c) in chars.enumerated() {
            if c.isUppercase, i > 0, chars[i - 1].isLowercase || (i + 1 < chars.count && chars[i + 1].isLowercase) {
                out += "_"
            }
            out += c.lowercased()
        }
        return out
    }

    static func dense(_ config: JSON, layer: String) throws(ModelConfigError) -> Dense {
        guard let unitsValue = config["units"] else { throw .missingField(layer: layer, field: "units") }
        guard let units = unitsValue.intValue, units > 0 else {
            throw .invalidField(layer: layer, field: "units", expected: "a positive integer", found: unitsValue.serialized())
        }
        let activationValue = config["activation"] ?? .null
        let act = activationValue.isNull ? Activation.linear : try activation(activationValue, layer: layer)
        let useBias = try flag(config, "use_bias", layer: layer)
        return Dense(units: units, activation: act, useBias: useBias,
                     kernelInitializer: try initializer(config["kernel_initializer"], default: .glorotUniform),
                     biasInitializer: try initializer(config["bias_initializer"], default: .zeros))
    }

    /// A boolean field that defaults to true when absent or null; anything but a JSON boolean is
    /// refused (Python would read the string "false" as true, nnmodel as false: neither is safe).
    static func flag(_ config: JSON, _ field: String, layer: String) throws(ModelConfigError) -> Bool {
        guard let value = config[field], !value.isNull else { return true }
        guard let b = value.boolValue else {
            throw .invalidField(layer: layer, field: field, expected: "true or false", found: value.serialized())
        }
        return b
    }

    static func activation(_ value: JSON, layer: String) throws(ModelConfigError) -> Activation {
        // Keras 3 may serialize a built-in activation as {"class_name": "function", "config": "relu", ...}.
        let name: String
        if let s = value.stringValue {
            name = s
        } else if let s = value["config"]?.stringValue, (value["module"]?.stringValue).map(isKerasModule) ?? true {
            name = s
        } else {
            throw .unsupportedActivation(layer: layer, name: value["class_name"]?.stringValue ?? value.serialized())
        }
        guard let a = Activation(kerasName: name) else { throw .unsupportedActivation(layer: layer, name: name) }
        return a
    }

    static func initializer(_ value: JSON?, default fallback: Initializer) throws(ModelConfigError) -> Initializer {
        guard let value, !value.isNull else { return fallback }
        let className: String
        let config: JSON
        if let s = value.stringValue {
            className = s
            config = .object([])
        } else if let c = value["class_name"]?.stringValue {
            className = c
            config = value["config"] ?? .object([])
        } else {
            return .unsupported(value)
        }
        func number(_ key: String, _ fallback: Double) -> Double { config[key]?.doubleValue ?? fallback }
        switch className {
        case "GlorotUniform", "glorot_uniform": return .glorotUniform
        case "GlorotNormal", "glorot_normal": return .glorotNormal
        case "HeUniform", "he_uniform": return .heUniform
        case "HeNormal", "he_normal": return .heNormal
        case "LecunUniform", "lecun_uniform": return .lecunUniform
        case "LecunNormal", "lecun_normal": return .lecunNormal
        case "Zeros", "zeros": return .zeros
        case "Ones", "ones": return .ones
        case "Constant", "constant": return .constant(number("value", 0))
        case "RandomNormal", "random_normal": return .randomNormal(mean: number("mean", 0), stddev: number("stddev", 0.05))
        case "RandomUniform", "random_uniform":
            return .randomUniform(minimum: number("minval", -0.05), maximum: number("maxval", 0.05))
        case "TruncatedNormal", "truncated_normal":
            return .truncatedNormal(mean: number("mean", 0), stddev: number("stddev", 0.05))
        default: return .unsupported(value.stringValue != nil ? .object([("class_name", .string(className)), ("config", .object([]))]) : value)
        }
    }

    // MARK: Writing

    /// The Keras 2-style model config of `architecture`, loadable by Keras 3 and tf_keras.
    public static func json(for architecture: ModelArchitecture) -> JSON {
        let dtype = JSON.string(architecture.sourceDType.rawValue)
        var layers: [JSON] = [
            .object([
                ("class_name", "InputLayer"),
                ("config", .object([
                    ("batch_input_shape", .array([.null] + architecture.inputShape.map { .int($0) })),
                    ("dtype", dtype), ("sparse", false), ("ragged", false), ("name", .string(architecture.inputName)),
                ])),
            ]),
        ]
        for layer in architecture.layers {
            var config: [(key: String, value: JSON)] = [
                ("name", .string(layer.name)), ("trainable", .bool(layer.trainable)), ("dtype", dtype),
            ]
            switch layer.kind {
            case .flatten:
                config.append(("data_format", "channels_last"))
            case let .dense(d):
                config += [
                    ("units", .int(d.units)), ("activation", .string(d.activation.kerasName)), ("use_bias", .bool(d.useBias)),
                    ("kernel_initializer", json(for: d.kernelInitializer)), ("bias_initializer", json(for: d.biasInitializer)),
                    ("kernel_regularizer", .null), ("bias_regularizer", .null), ("activity_regularizer", .null),
                    ("kernel_constraint", .null), ("bias_constraint", .null),
                ]
            case let .activation(a):
                config.append(("activation", .string(a.kerasName)))
            case let .dropout(rate):
                config += [("rate", .number(rate)), ("noise_shape", .null), ("seed", .null)]
            default:
                config += extendedConfig(layer.kind, keras3: false)
            }
            layers.append(.object([("class_name", .string(layer.className)), ("config", .object(config))]))
        }
        return .object([
            ("class_name", "Sequential"),
            ("config", .object([("name", .string(architecture.name)), ("layers", .array(layers))])),
        ])
    }

    /// The Keras config of an initializer.
    public static func json(for initializer: Initializer) -> JSON {
        func make(_ name: String, _ config: [(key: String, value: JSON)]) -> JSON {
            .object([("class_name", .string(name)), ("config", .object(config))])
        }
        switch initializer {
        case .glorotUniform: return make("GlorotUniform", [("seed", .null)])
        case .glorotNormal: return make("GlorotNormal", [("seed", .null)])
        case .heUniform: return make("HeUniform", [("seed", .null)])
        case .heNormal: return make("HeNormal", [("seed", .null)])
        case .lecunUniform: return make("LecunUniform", [("seed", .null)])
        case .lecunNormal: return make("LecunNormal", [("seed", .null)])
        case .zeros: return make("Zeros", [])
        case .ones: return make("Ones", [])
        case let .constant(v): return make("Constant", [("value", .number(v))])
        case let .randomNormal(m, s): return make("RandomNormal", [("mean", .number(m)), ("stddev", .number(s)), ("seed", .null)])
        case let .randomUniform(lo, hi):
            return make("RandomUniform", [("minval", .number(lo)), ("maxval", .number(hi)), ("seed", .null)])
        case let .truncatedNormal(m, s):
            return make("TruncatedNormal", [("mean", .number(m)), ("stddev", .number(s)), ("seed", .null)])
        case let .unsupported(json): return json
        }
    }
}
