/// Reading and writing the Keras configs of the layers beyond Dense: convolution, pooling,
/// reshaping, normalization and the activation layers, in both the Keras 3 and the tf_keras forms.
extension KerasConfig {
    // MARK: Reading

    /// The layer kind of `className`, read from its `config`, or `nil` when the class is not one of these.
    /// `lastAxis` is the index of the input's last axis counted with the batch axis (3 for images), when known.
    static func extendedLayer(_ className: String, _ config: JSON, layer: String, lastAxis: Int?) throws(ModelConfigError) -> LayerKind? {
        switch className {
        case "Conv2D", "Convolution2D":
            try channelsLast(config, layer: layer)
            if let groups = config["groups"], !groups.isNull, groups.intValue != 1 {
                throw .unsupportedOption(layer: layer, field: "groups", supported: "1: grouped convolutions are not implemented", found: groups.serialized())
            }
            guard let filtersValue = config["filters"] else { throw .missingField(layer: layer, field: "filters") }
            guard let filters = filtersValue.intValue else {
                throw .invalidField(layer: layer, field: "filters", expected: "a positive integer", found: filtersValue.serialized())
            }
            guard let kernel = config["kernel_size"] else { throw .missingField(layer: layer, field: "kernel_size") }
            let activationValue = config["activation"] ?? .null
            return .conv2D(Conv2D(
                filters: filters, kernelSize: try pair(kernel, "kernel_size", layer: layer),
                strides: try pair(config["strides"], "strides", layer: layer, default: 1),
                padding: try padding(config, layer: layer),
                dilationRate: try pair(config["dilation_rate"], "dilation_rate", layer: layer, default: 1),
                activation: activationValue.isNull ? .linear : try activation(activationValue, layer: layer),
                useBias: try flag(config, "use_bias", layer: layer),
                kernelInitializer: try initializer(config["kernel_initializer"], default: .glorotUniform),
                biasInitializer: try initializer(config["bias_initializer"], default: .zeros)))
        case "MaxPooling2D", "AveragePooling2D", "MaxPool2D", "AvgPool2D":
            try channelsLast(config, layer: layer)
            let size = try pair(config["pool_size"], "pool_size", layer: layer, default: 2)
            // Absent or null strides: the pool size, as Keras defaults them.
            return .pooling2D(Pooling2D(
                mode: className.hasPrefix("Max") ? .max : .average, poolSize: size,
                strides: try pair(config["strides"], "strides", layer: layer, default: nil, fallback: size),
                padding: try padding(config, layer: layer)))
        case "GlobalMaxPooling2D", "GlobalAveragePooling2D", "GlobalMaxPool2D", "GlobalAvgPool2D":
            try channelsLast(config, layer: layer)
            var keepDims = false
            if let keep = config["keepdims"], !keep.isNull {
                guard let b = keep.boolValue else {
                    throw .invalidField(layer: layer, field: "keepdims", expected: "true or false", found: keep.serialized())
                }
                keepDims = b
            }
            return .globalPooling2D(GlobalPooling2D(mode: className.hasPrefix("GlobalMax") ? .max : .average, keepDims: keepDims))
        case "Reshape":
            guard let target = config["target_shape"] else { throw .missingField(layer: layer, field: "target_shape") }
            guard let dims = target.arrayValue, dims.count <= ModelArchitecture.maximumRank,
                  case let values = dims.compactMap(\.intValue), values.count == dims.count else {
                throw .invalidField(layer: layer, field: "target_shape", expected: "a list of integers", found: target.serialized())
            }
            return .reshape(targetShape: values)
        case "BatchNormalization":
            try checkLastAxis(config["axis"], layer: layer, lastAxis: lastAxis)
            for field in ["renorm", "synchronized"] {
                if let v = config[field], !v.isNull, v.boolValue != false {
                    throw .unsupportedOption(layer: layer, field: field, supported: "false", found: v.serialized())
                }
            }
            if let v = config["virtual_batch_size"], !v.isNull {
                throw .unsupportedOption(layer: layer, field: "virtual_batch_size", supported: "null", found: v.serialized())
            }
            return .batchNormalization(BatchNormalization(
                momentum: try number(config, "momentum", layer: layer, default: 0.99, range: 0...1),
                epsilon: try number(config, "epsilon", layer: layer, default: 1e-3, range: 0...1e10, positive: true),
                center: try flag(config, "center", layer: layer), scale: try flag(config, "scale", layer: layer),
                betaInitializer: try initializer(config["beta_initializer"], default: .zeros),
                gammaInitializer: try initializer(config["gamma_initializer"], default: .ones),
                movingMeanInitializer: try initializer(config["moving_mean_initializer"], default: .zeros),
                movingVarianceInitializer: try initializer(config["moving_variance_initializer"], default: .ones)))
        case "LayerNormalization":
            try checkLastAxis(config["axis"], layer: layer, lastAxis: lastAxis)
            if let v = config["rms_scaling"], !v.isNull, v.boolValue != false {
                throw .unsupportedOption(layer: layer, field: "rms_scaling", supported: "false", found: v.serialized())
            }
            return .layerNormalization(LayerNormalization(
                epsilon: try number(config, "epsilon", layer: layer, default: 1e-3, range: 0...1e10, positive: true),
                center: try flag(config, "center", layer: layer), scale: try flag(config, "scale", layer: layer),
                betaInitializer: try initializer(config["beta_initializer"], default: .zeros),
                gammaInitializer: try initializer(config["gamma_initializer"], default: .ones)))
        case "ReLU":
            var maxValue: Double?
            if let value = config["max_value"], !value.isNull {
                guard let x = value.doubleValue, x >= 0, x.isFinite else {
                    throw .invalidField(layer: layer, field: "max_value", expected: "null or a number ≥ 0", found: value.serialized())
                }
                maxValue = x
            }
            return .relu(ReLULayer(maxValue: maxValue,
                                   negativeSlope: try number(config, "negative_slope", layer: layer, default: 0, range: 0...1e10),
                                   threshold: try number(config, "threshold", layer: layer, default: 0, range: 0...1e30)))
        case "LeakyReLU":
            // Keras 3 writes negative_slope, tf_keras alpha (which Keras 3 also reads, and prefers).
            var field = "negative_slope"
            if let alpha = config["alpha"], !alpha.isNull { field = "alpha" }
            return .leakyReLU(negativeSlope: try number(config, field, layer: layer, default: 0.3, range: 0...1e10))
        case "ELU":
            return .elu(alpha: try number(config, "alpha", layer: layer, default: 1, range: -1e10...1e10))
        case "Softmax":
            try checkLastAxis(config["axis"], layer: layer, lastAxis: lastAxis)
            return .softmax
        case "PReLU":
            var shared: [Int] = []
            if let value = config["shared_axes"], !value.isNull {
                if let n = value.intValue {
                    shared = [n]
                } else if let list = value.arrayValue, list.count <= ModelArchitecture.maximumRank,
                          case let values = list.compactMap(\.intValue), values.count == list.count {
                    shared = values
                } else {
                    throw .invalidField(layer: layer, field: "shared_axes", expected: "null, an axis or a list of axes", found: value.serialized())
                }
            }
            return .prelu(PReLU(sharedAxes: shared,
                                alphaInitializer: try initializer(config["alpha_initializer"], default: .zeros)))
        default:
            return nil
        }
    }

