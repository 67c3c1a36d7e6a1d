/// Shape inference and weight shapes of every layer kind.
extension ModelArchitecture {
    /// The largest kernel, pool window, stride or dilation along one axis.
    public static let maximumWindow = 1024
    /// The most filters (output channels) of a convolution.
    public static let maximumFilters = 1 << 16
    /// The largest `kernelHeight × kernelWidth × inChannels` of a convolution (the length of
    /// one row of its lowered input).
    public static let maximumConvolutionFanIn = 1 << 20
}

extension Layer {
    /// The shape of one output sample for an input sample of shape `input`, after checking the
    /// layer's configuration against it; adds the layer's weight count to `parameters`.
    func outputShape(input shape: [Int], parameters: inout Int) throws(ModelConfigError) -> [Int] {
        let name = self.name
        func invalid(_ field: String, _ expected: String, _ found: String) -> ModelConfigError {
            .invalidField(layer: name, field: field, expected: expected, found: found)
        }
        func checkPair(_ values: [Int], _ field: String, limit: Int = ModelArchitecture.maximumWindow) throws(ModelConfigError) {
            guard values.count == 2, values.allSatisfy({ $0 >= 1 && $0 <= limit }) else {
                throw invalid(field, "two integers in 1...\(limit)", "\(values)")
            }
        }
        func image(_ what: String) throws(ModelConfigError) {
            guard shape.count == 3 else {
                throw invalid("input_shape", "a (height, width, channels) input for \(what)", "\(shape)")
            }
        }
        let channels = shape.last ?? 1
        var out = shape
        switch kind {
        case .flatten:
            out = [shape.reduce(1, *)]
        case let .dense(d):
            guard d.units > 0, d.units <= ModelArchitecture.maximumElements else {
                throw invalid("units", "a positive integer", "\(d.units)")
            }
            guard let w = Tensor.checkedCount(of: [channels, d.units]), w <= ModelArchitecture.maximumElements,
                  let o = Tensor.checkedCount(of: shape.dropLast() + [d.units]), o <= ModelArchitecture.maximumElements
            else { throw invalid("units", "a size that fits in memory", "\(d.units)") }
            parameters += w + (d.useBias ? d.units : 0)
            out[out.count - 1] = d.units
        case .activation, .relu, .leakyReLU, .elu:
            break
        case .softmax:
            break
        case let .dropout(rate):
            guard rate >= 0, rate < 1 else { throw invalid("rate", "a number in [0, 1)", "\(rate)") }
        case let .conv2D(c):
            try image("Conv2D")
            try checkPair(c.kernelSize, "kernel_size")
            try checkPair(c.strides, "strides")
            try checkPair(c.dilationRate, "dilation_rate")
            guard c.strides == [1, 1] || c.dilationRate == [1, 1] else {
                throw invalid("strides", "[1, 1] when dilation_rate is not [1, 1] (as Keras requires)", "\(c.strides)")
            }
            guard c.filters >= 1, c.filters <= ModelArchitecture.maximumFilters else {
                throw invalid("filters", "an integer in 1...\(ModelArchitecture.maximumFilters)", "\(c.filters)")
            }
            guard let geometry = WindowGeometry(input: shape, window: c.kernelSize, strides: c.strides,
                                                dilation: c.dilationRate, padding: c.padding) else {
                throw invalid("kernel_size", "a window that fits the input \(shape) with padding '\(c.padding.rawValue)'",
                              "\(c.kernelSize) with dilation \(c.dilationRate)")
            }
            let fanIn = c.kernelSize[0] * c.kernelSize[1] * channels
            guard fanIn <= ModelArchitecture.maximumConvolutionFanIn,
                  let w = Tensor.checkedCount(of: [fanIn, c.filters]), w <= ModelArchitecture.maximumElements,
                  let o = Tensor.checkedCount(of: [geometry.outputHeight, geometry.outputWidth, c.filters]),
                  o <= ModelArchitecture.maximumElements,
                  let lowered = Tensor.checkedCount(of: [geometry.outputHeight, geometry.outputWidth, fanIn]),
                  lowered <= ModelArchitecture.maximumElements
            else {
                throw invalid("filters", "a layer whose kernel, output and lowered input fit in memory",
                              "\(c.kernelSize) × \(channels) channels × \(c.filters) filters on \(shape)")
            }
            parameters += w + (c.useBias ? c.filters : 0)
            out = [geometry.outputHeight, geometry.outputWidth, c.filters]
        case let .pooling2D(p):
            try image(className)
            try checkPair(p.poolSize, "pool_size")
            try checkPair(p.strides, "strides")
            guard let geometry = WindowGeometry(input: shape, window: p.poolSize, strides: p.strides, padding: p.padding) else {
                throw invalid("pool_size", "a window that fits the input \(shape) with padding '\(p.padding.rawValue)'", "\(p.poolSize)")
            }
            // Each output visits its window (cut at the input's edges): bound that work as a
            // convolution's lowered input is bounded, so a huge window cannot take days.
            let window = [min(p.poolSize[0], shape[0]), min(p.poolSize[1], shape[1])]
            guard let work = Tensor.checkedCount(of: [geometry.outputHeight, geometry.outputWidth, channels] + window),
                  work <= ModelArchitecture.maximumElements else {
                throw invalid("pool_size", "windows whose work per sample (outputs × window) is at most \(ModelArchitecture.maximumElements)",
                              "\(p.poolSize) with strides \(p.strides) on \(shape)")
            }
            out = [geometry.outputHeight, geometry.outputWidth, channels]
        case let .globalPooling2D(p):
            try image(className)
            out = p.keepDims ? [1, 1, channels] : [channels]
        case let .reshape(target):
            out = try Layer.resolve(target, elements: shape.reduce(1, *), layer: name)
        case .batchNormalization, .layerNormalization:
            parameters += kind.weightShapes(input: shape).reduce(0) { $0 + $1.shape.reduce(1, *) }
        case let .prelu(p):
            guard p.sharedAxes.allSatisfy({ $0 >= 1 && $0 <= shape.count }), Set(p.sharedAxes).count == p.sharedAxes.count else {
                throw invalid("shared_axes", "distinct axes in 1...\(shape.count)", "\(p.sharedAxes)")
            }
            parameters += p.alphaShape(input: shape).reduce(1, *)
        }
        guard parameters <= ModelArchitecture.maximumParameters else {
            throw invalid(kind.sizeField, "a model of at most \(ModelArchitecture.maximumParameters) weights in all", "\(parameters)")
        }
        return out
    }

