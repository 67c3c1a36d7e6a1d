import Foundation
import Testing
@testable import NNCore
@testable import NNSchema
@testable import NNJSON

/// Applies an activation to one row of values.
func apply(_ a: Activation, _ x: [Float]) -> [Float] {
    a(Tensor(shape: [1, x.count], values: x)).scalars
}

/// `loss.sum(predictions:)` over rows of probabilities with class or dense targets.
func lossSum(_ loss: Loss, _ p: [[Float]], classes: [Int32]) -> Double {
    let flat = p.flatMap { $0 }
    return flat.withUnsafeBufferPointer { pp in
        classes.withUnsafeBufferPointer { c in
            loss.sum(predictions: pp.baseAddress!, targets: .classes(c.baseAddress!), rows: p.count, columns: p[0].count)
        }
    }
}

func lossSum(_ loss: Loss, _ p: [[Float]], dense y: [[Float]]) -> Double {
    let flat = p.flatMap { $0 }, targets = y.flatMap { $0 }
    return flat.withUnsafeBufferPointer { pp in
        targets.withUnsafeBufferPointer { t in
            loss.sum(predictions: pp.baseAddress!, targets: .dense(t.baseAddress!), rows: p.count, columns: p[0].count)
        }
    }
}

func logitLossSum(_ loss: Loss, _ z: [[Float]], classes: [Int32]) -> Double {
    let flat = z.flatMap { $0 }
    return flat.withUnsafeBufferPointer { zp in
        classes.withUnsafeBufferPointer { c in
            loss.sum(logits: zp.baseAddress!, targets: .classes(c.baseAddress!), rows: z.count, columns: z[0].count)
        }
    }
}

func logitLossSum(_ loss: Loss, _ z: [[Float]], dense y: [[Float]]) -> Double {
    let flat = z.flatMap { $0 }, targets = y.flatMap { $0 }
    return flat.withUnsafeBufferPointer { zp in
        targets.withUnsafeBufferPointer { t in
            loss.sum(logits: zp.baseAddress!, targets: .dense(t.baseAddress!), rows: z.count, columns: z[0].count)
        }
    }
}

/// `loss.gradient(predictions:)` for one batch.
func lossGradient(_ loss: Loss, _ p: [[Float]], dense y: [[Float]]? = nil, classes: [Int32]? = nil) -> [Float] {
    let flat = p.flatMap { $0 }
    var g = [Float](repeating: .nan, count: flat.count)
    let targets = (y ?? []).flatMap { $0 }
    let labels = classes ?? []
    flat.withUnsafeBufferPointer { pp in
        targets.withUnsafeBufferPointer { t in
            labels.withUnsafeBufferPointer { c in
                g.withUnsafeMutableBufferPointer { out in
                    let bt: BatchTargets = classes != nil ? .classes(c.baseAddress!) : .dense(t.baseAddress!)
                    loss.gradient(predictions: pp.baseAddress!, targets: bt, rows: p.count, columns: p[0].count,
                                  batchSize: p.count, into: out.baseAddress!)
                }
            }
        }
    }
    return g
}

@Suite("Activations and losses against known values")
struct LossActivationTests {
    static let inputs: [Float] = [-7, -3.5, -1, -0.25, 0, 0.5, 2, 6.5]

