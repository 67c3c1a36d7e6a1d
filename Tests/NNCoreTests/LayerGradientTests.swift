import Testing
@testable import NNCore
@testable import NNSchema

/// Finite-difference checks of the layers beyond Dense: convolution (strides, dilation, both
/// paddings, even kernels), pooling, global pooling, normalization (batch statistics in training,
/// moving statistics when frozen), the activation layers, PReLU and Reshape.
@Suite("Layer gradients match finite differences")
struct LayerGradientTests {
    static func conv(_ name: String, _ filters: Int, _ kernel: [Int], strides: [Int] = [1, 1], padding: Padding = .valid,
                     dilation: [Int] = [1, 1], activation: Activation = .tanh, bias: Bool = true) -> Layer {
        Layer(name: name, kind: .conv2D(Conv2D(filters: filters, kernelSize: kernel, strides: strides, padding: padding,
                                               dilationRate: dilation, activation: activation, useBias: bias,
                                               biasInitializer: .randomUniform(minimum: -0.5, maximum: 0.5))))
    }

    static let head: [Layer] = [Layer(name: "flatten", kind: .flatten), dense("output", 3, .softmax)]

    struct Case {
        var name: String
        var input: [Int]
        var samples = 5
        var layers: [Layer]
    }

    /// Smooth (or, for pooling, kink-checked) cases: every weight's gradient against central differences.
    // In small functions: one literal of all cases overflows the stack of a debug build.
    static var caseCount: Int { cases.count }
    static var cases: [Case] { cases0() + cases1() + cases2() + cases3() + cases4() + cases5() }
    static func cases0() -> [Case] {
        [
            Case(name: "Conv2D 3x2 valid", input: [5, 4, 2], layers: [conv("conv", 3, [3, 2])] + head),
            Case(name: "Conv2D 2x2 same, strides 2", input: [5, 6, 2], layers: [conv("conv", 2, [2, 2], strides: [2, 2], padding: .same)] + head),
            Case(name: "Conv2D 4x4 same (even kernel, padding after)", input: [5, 5, 1], layers: [conv("conv", 2, [4, 4], padding: .same)] + head),
        ]
    }
    static func cases1() -> [Case] {
        [
            Case(name: "Conv2D 3x3 dilation 2, same", input: [6, 5, 2], layers: [conv("conv", 2, [3, 3], padding: .same, dilation: [2, 2])] + head),
            Case(name: "Conv2D strides (2, 1), valid, no bias", input: [7, 5, 1], layers: [conv("conv", 3, [3, 3], strides: [2, 1], bias: false)] + head),
            Case(name: "two Conv2D layers", input: [6, 6, 1], layers: [conv("c1", 2, [3, 3], padding: .same), conv("c2", 3, [2, 2], strides: [2, 2])] + head),
        ]
    }
    static func cases2() -> [Case] {
        [
            Case(name: "AveragePooling2D 2x2 same, strides (2, 1)", input: [5, 5, 1],
                 layers: [conv("conv", 2, [2, 2]), Layer(name: "pool", kind: .pooling2D(Pooling2D(mode: .average, strides: [2, 1], padding: .same)))] + head),
            Case(name: "GlobalAveragePooling2D", input: [4, 5, 2],
                 layers: [conv("conv", 3, [2, 2]), Layer(name: "gap", kind: .globalPooling2D(GlobalPooling2D(mode: .average))), dense("output", 3, .softmax)]),
            Case(name: "GlobalAveragePooling2D keepdims, then Flatten", input: [4, 4, 1],
                 layers: [conv("conv", 3, [2, 2]), Layer(name: "gap", kind: .globalPooling2D(GlobalPooling2D(mode: .average, keepDims: true)))] + head),
        ]
    }
    static func cases3() -> [Case] {
        [
            Case(name: "BatchNormalization (batch statistics) after Conv2D", input: [4, 4, 1], samples: 6,
                 layers: [conv("conv", 2, [2, 2]), Layer(name: "bn", kind: .batchNormalization(BatchNormalization()))] + head),
            Case(name: "BatchNormalization after Dense, no scale", input: [4], samples: 6,
                 layers: [dense("hidden", 4, .tanh), Layer(name: "bn", kind: .batchNormalization(BatchNormalization(scale: false))), dense("output", 3, .softmax)]),
            Case(name: "BatchNormalization after Dense, no center", input: [4], samples: 6,
                 layers: [dense("hidden", 4, .tanh), Layer(name: "bn", kind: .batchNormalization(BatchNormalization(center: false))), dense("output", 3, .softmax)]),
        ]
    }
    static func cases4() -> [Case] {
        [
            Case(name: "LayerNormalization after Dense", input: [4],
                 layers: [dense("hidden", 5, .tanh), Layer(name: "ln", kind: .layerNormalization(LayerNormalization())), dense("output", 3, .softmax)]),
            Case(name: "LayerNormalization after Conv2D, no center", input: [4, 4, 1],
                 layers: [conv("conv", 6, [2, 2]), Layer(name: "ln", kind: .layerNormalization(LayerNormalization(center: false)))] + head),
            Case(name: "Reshape between Dense layers", input: [4],
                 layers: [dense("hidden", 12, .tanh), Layer(name: "reshape", kind: .reshape(targetShape: [3, -1])), dense("per_row", 2, .tanh)] + head),
        ]
    }
    static func cases5() -> [Case] {
        [
            Case(name: "Reshape to an image, then Conv2D", input: [12],
                 layers: [dense("hidden", 18, .tanh), Layer(name: "reshape", kind: .reshape(targetShape: [3, 3, 2])), conv("conv", 2, [2, 2])] + head),
            Case(name: "Softmax layer last (fused)", input: [4],
                 layers: [dense("hidden", 3), Layer(name: "softmax", kind: .softmax)]),
            Case(name: "ELU(alpha 0.7), smooth enough at 0", input: [4],
                 layers: [dense("hidden", 5), Layer(name: "elu", kind: .elu(alpha: 1)), dense("output", 3, .softmax)]),
        ]
    }

