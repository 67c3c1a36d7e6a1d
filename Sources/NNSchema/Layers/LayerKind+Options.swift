/// The options of each layer kind in Keras's config terms, for reports and comparisons.
extension LayerKind {
    /// The options that define what the layer computes (not its initializers), as Keras names
    /// them in a config, in a fixed order: `units`, `activation` and `use_bias` of a Dense layer,
    /// `filters`, `kernel_size`, `strides`, `padding` ... of a Conv2D layer, and so on.
    public var options: [(key: String, value: JSON)] {
        func ints(_ values: [Int]) -> JSON { .array(values.map { .int($0) }) }
        switch self {
        case .flatten:
            return []
        case let .dense(d):
            return [("units", .int(d.units)), ("activation", .string(d.activation.kerasName)), ("use_bias", .bool(d.useBias))]
        case let .activation(a):
            return [("activation", .string(a.kerasName))]
        case let .dropout(rate):
            return [("rate", .number(rate))]
        case let .conv2D(c):
            return [("filters", .int(c.filters)), ("kernel_size", ints(c.kernelSize)), ("strides", ints(c.strides)),
                    ("padding", .string(c.padding.rawValue)), ("dilation_rate", ints(c.dilationRate)),
                    ("activation", .string(c.activation.kerasName)), ("use_bias", .bool(c.useBias))]
        case let .pooling2D(p):
            return [("pool_size", ints(p.poolSize)), ("strides", ints(p.strides)), ("padding", .string(p.padding.rawValue))]
        case let .globalPooling2D(p):
            return [("keepdims", .bool(p.keepDims))]
        case let .reshape(target):
            return [("target_shape", ints(target))]
        case let .batchNormalization(b):
            return [("momentum", .number(b.momentum)), ("epsilon", .number(b.epsilon)), ("center", .bool(b.center)),
                    ("scale", .bool(b.scale))]
        case let .layerNormalization(l):
            return [("epsilon", .number(l.epsilon)), ("center", .bool(l.center)), ("scale", .bool(l.scale))]
        case let .relu(r):
            return [("max_value", r.maxValue.map { .number($0) } ?? .null), ("negative_slope", .number(r.negativeSlope)),
                    ("threshold", .number(r.threshold))]
        case let .leakyReLU(slope):
            return [("negative_slope", .number(slope))]
        case let .elu(alpha):
            return [("alpha", .number(alpha))]
        case .softmax:
            return [("axis", .int(-1))]
        case let .prelu(p):
            return [("shared_axes", p.sharedAxes.isEmpty ? .null : ints(p.sharedAxes))]
        }
    }
}

extension LayerKind {
    /// ``options`` without those at Keras's defaults, except the ones that define the layer
    /// (`units`, `filters`, `kernel_size`, `pool_size`, `target_shape`, `activation`): what a
    /// one-line summary shows.
    public var summaryOptions: [(key: String, value: JSON)] {
        let defaults: LayerKind
        switch self {
        case let .conv2D(c): defaults = .conv2D(Conv2D(filters: c.filters, kernelSize: c.kernelSize))
        case let .pooling2D(p): defaults = .pooling2D(Pooling2D(mode: p.mode, poolSize: p.poolSize))
        case let .globalPooling2D(p): defaults = .globalPooling2D(GlobalPooling2D(mode: p.mode))
        case .batchNormalization: defaults = .batchNormalization(BatchNormalization())
        case .layerNormalization: defaults = .layerNormalization(LayerNormalization())
        case .relu: defaults = .relu(ReLULayer())
        case .leakyReLU: defaults = .leakyReLU(negativeSlope: 0.3)
        case .elu: defaults = .elu(alpha: 1)
        case .softmax: return []
        case .prelu: defaults = .prelu(PReLU())
        default: return options
        }
        let kept: Set<String> = ["units", "filters", "kernel_size", "pool_size", "target_shape", "activation"]
        return zip(options, defaults.options).compactMap { option, standard in
            kept.contains(option.key) || option.value != standard.value ? option : nil
        }
    }
}