    /// Expected values at `inputs`, computed in Double from Keras 3's definitions
    /// (elu α = 1; selu α = 1.67326324, λ = 1.05070098; exact gelu; leaky_relu slope 0.2;
    /// hard_sigmoid = relu6(x + 3) / 6; hard_silu = x · hard_sigmoid(x); mish = x · tanh(softplus(x))).
    static let knownValues: [(Activation, [Double])] = [
        (.linear, [-7, -3.5, -1, -0.25, 0, 0.5, 2, 6.5]),
        (.relu, [0, 0, 0, 0, 0, 0.5, 2, 6.5]),
        (.sigmoid, [0.000911051194, 0.0293122308, 0.268941421, 0.437823499, 0.5, 0.622459331, 0.880797078, 0.998498818]),
        (.tanh, [-0.999998337, -0.998177898, -0.761594156, -0.244918662, 0, 0.462117157, 0.96402758, 0.999995479]),
        (.elu, [-0.999088118, -0.969802617, -0.632120559, -0.221199217, 0, 0.5, 2, 6.5]),
        (.selu, [-1.75649615, -1.70500933, -1.11133073, -0.388890194, 0, 0.52535049, 2.10140196, 6.82955637]),
        (.gelu, [-8.95866714e-12, -0.000814201777, -0.158655254, -0.100323419, 0, 0.345731231, 1.95449974, 6.5]),
        (.softplus, [0.000911466454, 0.0297504183, 0.313261688, 0.57593942, 0.693147181, 0.974076984, 2.12692801, 6.50150231]),
        (.softsign, [-0.875, -0.777777778, -0.5, -0.2, 0, 0.333333333, 0.666666667, 0.866666667]),
        (.swish, [-0.00637735836, -0.102592808, -0.268941421, -0.109455875, 0, 0.311229666, 1.76159416, 6.49024232]),
        (.leakyRelu, [-1.4, -0.7, -0.2, -0.05, 0, 0.5, 2, 6.5]),
        (.exponential, [0.000911881966, 0.0301973834, 0.367879441, 0.778800783, 1, 1.64872127, 7.3890561, 665.141633]),
        (.hardSigmoid, [0, 0, 0.333333333, 0.458333333, 0.5, 0.583333333, 0.833333333, 1]),
        (.relu6, [0, 0, 0, 0, 0, 0.5, 2, 6]),
        (.hardSilu, [0, 0, -0.333333333, -0.114583333, 0, 0.291666667, 1.66666667, 6.5]),
        (.mish, [-0.00638026341, -0.104095754, -0.303401461, -0.129926964, 0, 0.375245211, 1.94395896, 6.4999707]),
    ]

    @Test(arguments: knownValues)
    func activationValues(_ activation: Activation, expected: [Double]) {
        expectClose(apply(activation, Self.inputs), expected, absolute: 1e-6, relative: 2e-6, "\(activation)")
    }