    // The cases are built inside the test, not by the argument generator (building them there
    // crashed the debug test runner).
    @Test(arguments: 0..<18)
    func layer(_ index: Int) throws {
        let all = LayerGradientTests.cases
        try #require(all.count == 18)
        let c = all[index]
        let architecture = ModelArchitecture(inputShape: c.input, layers: c.layers)
        let outputs = architecture.outputShape.reduce(1, *)
        let data = try GradientCheck.data(inputShape: c.input, outputs: outputs, samples: c.samples, targets: .classes(outputs),
                                          inputScale: 1.5, seed: 3)
        let model = try Sequential(architecture, seed: 11)
        try GradientCheck.expectMatch(model, data, loss: .sparseCategoricalCrossentropy, c.name)
    }

    /// A frozen BatchNormalization runs in inference mode (as Keras runs a layer with
    /// `trainable = false`): its moving statistics normalize, gradients flow through it, and
    /// its own weights get none.
    @Test func frozenBatchNormalization() throws {
        var bn = Layer(name: "bn", kind: .batchNormalization(BatchNormalization()))
        bn.trainable = false
        let architecture = ModelArchitecture(inputShape: [4], layers: [dense("hidden", 4, .tanh), bn, dense("output", 3, .softmax)])
        var model = try Sequential(architecture, seed: 5)
        // gamma, beta, moving mean, moving variance: non-trivial values.
        model.weights[2] = Tensor(shape: [4], values: [1.5, 0.5, -1, 2])
        model.weights[3] = Tensor(shape: [4], values: [0.1, -0.2, 0.3, 0])
        model.weights[4] = Tensor(shape: [4], values: [0.2, -0.1, 0, 0.4])
        model.weights[5] = Tensor(shape: [4], values: [0.5, 2, 1, 0.25])
        let data = try GradientCheck.data(inputShape: [4], outputs: 3, samples: 6, targets: .classes(3), inputScale: 1.5, seed: 4)
        try GradientCheck.expectMatch(model, data, loss: .sparseCategoricalCrossentropy, "frozen BatchNormalization")
    }

    /// Piecewise layers: a Dense layer feeds the layer under test; the seed is the first whose
    /// pre-activations stay clear of the layer's kinks and reach every piece.
    static func piecewiseCase(_ name: String) -> (kind: LayerKind, kinks: [Double]) {
        switch name {
        case "ReLU(max 1.2, slope 0.1, threshold 0.2)": return (.relu(ReLULayer(maxValue: 1.2, negativeSlope: 0.1, threshold: 0.2)), [0.2, 1.2])
        case "ReLU(slope 0.3, threshold 0.4)": return (.relu(ReLULayer(negativeSlope: 0.3, threshold: 0.4)), [0.4])
        case "LeakyReLU(0.3)": return (.leakyReLU(negativeSlope: 0.3), [0])
        case "ELU(alpha 0.6)": return (.elu(alpha: 0.6), [0])
        default: return (.prelu(PReLU(alphaInitializer: .constant(0.25))), [0])
        }
    }

