import Foundation
import Testing
@testable import NNCore
@testable import NNSchema
@testable import NNJSON

/// Where the activation under test sits.
enum ActivationPlacement: String, CaseIterable, Sendable {
    /// `Dense(5, activation)`.
    case denseActivation
    /// `Dense(5) → Activation(activation)`.
    case activationLayer
}

@Suite("Gradients match finite differences")
struct GradientCheckTests {
    // MARK: Every activation

    /// `[4] → hidden(5, activation) → Dense(3, softmax)` with sparse categorical cross-entropy (fused),
    /// 6 samples. For piecewise activations the seed is the first whose pre-activations stay clear of
    /// the kinks (see `GradientCheck.kinkFreeSeed`), with samples on every piece.
    @Test(arguments: Activation.allCases, ActivationPlacement.allCases)
    func everyActivation(_ activation: Activation, placement: ActivationPlacement) throws {
        let hidden: [Layer] = placement == .denseActivation
            ? [dense("dense", 5, activation)]
            : [dense("dense", 5), Layer(name: "activation", kind: .activation(activation))]
        let architecture = ModelArchitecture(inputShape: [4], layers: hidden + [dense("output", 3, .softmax)])
        let makeData = { (seed: UInt64) in
            try GradientCheck.data(inputShape: [4], outputs: 3, samples: 6, targets: .classes(3),
                                   inputScale: GradientCheck.inputScale(activation), seed: seed)
        }
        let seed = try #require(try GradientCheck.kinkFreeSeed(for: activation, architecture: architecture,
                                                               makeData: makeData, h: 1e-2),
                                "no seed keeps \(activation) pre-activations clear of its kinks")
        let model = try Sequential(architecture, seed: seed)
        try GradientCheck.expectMatch(model, try makeData(seed), loss: .sparseCategoricalCrossentropy,
                                      "\(activation) as \(placement) (seed \(seed))")
    }

    // MARK: Every loss, fused and not

    struct LossCase: Sendable, CustomTestStringConvertible {
        var name: String
        var output: [Layer]
        var loss: Loss
        var targets: GradientCheck.Targets
        var outputs: Int
        /// Whether the engine should take the fused logits path.
        var fused: Bool
        var testDescription: String { name }
    }

    static let lossCases: [LossCase] = [
        LossCase(name: "MSE, linear output", output: [dense("output", 3)], loss: .meanSquaredError,
                 targets: .real, outputs: 3, fused: false),
        LossCase(name: "MSE, tanh output", output: [dense("output", 3, .tanh)], loss: .meanSquaredError,
                 targets: .real, outputs: 3, fused: false),
        LossCase(name: "MSE on softmax probabilities", output: [dense("output", 3, .softmax)], loss: .meanSquaredError,
                 targets: .oneHot, outputs: 3, fused: false),
        LossCase(name: "MSE on an Activation(softmax) layer",
                 output: [dense("output", 3), Layer(name: "probabilities", kind: .activation(.softmax))],
                 loss: .meanSquaredError, targets: .oneHot, outputs: 3, fused: false),
        LossCase(name: "categorical CE, one-hot, Dense softmax (fused)", output: [dense("output", 3, .softmax)],
                 loss: .categoricalCrossentropy, targets: .oneHot, outputs: 3, fused: true),
        LossCase(name: "categorical CE, one-hot, Activation(softmax) layer (fused)",
                 output: [dense("output", 3), Layer(name: "probabilities", kind: .activation(.softmax))],
                 loss: .categoricalCrossentropy, targets: .oneHot, outputs: 3, fused: true),
        LossCase(name: "categorical CE, soft targets (fused)", output: [dense("output", 3, .softmax)],
                 loss: .categoricalCrossentropy, targets: .soft, outputs: 3, fused: true),
        LossCase(name: "categorical CE on sigmoid outputs (renormalised, not fused)", output: [dense("output", 3, .sigmoid)],
                 loss: .categoricalCrossentropy, targets: .oneHot, outputs: 3, fused: false),
        LossCase(name: "sparse categorical CE, Dense softmax (fused)", output: [dense("output", 3, .softmax)],
                 loss: .sparseCategoricalCrossentropy, targets: .classes(3), outputs: 3, fused: true),
        LossCase(name: "sparse categorical CE, Activation(softmax) layer (fused)",
                 output: [dense("output", 3), Layer(name: "probabilities", kind: .activation(.softmax))],
                 loss: .sparseCategoricalCrossentropy, targets: .classes(3), outputs: 3, fused: true),
        LossCase(name: "sparse categorical CE on softplus outputs (renormalised, not fused)",
                 output: [dense("output", 3, .softplus)],
                 loss: .sparseCategoricalCrossentropy, targets: .classes(3), outputs: 3, fused: false),
        LossCase(name: "binary CE, one sigmoid output, 0/1 targets (fused)", output: [dense("output", 1, .sigmoid)],
                 loss: .binaryCrossentropy, targets: .binary, outputs: 1, fused: true),
        LossCase(name: "binary CE, one sigmoid output, class labels 0/1 (fused)", output: [dense("output", 1, .sigmoid)],
                 loss: .binaryCrossentropy, targets: .classes(2), outputs: 1, fused: true),
        LossCase(name: "binary CE, one Activation(sigmoid) output (fused)",
                 output: [dense("output", 1), Layer(name: "probability", kind: .activation(.sigmoid))],
                 loss: .binaryCrossentropy, targets: .binary, outputs: 1, fused: true),
        LossCase(name: "binary CE, three sigmoid outputs, multi-label (fused)", output: [dense("output", 3, .sigmoid)],
                 loss: .binaryCrossentropy, targets: .binary, outputs: 3, fused: true),
        LossCase(name: "binary CE on softmax probabilities (not fused)", output: [dense("output", 3, .softmax)],
                 loss: .binaryCrossentropy, targets: .binary, outputs: 3, fused: false),
    ]

    /// `[2, 3] → Flatten → Dense(4, tanh) → output`, 8 samples; also checks that the loss the engine
    /// reports equals the loss computed independently (in Double) from the model's predictions.
    @Test(arguments: lossCases)
    func everyLoss(_ c: LossCase) throws {
        let architecture = ModelArchitecture(
            inputShape: [2, 3], layers: [Layer(name: "flatten", kind: .flatten), dense("hidden", 4, .tanh)] + c.output)
        let model = try Sequential(architecture, seed: 11)
        let data = try GradientCheck.data(inputShape: [2, 3], outputs: c.outputs, samples: 8, targets: c.targets,
                                          inputScale: 1.5, seed: 11)
        let network = try Network(architecture: architecture, maxSamples: 8, training: true)
        #expect((c.loss.fusedActivation != nil && network.finalActivation == c.loss.fusedActivation) == c.fused,
                "the case's fused flag does not match what the engine does")
        try GradientCheck.expectMatch(model, data, loss: c.loss, c.name)

        let engineLoss = try model.lossAndGradients(data, loss: c.loss).loss
        let probabilities = try model.predict(data.featureTensor()).scalars
        let expected = try #require(data.labels.map { LossReference.mean(c.loss, probabilities, $0, outputs: c.outputs) })
        #expect(close(engineLoss, expected, absolute: 1e-6, relative: 1e-5), "\(c.name): loss \(engineLoss), expected \(expected)")
    }

    // MARK: Layers

    @Test(arguments: [true, false])
    func denseWithAndWithoutBias(bias: Bool) throws {
        let architecture = ModelArchitecture(inputShape: [2, 3], layers: [
            Layer(name: "flatten", kind: .flatten), dense("hidden", 4, .tanh, bias: bias), dense("output", 3, .softmax, bias: bias),
        ])
        let model = try Sequential(architecture, seed: 3)
        #expect(model.weights.count == (bias ? 4 : 2))
        // Non-zero biases, so the bias term is really exercised.
        var m = model
        if bias {
            var rng = SeededGenerator(seed: 99)
            for i in [1, 3] { m.weights[i] = Tensor(shape: m.weights[i].shape, values: TestData.uniform(m.weights[i].count, scale: 0.5, &rng)) }
        }
        let data = try GradientCheck.data(inputShape: [2, 3], outputs: 3, samples: 7, targets: .classes(3), inputScale: 1.5, seed: 3)
        try GradientCheck.expectMatch(m, data, loss: .sparseCategoricalCrossentropy, "bias \(bias)")
    }

    @Test func twoHiddenLayers() throws {
        let architecture = ModelArchitecture(inputShape: [2, 3], layers: [
            Layer(name: "flatten", kind: .flatten), dense("hidden_1", 5, .tanh), dense("hidden_2", 4, .sigmoid),
            dense("output", 3, .softmax),
        ])
        let model = try Sequential(architecture, seed: 5)
        let data = try GradientCheck.data(inputShape: [2, 3], outputs: 3, samples: 8, targets: .oneHot, inputScale: 1.5, seed: 5)
        try GradientCheck.expectMatch(model, data, loss: .categoricalCrossentropy, "two hidden layers")
    }

    /// Dense applies to the last axis of a `[2, 3]` sample (two rows per sample), then Flatten.
    @Test func denseOnTheLastAxisBeforeFlatten() throws {
        let architecture = ModelArchitecture(inputShape: [2, 3], layers: [
            dense("rows", 4, .tanh), Layer(name: "flatten", kind: .flatten), dense("output", 3, .softmax),
        ])
        let model = try Sequential(architecture, seed: 8)
        #expect(model.weights[0].shape == [3, 4])
        #expect(model.weights[2].shape == [8, 3])
        let data = try GradientCheck.data(inputShape: [2, 3], outputs: 3, samples: 6, targets: .classes(3), inputScale: 1.5, seed: 8)
        try GradientCheck.expectMatch(model, data, loss: .sparseCategoricalCrossentropy, "Dense on rank-2 samples")
    }

    /// One Dense layer frozen (first, middle or last): its gradient is exactly zero and the others
    /// are still right (the gradient still flows through a frozen middle layer).
    @Test(arguments: [0, 1, 2])
    func nonTrainableLayer(frozen: Int) throws {
        let layers = [dense("first", 5, .tanh, trainable: frozen != 0), dense("middle", 4, .sigmoid, trainable: frozen != 1),
                      dense("last", 3, .softmax, trainable: frozen != 2)]
        let architecture = ModelArchitecture(inputShape: [4], layers: layers)
        let model = try Sequential(architecture, seed: 21)
        #expect(model.weightSpecs.filter { !$0.trainable }.map(\.layerIndex) == [frozen, frozen])
        let data = try GradientCheck.data(inputShape: [4], outputs: 3, samples: 6, targets: .classes(3), inputScale: 1.5, seed: 21)
        try GradientCheck.expectMatch(model, data, loss: .sparseCategoricalCrossentropy, "layer \(frozen) frozen")

        // And training leaves it untouched.
        var trained = model
        var options = TrainingOptions(epochs: 2, batchSize: 3)
        options.optimizer = OptimizerConfig(.sgd, learningRate: 0.1)
        try trained.fit(data, options: options)
        for (i, spec) in model.weightSpecs.enumerated() {
            if spec.trainable {
                #expect(trained.weights[i] != model.weights[i], "\(spec.name) should have changed")
            } else {
                #expect(trained.weights[i] == model.weights[i], "\(spec.name) is frozen but changed")
            }
        }
    }

    struct DropoutCase: Sendable, CustomTestStringConvertible {
        var name: String
        var layers: [Layer]
        var testDescription: String { name }
    }

    static let dropoutCases: [DropoutCase] = [
        DropoutCase(name: "between hidden and output", layers: [
            dense("hidden", 6, .tanh), Layer(name: "dropout", kind: .dropout(rate: 0.5)), dense("output", 3, .softmax),
        ]),
        DropoutCase(name: "on the input", layers: [
            Layer(name: "dropout", kind: .dropout(rate: 0.3)), dense("hidden", 5, .tanh), dense("output", 3, .softmax),
        ]),
        DropoutCase(name: "before a fused Activation(softmax)", layers: [
            dense("hidden", 5, .tanh), dense("logits", 3), Layer(name: "dropout", kind: .dropout(rate: 0.4)),
            Layer(name: "probabilities", kind: .activation(.softmax)),
        ]),
    ]

    /// Training-mode dropout draws its masks from the seed, so the same seed gives the same mask and
    /// finite differences with that seed check the masked network.
    @Test(arguments: dropoutCases)
    func dropout(_ c: DropoutCase) throws {
        let architecture = ModelArchitecture(inputShape: [4], layers: c.layers)
        let model = try Sequential(architecture, seed: 4)
        let data = try GradientCheck.data(inputShape: [4], outputs: 3, samples: 8, targets: .classes(3), inputScale: 1.5, seed: 4)
        let loss = Loss.sparseCategoricalCrossentropy

        let a = try model.lossAndGradients(data, loss: loss, seed: 1)
        let b = try model.lossAndGradients(data, loss: loss, seed: 1)
        let other = try model.lossAndGradients(data, loss: loss, seed: 2)
        #expect(a.loss == b.loss)
        #expect(bitwiseEqual(a.gradients, b.gradients), "same seed, different gradients")
        #expect(a.loss != other.loss, "dropout seems inactive: seeds 1 and 2 give the same loss")
        // Without dropout (inference) the loss is different again.
        let inference = try model.evaluate(data, loss: loss).loss
        #expect(abs(inference - a.loss) > 1e-6)

        try GradientCheck.expectMatch(model, data, loss: loss, seed: 1, "dropout \(c.name)")
    }
}

