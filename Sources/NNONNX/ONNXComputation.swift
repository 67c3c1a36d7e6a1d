import NNSchema

/// What an architecture computes at inference, as a list of canonical steps: two architectures
/// with the same steps compute the same function, whatever their layer names, dropout,
/// initializers, or the way a function is split into layers.
///
/// An ONNX graph does not say which Keras layer each operator came from (a `Clip(0, 6)` is
/// `Activation("relu6")`, `Dense(activation="relu6")` or `ReLU(max_value=6)`), so nnmodel reads
/// its own file back through the architecture stored beside the graph, once the steps of the
/// graph and of that architecture agree. Options read from float attributes are compared in
/// float32, as the file stores them; windows are compared by their explicit pads.
enum ONNXComputation {
    static func steps(of architecture: ModelArchitecture) -> [String] {
        let outputs = (try? architecture.validated()) ?? []
        var steps: [String] = []
        var shape = architecture.inputShape
        for (index, layer) in architecture.layers.enumerated() {
            let output = index < outputs.count ? outputs[index] : shape
            defer { shape = output }
            switch layer.kind {
            case .flatten:
                if shape.count > 1 { steps.append("flatten") }
            case .reshape:
                if output != shape { steps.append(output.count == 1 ? "flatten" : "reshape(\(output))") }
            case let .dense(d):
                steps.append("dense(\(d.units)\(d.useBias ? "" : ", no bias"))")
                if d.activation != .linear { steps.append(d.activation.rawValue) }
            case let .conv2D(c):
                let pads = ONNXLayout.pads(input: shape, window: c.kernelSize, strides: c.strides, dilation: c.dilationRate,
                                           padding: c.padding) ?? []
                steps.append("conv2d(\(c.filters), kernel \(c.kernelSize), strides \(c.strides), dilation \(c.dilationRate), pads \(pads)\(c.useBias ? "" : ", no bias"))")
                if c.activation != .linear { steps.append(c.activation.rawValue) }
            case let .pooling2D(p):
                let pads = ONNXLayout.pads(input: shape, window: p.poolSize, strides: p.strides, padding: p.padding) ?? []
                steps.append("\(p.mode == .max ? "max" : "average")_pool(\(p.poolSize), strides \(p.strides), pads \(pads))")
            case let .globalPooling2D(p):
                steps.append("global_\(p.mode == .max ? "max" : "average")_pool(keepdims: \(p.keepDims))")
            case let .batchNormalization(b):
                steps.append("batch_normalization(epsilon \(Float(b.epsilon)), scale: \(b.scale), center: \(b.center))")
            case let .layerNormalization(l):
                steps.append("layer_normalization(epsilon \(Float(l.epsilon)), scale: \(l.scale), center: \(l.center))")
            case let .prelu(p):
                steps.append("prelu(alpha \(p.alphaShape(input: shape)))")
            case .dropout:
                break
            case .activation, .relu, .leakyReLU, .elu, .softmax:
                if let step = elementwise(layer.kind) { steps.append(step) }
            }
        }
        return steps
    }

    /// The canonical name of an element-wise layer's function, nil for the identity: an
    /// activation's name when it is one, else the parametric form (`ReLU` and `LeakyReLU` share one).
    static func elementwise(_ kind: LayerKind) -> String? {
        func relu(_ maxValue: Double?, _ slope: Double, _ threshold: Double) -> String {
            let (m, s, t) = (maxValue.map(Float.init), Float(slope), Float(threshold))
            switch (m, s, t) {
            case (nil, 0, 0): return Activation.relu.rawValue
            case (6, 0, 0): return Activation.relu6.rawValue
            case (nil, 0.2, 0): return Activation.leakyRelu.rawValue
            default: return "relu(max_value: \(m.map { "\($0)" } ?? "none"), negative_slope: \(s), threshold: \(t))"
            }
        }
        switch kind {
        case let .activation(a): return a == .linear ? nil : a.rawValue
        case .softmax: return Activation.softmax.rawValue
        case let .relu(r): return relu(r.maxValue, r.negativeSlope, r.threshold)
        case let .leakyReLU(slope): return relu(nil, slope, 0)
        case let .elu(alpha): return Float(alpha) == 1 ? Activation.elu.rawValue : "elu(alpha: \(Float(alpha)))"
        default: return nil
        }
    }
}