    /// The concrete shape a `Reshape` target gives `elements` values (one `-1` is inferred).
    static func resolve(_ target: [Int], elements: Int, layer: String) throws(ModelConfigError) -> [Int] {
        let invalid = ModelConfigError.invalidField(
            layer: layer, field: "target_shape",
            expected: "1 to \(ModelArchitecture.maximumRank) positive dimensions (one may be -1) holding \(elements) values",
            found: "\(target)")
        guard !target.isEmpty, target.count <= ModelArchitecture.maximumRank,
              target.allSatisfy({ $0 > 0 || $0 == -1 }), target.filter({ $0 == -1 }).count <= 1 else { throw invalid }
        let known = target.filter { $0 > 0 }
        guard let product = Tensor.checkedCount(of: known), product > 0, elements % product == 0 else { throw invalid }
        let resolved = target.map { $0 == -1 ? elements / product : $0 }
        guard resolved.reduce(1, *) == elements else { throw invalid }
        return resolved
    }
}

extension LayerKind {
    /// The config field named when the layer makes the model too large.
    var sizeField: String {
        switch self {
        case .conv2D: return "filters"
        case .prelu: return "shared_axes"
        default: return "units"
        }
    }

    /// The layer's weights for an input sample of shape `input`, in Keras's order: role, shape and
    /// whether training may update it (before the layer's own `trainable`).
    public func weightShapes(input: [Int]) -> [(role: String, shape: [Int], trainable: Bool)] {
        let channels = input.last ?? 1
        switch self {
        case let .dense(d):
            return [("kernel", [channels, d.units], true)] + (d.useBias ? [("bias", [d.units], true)] : [])
        case let .conv2D(c):
            return [("kernel", c.kernelSize + [channels, c.filters], true)] + (c.useBias ? [("bias", [c.filters], true)] : [])
        case let .batchNormalization(b):
            var specs: [(role: String, shape: [Int], trainable: Bool)] = []
            if b.scale { specs.append(("gamma", [channels], true)) }
            if b.center { specs.append(("beta", [channels], true)) }
            return specs + [("moving_mean", [channels], false), ("moving_variance", [channels], false)]
        case let .layerNormalization(l):
            return (l.scale ? [("gamma", [channels], true)] : []) + (l.center ? [("beta", [channels], true)] : [])
        case let .prelu(p):
            return [("alpha", p.alphaShape(input: input), true)]
        default:
            return []
        }
    }