    /// Refuses `channels_first` (nnmodel computes images channels-last, Keras's default).
    private static func channelsLast(_ config: JSON, layer: String) throws(ModelConfigError) {
        guard let value = config["data_format"], !value.isNull else { return }
        guard value.stringValue == "channels_last" else {
            throw .unsupportedOption(layer: layer, field: "data_format", supported: "\"channels_last\" only", found: value.serialized())
        }
    }

    /// `"valid"` or `"same"` (either case, as Keras accepts).
    private static func padding(_ config: JSON, layer: String) throws(ModelConfigError) -> Padding {
        guard let value = config["padding"], !value.isNull else { return .valid }
        guard let p = value.stringValue.flatMap({ Padding(rawValue: $0.lowercased()) }) else {
            throw .invalidField(layer: layer, field: "padding", expected: "\"valid\" or \"same\"", found: value.serialized())
        }
        return p
    }

    /// Two positive integers, from a list of two or a single integer (used for both axes).
    private static func pair(_ value: JSON?, _ field: String, layer: String, default single: Int? = nil,
                             fallback: [Int]? = nil) throws(ModelConfigError) -> [Int] {
        guard let value, !value.isNull else {
            if let fallback { return fallback }
            if let single { return [single, single] }
            throw .missingField(layer: layer, field: field)
        }
        let limit = ModelArchitecture.maximumWindow
        if let n = value.intValue, n >= 1, n <= limit { return [n, n] }
        if let list = value.arrayValue, list.count == 2, let a = list[0].intValue, let b = list[1].intValue,
           (1...limit).contains(a), (1...limit).contains(b) {
            return [a, b]
        }
        throw .invalidField(layer: layer, field: field, expected: "an integer or two integers in 1...\(limit)", found: value.serialized())
    }

    /// A finite number in `range` (and above zero when `positive`), or `fallback` when absent or null.
    private static func number(_ config: JSON, _ field: String, layer: String, default fallback: Double,
                               range: ClosedRange<Double>, positive: Bool = false) throws(ModelConfigError) -> Double {
        guard let value = config[field], !value.isNull else { return fallback }
        guard let x = value.doubleValue, x.isFinite, range.contains(x), !positive || x > 0 else {
            throw .invalidField(layer: layer, field: field,
                                expected: "a number in \(range.lowerBound)...\(range.upperBound)\(positive ? ", above 0" : "")",
                                found: value.serialized())
        }
        return x
    }

