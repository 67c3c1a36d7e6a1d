/// Writing the Keras 3 form of a model config: what Keras 3 writes to a `.keras` archive's
/// `config.json`.
///
/// Every object carries `module`, `class_name`, `config` and `registered_name` (and, for layers
/// Keras builds from a shape, `build_config`); dtypes are `DTypePolicy` objects except on the
/// `InputLayer`, whose `batch_shape` holds the input shape; activations and initializers use
/// Keras 3's names and keys. The keys and their order are those Keras 3.15 writes (checked
/// against `model.save("x.keras")` files); the `shared_object_id` Keras adds to repeated dtype
/// policies (a Python object id) is left out, as Keras's own loader does not need it.
extension KerasConfig {
    /// The Keras 3 `Sequential` object for `architecture`, without `compile_config` (the archive
    /// writer adds that from the model's training information).
    public static func keras3JSON(for architecture: ModelArchitecture) -> JSON {
        let dtype = architecture.sourceDType.rawValue
        let batchShape = JSON.array([.null] + architecture.inputShape.map { .int($0) })
        var layers: [JSON] = [
            keras3Object(module: "keras.layers", className: "InputLayer", config: [
                ("batch_shape", batchShape), ("dtype", .string(dtype)), ("sparse", false), ("ragged", false),
                ("name", .string(architecture.inputName)), ("optional", false),
            ]),
        ]
        var shape = architecture.inputShape
        for layer in architecture.layers {
            var config: [(key: String, value: JSON)] = [
                ("name", .string(layer.name)), ("trainable", .bool(layer.trainable)), ("dtype", keras3DTypePolicy(dtype)),
            ]
            let input = JSON.array([.null] + shape.map { .int($0) })
            var built = false
            switch layer.kind {
            case .flatten:
                config.append(("data_format", "channels_last"))
                built = true
                shape = [shape.reduce(1, *)]
            case let .dense(d):
                config += [
                    ("units", .int(d.units)), ("activation", .string(keras3Name(d.activation))), ("use_bias", .bool(d.useBias)),
                    ("kernel_initializer", keras3JSON(for: d.kernelInitializer)),
                    ("bias_initializer", keras3JSON(for: d.biasInitializer)),
                    ("kernel_regularizer", .null), ("bias_regularizer", .null), ("kernel_constraint", .null),
                    ("bias_constraint", .null), ("quantization_config", .null),
                ]
                built = true
                if let last = shape.indices.last { shape[last] = d.units }
            case let .activation(a):
                config.append(("activation", .string(keras3Name(a))))
            case let .dropout(rate):
                config += [("rate", .number(rate)), ("seed", .null), ("noise_shape", .null)]
            default:
                config += extendedConfig(layer.kind, keras3: true)
                built = keras3Builds(layer.kind)
                var probe = 0
                if let next = try? layer.outputShape(input: shape, parameters: &probe) { shape = next }
            }
            let buildConfig: JSON? = built ? .object([("input_shape", input)]) : nil
            layers.append(keras3Object(module: "keras.layers", className: layer.className, config: config, buildConfig: buildConfig))
        }
        return keras3Object(
            module: "keras", className: "Sequential",
            config: [
                ("name", .string(architecture.name)), ("trainable", true), ("dtype", keras3DTypePolicy(dtype)),
                ("layers", .array(layers)), ("build_input_shape", batchShape),
            ],
            buildConfig: .object([("input_shape", batchShape)]))
    }

    /// The Keras 3 config of an initializer (`module`, `class_name`, `config`, `registered_name`).
    /// An initializer nnmodel does not implement is written as it was read (Keras 3's Dense also
    /// accepts the Keras 2 form without `module`).
    public static func keras3JSON(for initializer: Initializer) -> JSON {
        func make(_ name: String, _ config: [(key: String, value: JSON)]) -> JSON {
            keras3Object(module: "keras.initializers", className: name, config: config)
        }
        let variance: [(key: String, value: JSON)] = [("seed", .null), ("input_axes", .null), ("output_axes", .null)]
        switch initializer {
        case .glorotUniform: return make("GlorotUniform", variance)
        case .glorotNormal: return make("GlorotNormal", variance)
        case .heUniform: return make("HeUniform", variance)
        case .heNormal: return make("HeNormal", variance)
        case .lecunUniform: return make("LecunUniform", variance)
        case .lecunNormal: return make("LecunNormal", variance)
        case .zeros: return make("Zeros", [])
        case .ones: return make("Ones", [])
        case let .constant(v): return make("Constant", [("value", .number(v))])
        case let .randomNormal(m, s): return make("RandomNormal", [("seed", .null), ("mean", .number(m)), ("stddev", .number(s))])
        case let .randomUniform(lo, hi):
            return make("RandomUniform", [("seed", .null), ("minval", .number(lo)), ("maxval", .number(hi))])
        case let .truncatedNormal(m, s):
            return make("TruncatedNormal", [("seed", .null), ("mean", .number(m)), ("stddev", .number(s))])
        case let .unsupported(json): return json
        }
    }

    /// The name Keras 3 serializes an activation as (`swish` is written `silu`, as Keras 3 does).
    public static func keras3Name(_ activation: Activation) -> String {
        activation == .swish ? "silu" : activation.kerasName
    }

    /// A Keras 3 `DTypePolicy` object.
    static func keras3DTypePolicy(_ name: String) -> JSON {
        keras3Object(module: "keras", className: "DTypePolicy", config: [("name", .string(name))])
    }

    /// `{"module", "class_name", "config", "registered_name", ["build_config"]}`, in Keras's order.
    public static func keras3Object(module: String, className: String, config: [(key: String, value: JSON)],
                                    buildConfig: JSON? = nil) -> JSON {
        var members: [(key: String, value: JSON)] = [
            ("module", .string(module)), ("class_name", .string(className)), ("config", .object(config)), ("registered_name", .null),
        ]
        if let buildConfig { members.append(("build_config", buildConfig)) }
        return .object(members)
    }
}