    /// The roles of the weights this kind can have (for matching Keras weight names).
    public static let weightRoles: Set<String> = ["kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance", "alpha"]
}

extension LayerKind {
    /// How the weight with `role` is filled before training.
    public func initializer(forRole role: String) -> Initializer {
        switch (self, role) {
        case let (.dense(d), "kernel"): return d.kernelInitializer
        case let (.dense(d), _): return d.biasInitializer
        case let (.conv2D(c), "kernel"): return c.kernelInitializer
        case let (.conv2D(c), _): return c.biasInitializer
        case let (.batchNormalization(b), "gamma"): return b.gammaInitializer
        case let (.batchNormalization(b), "beta"): return b.betaInitializer
        case let (.batchNormalization(b), "moving_mean"): return b.movingMeanInitializer
        case let (.batchNormalization(b), _): return b.movingVarianceInitializer
        case let (.layerNormalization(l), "gamma"): return l.gammaInitializer
        case let (.layerNormalization(l), _): return l.betaInitializer
        case let (.prelu(p), _): return p.alphaInitializer
        default: return .zeros
        }
    }
}

extension WeightSpec {
    /// The fan-in and fan-out variance-scaling initializers use, as Keras computes them: a
    /// vector's length for both; `[in, out]` for a matrix; for a convolution kernel
    /// `[kh, kw, in, out]`, `in` and `out` times the receptive field `kh × kw`.
    public var fans: (fanIn: Int, fanOut: Int) {
        switch shape.count {
        case 0: return (1, 1)
        case 1: return (shape[0], shape[0])
        case 2: return (shape[0], shape[1])
        default:
            let receptive = shape.dropLast(2).reduce(1, *)
            return (shape[shape.count - 2] * receptive, shape[shape.count - 1] * receptive)
        }
    }
}

extension ModelArchitecture {
    /// Whether samples of `shape` can be fed to the model: the same number of values, and either
    /// the same shape up to axes of size 1 (`[28, 28]` for an input `[28, 28, 1]`), or one side
    /// flat (a CSV row, or a model whose input is a vector), read in row-major order. A
    /// differently ordered image (`[3, 8, 8]` for `[8, 8, 3]`: channels first) is refused rather
    /// than read wrong.
    public func accepts(sampleShape shape: [Int]) -> Bool {
        guard let count = Tensor.checkedCount(of: shape), let expected = Tensor.checkedCount(of: inputShape),
              count == expected else { return false }
        if shape.count <= 1 || inputShape.count <= 1 { return true }
        return shape.filter { $0 != 1 } == inputShape.filter { $0 != 1 }
    }
}