    @Test(arguments: ["ReLU(max 1.2, slope 0.1, threshold 0.2)", "ReLU(slope 0.3, threshold 0.4)", "LeakyReLU(0.3)", "ELU(alpha 0.6)", "PReLU"])
    func piecewise(_ name: String) throws {
        let (kind, kinks) = LayerGradientTests.piecewiseCase(name)
        let architecture = ModelArchitecture(inputShape: [4], layers: [dense("hidden", 6), Layer(name: "layer", kind: kind), dense("output", 3, .softmax)])
        let makeData = { (seed: UInt64) in
            try GradientCheck.data(inputShape: [4], outputs: 3, samples: 6, targets: .classes(3), inputScale: 1.5, seed: seed)
        }
        var chosen: UInt64?
        for seed in UInt64(1)...3000 {
            let model = try Sequential(architecture, seed: seed)
            let z = GradientCheck.firstLayerPreActivations(model, try makeData(seed))
            let margin = 2 * 1e-2 * 1.5 + 1e-4
            let bounds = [-Double.infinity] + kinks + [Double.infinity]
            if z.allSatisfy({ v in kinks.allSatisfy { abs(v - $0) > margin } }),
               zip(bounds, bounds.dropFirst()).allSatisfy({ lo, hi in z.contains { $0 > lo && $0 < hi } }) {
                chosen = seed
                break
            }
        }
        let seed = try #require(chosen, "no seed keeps \(name) clear of its kinks")
        try GradientCheck.expectMatch(try Sequential(architecture, seed: seed), try makeData(seed),
                                      loss: .sparseCategoricalCrossentropy, "\(name) (seed \(seed))")
    }

    /// PReLU with alpha shared over the spatial axes of an image (`shared_axes = [1, 2]`).
    @Test func sharedAxesPReLU() throws {
        let architecture = ModelArchitecture(inputShape: [3, 3, 2], layers: [
            LayerGradientTests.conv("conv", 2, [2, 2], activation: .linear),
            Layer(name: "prelu", kind: .prelu(PReLU(sharedAxes: [1, 2], alphaInitializer: .constant(0.3)))),
        ] + LayerGradientTests.head)
        #expect(try architecture.weightSpecs().first { $0.role == "alpha" }?.shape == [1, 1, 2])
        var found = false
        for seed in UInt64(1)...500 {
            let model = try Sequential(architecture, seed: seed)
            let data = try GradientCheck.data(inputShape: [3, 3, 2], outputs: 3, samples: 4, targets: .classes(3), inputScale: 1, seed: seed)
            let z = try convOutputs(model, data, layers: 1)
            guard z.allSatisfy({ abs($0) > 0.05 }), z.contains(where: { $0 < 0 }), z.contains(where: { $0 > 0 }) else { continue }
            try GradientCheck.expectMatch(model, data, loss: .sparseCategoricalCrossentropy, "PReLU shared axes (seed \(seed))")
            found = true
            break
        }
        #expect(found)
    }

    /// Max pooling and global max pooling: the gradient goes to each window's largest input; the
    /// seed is the first whose windows have a clear largest value.
    static func poolingCase(_ name: String) -> LayerKind {
        switch name {
        case "MaxPooling2D 2x2": return .pooling2D(Pooling2D(mode: .max))
        case "MaxPooling2D 3x3 same, strides 2": return .pooling2D(Pooling2D(mode: .max, poolSize: [3, 3], strides: [2, 2], padding: .same))
        case "MaxPooling2D 2x2, strides 1": return .pooling2D(Pooling2D(mode: .max, strides: [1, 1]))
        default: return .globalPooling2D(GlobalPooling2D(mode: .max))
        }
    }