    /// NaN propagates through every activation, as in Keras, NumPy and PyTorch (relu used to
    /// turn it into 0 and hide a diverged model).
    @Test(arguments: Activation.allCases)
    func nanStaysNaN(_ activation: Activation) {
        let y = apply(activation, [1, .nan, -1])
        #expect(y[1].isNaN || activation == .softmax, "\(activation): \(y)")
        if activation == .softmax { #expect(y.allSatisfy { $0.isNaN }, "\(y)") }
    }

    @Test func everyElementwiseActivationHasAKnownValueTest() {
        // The table above lists every case but softmax (tested row-wise below).
        #expect(Set(Self.knownValues.map(\.0) + [.softmax]) == Set(Activation.allCases))
    }

    @Test func softmaxOfOneTwoThree() {
        expectClose(apply(.softmax, [1, 2, 3]), [0.0900305732, 0.244728471, 0.665240956], "softmax")
        // Row-wise: each row of a [2, 3] batch sums to 1 on its own.
        let y = Activation.softmax(Tensor(shape: [2, 3], values: [1, 2, 3, 0, 0, 0])).scalars
        expectClose(y, [0.0900305732, 0.244728471, 0.665240956, 1.0 / 3, 1.0 / 3, 1.0 / 3], "softmax rows")
    }

    @Test(arguments: [
        ([1000, 1001, 1002], [0.0900305732, 0.244728471, 0.665240956]),
        ([-1000, -1001, -1002], [0.665240956, 0.244728471, 0.0900305732]),
        ([-1e30, 0, 1e30], [0, 0, 1]),
        ([Float.greatestFiniteMagnitude, 0, -Float.greatestFiniteMagnitude], [1, 0, 0]),
        ([88.8, 88.8, 88.8], [1.0 / 3, 1.0 / 3, 1.0 / 3]),
    ] as [([Float], [Double])])
    func softmaxIsStableForHugeLogits(_ logits: [Float], expected: [Double]) {
        let y = apply(.softmax, logits)
        #expect(y.allSatisfy { $0.isFinite }, "\(logits) → \(y)")
        expectClose(y, expected, "softmax \(logits)")
    }

    @Test func elementwiseActivationsStayFiniteForLargeInputs() {
        for a in Activation.allCases where a != .exponential {
            let y = apply(a, [-100, -30, 30, 100])
            #expect(y.allSatisfy { $0.isFinite }, "\(a): \(y)")
        }
        #expect(apply(.sigmoid, [-100, 100]) == [Float(exp(-100.0)), 1])
        #expect(apply(.softplus, [100]) == [100])
    }

    @Test func lossesFromLogitsAreFiniteForHugeLogits() {
        let sparse = logitLossSum(.sparseCategoricalCrossentropy, [[1000, 0, -1000]], classes: [1])
        #expect(close(sparse, 1000, relative: 1e-6))
        let categorical = logitLossSum(.categoricalCrossentropy, [[1e30, 0, -1e30]], dense: [[0, 0, 1]])
        #expect(categorical.isFinite && categorical > 1e29)
        // max(z, 0) − z·y + log(1 + e^−|z|): z = ±100 with the right label costs ~0, with the wrong one ~100.
        let binary = logitLossSum(.binaryCrossentropy, [[100, -100]], dense: [[1, 1]])
        #expect(close(binary, 50, relative: 1e-6))
    }

    // MARK: Loss values

    @Test func sparseCategoricalCrossentropyOfAKnownDistribution() {
        // −ln 0.5 and −ln 0.2
        #expect(close(lossSum(.sparseCategoricalCrossentropy, [[0.2, 0.3, 0.5]], classes: [2]), 0.693147181))
        #expect(close(lossSum(.sparseCategoricalCrossentropy, [[0.2, 0.3, 0.5]], classes: [0]), 1.60943791))
        // Predictions are renormalised to sum to 1 first.
        #expect(close(lossSum(.sparseCategoricalCrossentropy, [[0.4, 0.6, 1.0]], classes: [2]), 0.693147181))
        // A sum over the rows (the caller divides by the batch size).
        #expect(close(lossSum(.sparseCategoricalCrossentropy, [[0.2, 0.3, 0.5], [0.2, 0.3, 0.5]], classes: [2, 0]),
                      0.693147181 + 1.60943791))
    }

    @Test func categoricalCrossentropyOfAKnownDistribution() {
        #expect(close(lossSum(.categoricalCrossentropy, [[0.2, 0.3, 0.5]], dense: [[0, 0, 1]]), 0.693147181))
        #expect(close(lossSum(.categoricalCrossentropy, [[0.4, 0.6, 1.0]], dense: [[0, 0, 1]]), 0.693147181))
        // Soft targets: −(0.5 ln 0.2 + 0.5 ln 0.5)
        #expect(close(lossSum(.categoricalCrossentropy, [[0.2, 0.3, 0.5]], dense: [[0.5, 0, 0.5]]), 1.15129255))
        // A zero probability is clipped to 1e-7: −ln 1e-7.
        #expect(close(lossSum(.categoricalCrossentropy, [[0, 0.5, 0.5]], dense: [[1, 0, 0]]), 16.1180957, relative: 1e-6))
    }

    @Test func binaryCrossentropyClipsAtZeroAndOne() {
        // p = 0, y = 1: −ln(1e-7). p = 1, y = 0: −ln(1 − float32(1 − 1e-7)) = −ln(1.1920929e-7), as Keras computes in float32.
        #expect(close(lossSum(.binaryCrossentropy, [[0]], dense: [[1]]), 16.1180957, relative: 1e-6))
        #expect(close(lossSum(.binaryCrossentropy, [[1]], dense: [[0]]), 15.9423847, relative: 1e-6))
        // Right and confident: almost nothing.
        #expect(lossSum(.binaryCrossentropy, [[0, 1]], dense: [[0, 1]]) < 1e-6)
        // Averaged over the outputs: (ln 2 + −ln 0.9) / 2
        #expect(close(lossSum(.binaryCrossentropy, [[0.5, 0.1]], dense: [[1, 0]]), (0.693147181 + 0.105360516) / 2))
        #expect(lossSum(.binaryCrossentropy, [[0, 1, 0.5]], dense: [[1, 0, 1]]).isFinite)
    }

    @Test func meanSquaredError() {
        // ((1−1)² + (2−0)² + (3−5)²) / 3
        #expect(close(lossSum(.meanSquaredError, [[1, 2, 3]], dense: [[1, 0, 5]]), 8.0 / 3))
        #expect(close(lossSum(.meanSquaredError, [[1, 2, 3], [0, 0, 0]], dense: [[1, 0, 5], [1, 1, 1]]), 8.0 / 3 + 1))
    }

    @Test func logitPathsAgreeWithProbabilityPaths() {
        let z: [[Float]] = [[0.5, -1, 2], [3, 0.25, -0.5]]
        let p = z.map { apply(.softmax, $0) }
        #expect(close(logitLossSum(.sparseCategoricalCrossentropy, z, classes: [2, 1]),
                      lossSum(.sparseCategoricalCrossentropy, p, classes: [2, 1]), relative: 1e-6))
        let y: [[Float]] = [[0, 1, 0], [0.3, 0.3, 0.4]]
        #expect(close(logitLossSum(.categoricalCrossentropy, z, dense: y), lossSum(.categoricalCrossentropy, p, dense: y),
                      relative: 1e-6))
        let s = z.map { apply(.sigmoid, $0) }
        let b: [[Float]] = [[1, 0, 1], [0, 1, 1]]
        #expect(close(logitLossSum(.binaryCrossentropy, z, dense: b), lossSum(.binaryCrossentropy, s, dense: b), relative: 1e-6))
    }

    @Test func clippedProbabilitiesGiveZeroNotInfiniteGradients() {
        // Label probability 0 or 1 sits in the clip: the clipped loss is flat there.
        #expect(lossGradient(.sparseCategoricalCrossentropy, [[0, 1, 0]], classes: [0]) == [0, 0, 0])
        #expect(lossGradient(.sparseCategoricalCrossentropy, [[0, 0, 1]], classes: [2]) == [0, 0, 0])
        #expect(lossGradient(.binaryCrossentropy, [[0, 1]], dense: [[1, 0]]) == [0, 0])
        let g = lossGradient(.categoricalCrossentropy, [[0, 0.5, 0.5]], dense: [[1, 0, 0]])
        #expect(g.allSatisfy { $0.isFinite }, "\(g)")
    }

    // MARK: Names

    @Test(arguments: [
        ("silu", Activation.swish), ("swish", .swish), ("hard_swish", .hardSilu), ("hard_silu", .hardSilu),
        ("leaky_relu", .leakyRelu), ("hard_sigmoid", .hardSigmoid), ("relu6", .relu6), ("gelu", .gelu),
        ("mish", .mish), ("exponential", .exponential), ("linear", .linear), ("softmax", .softmax),
        ("selu", .selu), ("elu", .elu), ("softplus", .softplus), ("softsign", .softsign),
    ])
    func activationAliases(_ name: String, _ expected: Activation) {
        #expect(Activation(kerasName: name) == expected)
        #expect(Activation.supportedNames.contains(name))
    }

    @Test func everyCanonicalActivationNameRoundTrips() {
        for a in Activation.allCases {
            #expect(Activation(kerasName: a.kerasName) == a)
            #expect(Activation.supportedNames.contains(a.kerasName))
        }
    }

    @Test(arguments: ["crelu", "log_softmax", "Relu", "RELU", "", "relu ", "sparse_plus", "celu"])
    func unknownActivationNames(_ name: String) {
        #expect(Activation(kerasName: name) == nil)
    }

    @Test(arguments: [
        ("mse", Loss.meanSquaredError), ("MeanSquaredError", .meanSquaredError), ("mean_squared_error", .meanSquaredError),
        ("categorical_crossentropy", .categoricalCrossentropy), ("CategoricalCrossentropy", .categoricalCrossentropy),
        ("sparse_categorical_crossentropy", .sparseCategoricalCrossentropy),
        ("SparseCategoricalCrossentropy", .sparseCategoricalCrossentropy),
        ("binary_crossentropy", .binaryCrossentropy), ("BinaryCrossentropy", .binaryCrossentropy),
    ])
    func lossAliases(_ name: String, _ expected: Loss) {
        #expect(Loss(kerasName: name) == expected)
    }

    @Test func lossProperties() {
        #expect(Loss(kerasName: "mae") == nil)
        #expect(Loss(kerasName: "hinge") == nil)
        #expect(Set(Loss.supportedNames).isSuperset(of: Loss.allCases.map(\.rawValue)))
        #expect(Loss.allCases.filter(\.usesClassTargets) == [.sparseCategoricalCrossentropy])
        #expect(Loss.meanSquaredError.fusedActivation == nil)
        #expect(Loss.categoricalCrossentropy.fusedActivation == .softmax)
        #expect(Loss.sparseCategoricalCrossentropy.fusedActivation == .softmax)
        #expect(Loss.binaryCrossentropy.fusedActivation == .sigmoid)
        #expect(Loss.epsilon == 1e-7)
    }
}
