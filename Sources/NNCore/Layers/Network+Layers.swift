import NNSchema

extension Network {
    /// The engine operation of a layer beyond Dense, Flatten, Activation, Dropout and Reshape,
    /// with the buffers it keeps besides its output and gradient.
    static func operation(for layer: Layer, input: [Int], specIndex: [String: Int], maxSamples: Int,
                          training: Bool, tasks: Int, allocate: (Int) -> UnsafeMutablePointer<Float>) -> Operation {
        let channels = input.last ?? 1
        let rows = input.dropLast().reduce(1, *)
        switch layer.kind {
        case let .conv2D(c):
            // The architecture was validated, so the geometry exists.
            let geometry = WindowGeometry(input: input, window: c.kernelSize, strides: c.strides, dilation: c.dilationRate,
                                          padding: c.padding)
                ?? .unit
            return .conv2D(ConvolutionStep(c, geometry: geometry, kernel: specIndex["kernel"] ?? 0, bias: specIndex["bias"],
                                           trainable: layer.trainable, maxSamples: maxSamples, tasks: tasks,
                                           training: training, allocate: allocate))
        case let .pooling2D(p):
            let geometry = WindowGeometry(input: input, window: p.poolSize, strides: p.strides, padding: p.padding)
                ?? .unit
            return .pooling(PoolingStep(mode: p.mode, geometry: geometry, maxSamples: maxSamples, training: training))
        case let .globalPooling2D(p):
            return .globalPooling(p.mode, positions: rows)
        case let .batchNormalization(b):
            let step = BatchNormStep(
                gamma: specIndex["gamma"], beta: specIndex["beta"], movingMean: specIndex["moving_mean"] ?? 0,
                movingVariance: specIndex["moving_variance"] ?? 0, epsilon: Float(b.epsilon), momentum: Float(b.momentum),
                channels: channels, usesBatchStatistics: layer.trainable,
                normalized: training ? allocate(maxSamples * rows * channels) : nil, inverseDeviation: allocate(channels))
            return .batchNorm(step, trainable: layer.trainable)
        case let .layerNormalization(l):
            let step = LayerNormStep(
                gamma: specIndex["gamma"], beta: specIndex["beta"], epsilon: Float(l.epsilon), channels: channels,
                normalized: training ? allocate(maxSamples * rows * channels) : nil,
                inverseDeviation: training ? allocate(maxSamples * rows) : nil)
            return .layerNorm(step, trainable: layer.trainable)
        case let .relu(r):
            if r.maxValue == nil, r.negativeSlope == 0, r.threshold == 0 { return .activation(.relu) }
            return .elementwise(.relu(maxValue: r.maxValue.map { Float($0) }, negativeSlope: Float(r.negativeSlope),
                                      threshold: Float(r.threshold)))
        case let .leakyReLU(slope):
            return .elementwise(.leakyReLU(negativeSlope: Float(slope)))
        case let .elu(alpha):
            return .elementwise(.elu(alpha: Float(alpha)))
        case .softmax:
            return .activation(.softmax)
        case let .prelu(p):
            return .prelu(PReLUStep(alpha: specIndex["alpha"] ?? 0, trainable: layer.trainable, sampleShape: input,
                                    alphaShape: p.alphaShape(input: input)))
        case .flatten:
            return .flatten
        case .reshape:
            return .reshape
        case let .activation(a):
            return .activation(a)
        case let .dropout(rate):
            return .dropout(rate: Float(rate))
        case .dense:
            return .flatten  // never asked: Dense is built by the caller
        }
    }
}