    /// Accepts an `axis` that names the last axis: absent, `-1`, `[-1]`, or the last axis counted
    /// with the batch axis (`3` for images, as tf_keras writes it after building).
    private static func checkLastAxis(_ value: JSON?, layer: String, lastAxis: Int?) throws(ModelConfigError) {
        guard let value, !value.isNull else { return }
        let axis: Int?
        if let n = value.intValue {
            axis = n
        } else if let list = value.arrayValue, list.count == 1 {
            axis = list[0].intValue
        } else {
            axis = nil
        }
        if let axis, axis == -1 || (lastAxis.map { axis == $0 } ?? false) { return }
        throw .invalidField(layer: layer, field: "axis", expected: "the last axis (-1\(lastAxis.map { " or \($0)" } ?? ""))",
                            found: value.serialized())
    }

    // MARK: Writing

    /// The config fields of a layer beyond Dense, for Keras 3 (`keras3`) or the Keras 2 form.
    static func extendedConfig(_ kind: LayerKind, keras3: Bool) -> [(key: String, value: JSON)] {
        func ints(_ values: [Int]) -> JSON { .array(values.map { .int($0) }) }
        func initializer(_ i: Initializer) -> JSON { keras3 ? keras3JSON(for: i) : json(for: i) }
        func activationName(_ a: Activation) -> JSON { .string(keras3 ? keras3Name(a) : a.kerasName) }
        switch kind {
        case let .conv2D(c):
            return [
                ("filters", .int(c.filters)), ("kernel_size", ints(c.kernelSize)), ("strides", ints(c.strides)),
                ("padding", .string(c.padding.rawValue)), ("data_format", "channels_last"),
                ("dilation_rate", ints(c.dilationRate)), ("groups", 1), ("activation", activationName(c.activation)),
                ("use_bias", .bool(c.useBias)), ("kernel_initializer", initializer(c.kernelInitializer)),
                ("bias_initializer", initializer(c.biasInitializer)), ("kernel_regularizer", .null),
                ("bias_regularizer", .null), ("activity_regularizer", .null), ("kernel_constraint", .null),
                ("bias_constraint", .null),
            ]
        case let .pooling2D(p):
            return [("pool_size", ints(p.poolSize)), ("padding", .string(p.padding.rawValue)),
                    ("strides", ints(p.strides)), ("data_format", "channels_last")]
        case let .globalPooling2D(p):
            return [("data_format", "channels_last"), ("keepdims", .bool(p.keepDims))]
        case let .reshape(target):
            return [("target_shape", ints(target))]
        case let .batchNormalization(b):
            var fields: [(key: String, value: JSON)] = [
                ("axis", -1), ("momentum", .number(b.momentum)), ("epsilon", .number(b.epsilon)),
                ("center", .bool(b.center)), ("scale", .bool(b.scale)),
                ("beta_initializer", initializer(b.betaInitializer)), ("gamma_initializer", initializer(b.gammaInitializer)),
                ("moving_mean_initializer", initializer(b.movingMeanInitializer)),
                ("moving_variance_initializer", initializer(b.movingVarianceInitializer)),
                ("beta_regularizer", .null), ("gamma_regularizer", .null), ("beta_constraint", .null), ("gamma_constraint", .null),
            ]
            if keras3 { fields.append(("synchronized", false)) }
            return fields
        case let .layerNormalization(l):
            var fields: [(key: String, value: JSON)] = [
                ("axis", -1), ("epsilon", .number(l.epsilon)), ("center", .bool(l.center)), ("scale", .bool(l.scale)),
            ]
            if keras3 { fields.append(("rms_scaling", false)) }
            return fields + [
                ("beta_initializer", initializer(l.betaInitializer)), ("gamma_initializer", initializer(l.gammaInitializer)),
                ("beta_regularizer", .null), ("gamma_regularizer", .null), ("beta_constraint", .null), ("gamma_constraint", .null),
            ]
        case let .relu(r):
            return [("max_value", r.maxValue.map { .number($0) } ?? .null), ("negative_slope", .number(r.negativeSlope)),
                    ("threshold", .number(r.threshold))]
        case let .leakyReLU(slope):
            return [(keras3 ? "negative_slope" : "alpha", .number(slope))]
        case let .elu(alpha):
            return [("alpha", .number(alpha))]
        case .softmax:
            return [("axis", -1)]
        case let .prelu(p):
            return [("alpha_initializer", initializer(p.alphaInitializer)), ("alpha_regularizer", .null),
                    ("alpha_constraint", .null), ("shared_axes", p.sharedAxes.isEmpty ? .null : ints(p.sharedAxes))]
        case .flatten, .dense, .activation, .dropout:
            return []
        }
    }

    /// Whether Keras 3 writes a `build_config` for the layer (the layers that create weights or
    /// depend on their input shape).
    static func keras3Builds(_ kind: LayerKind) -> Bool {
        switch kind {
        case .activation, .dropout, .relu, .leakyReLU, .elu, .softmax: return false
        default: return true
        }
    }
}