    @Test(arguments: ["MaxPooling2D 2x2", "MaxPooling2D 3x3 same, strides 2", "MaxPooling2D 2x2, strides 1", "GlobalMaxPooling2D"])
    func maxPooling(_ name: String) throws {
        let kind = LayerGradientTests.poolingCase(name)
        let input = [5, 5, 1]
        let architecture = ModelArchitecture(inputShape: input, layers: [
            LayerGradientTests.conv("conv", 2, [2, 2]), Layer(name: "pool", kind: kind),
        ] + LayerGradientTests.head)
        var found = false
        for seed in UInt64(1)...2000 {
            let model = try Sequential(architecture, seed: seed)
            let data = try GradientCheck.data(inputShape: input, outputs: 3, samples: 3, targets: .classes(3), inputScale: 1, seed: seed)
            let z = try convOutputs(model, data, layers: 1)
            // A weight moves by h = 0.01 and each input is at most 1 in size: a gap of 0.03 cannot close.
            guard clearMaxima(z, shape: [4, 4, 2], samples: 3, kind: kind, margin: 0.03) else { continue }
            try GradientCheck.expectMatch(model, data, loss: .sparseCategoricalCrossentropy, "\(name) (seed \(seed))")
            found = true
            break
        }
        #expect(found, "no seed gives \(name) clear maxima")
    }

    /// The outputs of the first `layers` layers of `model` on `data`.
    func convOutputs(_ model: Sequential, _ data: Dataset, layers: Int) throws -> [Float] {
        let front = ModelArchitecture(inputShape: model.architecture.inputShape, layers: Array(model.architecture.layers.prefix(layers)))
        let count = try front.weightSpecs().count
        let sub = try Sequential(architecture: front, weights: Array(model.weights.prefix(count)))
        return try sub.predict(data.featureTensor()).scalars
    }

    /// Whether every pooling window's largest value beats the runner-up by `margin`.
    func clearMaxima(_ z: [Float], shape: [Int], samples: Int, kind: LayerKind, margin: Float) -> Bool {
        let (h, w, c) = (shape[0], shape[1], shape[2])
        var windows: [[(Int, Int)]] = []
        switch kind {
        case let .pooling2D(p):
            guard let g = WindowGeometry(input: shape, window: p.poolSize, strides: p.strides, padding: p.padding) else { return false }
            for oy in 0..<g.outputHeight {
                for ox in 0..<g.outputWidth {
                    var cells: [(Int, Int)] = []
                    for a in 0..<p.poolSize[0] {
                        for b in 0..<p.poolSize[1] {
                            let y = oy * p.strides[0] + a - g.padTop, x = ox * p.strides[1] + b - g.padLeft
                            if y >= 0, y < h, x >= 0, x < w { cells.append((y, x)) }
                        }
                    }
                    windows.append(cells)
                }
            }
        default:
            windows = [(0..<h).flatMap { y in (0..<w).map { (y, $0) } }]
        }
        for s in 0..<samples {
            for k in 0..<c {
                for cells in windows where cells.count > 1 {
                    let values = cells.map { z[s * h * w * c + ($0.0 * w + $0.1) * c + k] }.sorted(by: >)
                    if values[0] - values[1] < margin { return false }
                }
            }
        }
        return true
    }

    /// Same seed, same weights, whatever the thread count, for a CNN with batch normalization.
    @Test func convolutionIsDeterministicAcrossThreads() throws {
        let architecture = ModelArchitecture(inputShape: [8, 8, 1], layers: [
            LayerGradientTests.conv("conv", 4, [3, 3], padding: .same, activation: .relu),
            Layer(name: "bn", kind: .batchNormalization(BatchNormalization())),
            Layer(name: "pool", kind: .pooling2D(Pooling2D(mode: .max))),
            LayerGradientTests.conv("conv_1", 4, [3, 3], strides: [2, 2], activation: .relu),
            Layer(name: "flatten", kind: .flatten), dense("output", 3, .softmax),
        ])
        let data = try GradientCheck.data(inputShape: [8, 8, 1], outputs: 3, samples: 96, targets: .classes(3), inputScale: 1, seed: 9)
        var results: [[Float]] = []
        for threads in [1, 2, 3] {
            var model = try Sequential(architecture, seed: 21)
            var options = TrainingOptions(epochs: 2, batchSize: 32)
            options.threads = threads
            _ = try model.fit(data, options: options)
            results.append(model.weights.flatMap(\.scalars))
        }
        #expect(results[0] == results[1])
        #expect(results[0] == results[2])
        // The moving statistics moved.
        let bn = try Sequential(architecture, seed: 21)
        #expect(results[0] != bn.weights.flatMap(\.scalars))
    }
}