/// Losses computed independently, in Double, from probabilities (Keras's definitions).
enum LossReference {
    static let epsilon = 1e-7

    static func clip(_ p: Double) -> Double { min(max(p, epsilon), 1 - epsilon) }

    /// The mean loss over the samples of `labels`.
    static func mean(_ loss: Loss, _ p: [Float], _ labels: Dataset.Labels, outputs k: Int) -> Double {
        let n = p.count / k
        // Targets as dense rows (one-hot for classes, or the 0/1 value itself for one output).
        var y = [Double](repeating: 0, count: n * k)
        switch labels {
        case let .classes(c):
            for i in 0..<n { if k == 1 { y[i] = Double(c[i]) } else { y[i * k + Int(c[i])] = 1 } }
        case let .dense(v, _):
            y = v.map(Double.init)
        }
        var total = 0.0
        for i in 0..<n {
            let row = (0..<k).map { Double(p[i * k + $0]) }, t = Array(y[i * k..<(i + 1) * k])
            switch loss {
            case .meanSquaredError:
                total += zip(row, t).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(k)
            case .categoricalCrossentropy, .sparseCategoricalCrossentropy:
                let s = row.reduce(0, +)
                total -= zip(row, t).map { $1 * log(clip($0 / s)) }.reduce(0, +)
            case .binaryCrossentropy:
                total -= zip(row, t).map { $1 * log(clip($0)) + (1 - $1) * log(1 - clip($0)) }.reduce(0, +) / Double(k)
            }
        }
        return total / Double(n)
    }
}
