import Foundation
import Testing
@testable import NNCore
@testable import NNSchema
@testable import NNJSON

/// Runs `OptimizerEngine` on a flat weight buffer with fixed gradients, returning the weights after each step.
func runEngine(_ config: OptimizerConfig, weights: [Float], trainable: [Range<Int>], gradients: [[Float]]) -> [[Float]] {
    let engine = OptimizerEngine(config: config, parameterCount: weights.count, trainableRanges: trainable)
    var w = weights
    var history: [[Float]] = []
    for g in gradients {
        w.withUnsafeMutableBufferPointer { wp in
            g.withUnsafeBufferPointer { gp in engine.step(weights: wp.baseAddress!, gradients: gp.baseAddress!) }
        }
        history.append(w)
    }
    #expect(engine.iterations == gradients.count)
    return history
}

/// Keras 3's update rules written out step by step in Double, independently of the engine.
struct ReferenceOptimizer {
    let config: OptimizerConfig
    var m: [Double]
    var v: [Double]
    var t = 0

    init(_ config: OptimizerConfig, count: Int) {
        self.config = config
        m = Array(repeating: 0, count: count)
        // Adagrad's accumulator starts at initial_accumulator_value; everything else at 0.
        v = Array(repeating: config.kind == .adagrad ? config.initialAccumulatorValue : 0, count: count)
    }

    mutating func step(_ w: inout [Double], _ g: [Double], trainable: [Range<Int>]) {
        t += 1
        let lr = config.learningRate, eps = config.epsilon
        for range in trainable {
            for i in range {
                switch config.kind {
                case .gd, .sgd:
                    // w ← w − η g
                    w[i] -= lr * g[i]
                case .momentum:
                    // m ← μ m − η g; w ← w + m (Nesterov: w ← w + μ m − η g)
                    m[i] = config.momentum * m[i] - lr * g[i]
                    w[i] += config.nesterov ? config.momentum * m[i] - lr * g[i] : m[i]
                case .adagrad:
                    // a ← a + g²; w ← w − η g / √(a + ε)
                    v[i] += g[i] * g[i]
                    w[i] -= lr * g[i] / (v[i] + eps).squareRoot()
                case .rmsprop:
                    // v ← ρ v + (1 − ρ) g²; Δ = η g / √(v + ε); w ← w − Δ, or m ← μ m + Δ, w ← w − m
                    v[i] = config.rho * v[i] + (1 - config.rho) * g[i] * g[i]
                    let increment = lr * g[i] / (v[i] + eps).squareRoot()
                    if config.momentum > 0 {
                        m[i] = config.momentum * m[i] + increment
                        w[i] -= m[i]
                    } else {
                        w[i] -= increment
                    }
                case .adam:
                    // m ← m + (g − m)(1 − β₁); v ← v + (g² − v)(1 − β₂);
                    // α = η √(1 − β₂ᵗ) / (1 − β₁ᵗ); w ← w − α m / (√v + ε)
                    let b1 = config.beta1, b2 = config.beta2
                    m[i] += (g[i] - m[i]) * (1 - b1)
                    v[i] += (g[i] * g[i] - v[i]) * (1 - b2)
                    let alpha = lr * (1 - pow(b2, Double(t))).squareRoot() / (1 - pow(b1, Double(t)))
                    w[i] -= alpha * m[i] / (v[i].squareRoot() + eps)
                }
            }
        }
    }
}

@Suite("Optimizers")
struct OptimizerTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var config: OptimizerConfig
        var testDescription: String { name }
    }

    static func config(_ kind: OptimizerConfig.Kind, _ lr: Double, _ change: (inout OptimizerConfig) -> Void = { _ in }) -> OptimizerConfig {
        var c = OptimizerConfig(kind, learningRate: lr)
        change(&c)
        return c
    }

    static let cases: [Case] = [
        Case(name: "gd", config: config(.gd, 0.1)),
        Case(name: "sgd", config: config(.sgd, 0.1)),
        Case(name: "momentum", config: config(.momentum, 0.1)),
        Case(name: "momentum 0.5", config: config(.momentum, 0.05) { $0.momentum = 0.5 }),
        Case(name: "nesterov", config: config(.momentum, 0.1) { $0.nesterov = true }),
        Case(name: "adagrad", config: config(.adagrad, 0.1)),
        Case(name: "adagrad, accumulator 0.5", config: config(.adagrad, 0.1) { $0.initialAccumulatorValue = 0.5 }),
        Case(name: "rmsprop", config: config(.rmsprop, 0.01)),
        Case(name: "rmsprop rho 0.5", config: config(.rmsprop, 0.01) { $0.rho = 0.5 }),
        Case(name: "rmsprop with momentum", config: config(.rmsprop, 0.01) { $0.momentum = 0.5 }),
        Case(name: "adam", config: config(.adam, 0.01)),
        Case(name: "adam, betas 0.5/0.9, epsilon 0.1", config: config(.adam, 0.01) { $0.beta1 = 0.5; $0.beta2 = 0.9; $0.epsilon = 0.1 }),
    ]

    /// Three steps on six weights (index 2 is frozen: not in the trainable ranges) with fixed
    /// gradients, against the Double reference after every step.
    @Test(arguments: cases)
    func threeStepsMatchTheUpdateRule(_ c: Case) {
        let w0: [Float] = [0.5, -1.25, 2.0, 0.1, -0.3, 0.0]
        let trainable = [0..<2, 3..<6]
        let gradients: [[Float]] = [
            [0.2, -0.5, 9.0, 1.5, -0.05, 0.0],
            [-0.4, -0.5, 9.0, 0.75, 0.3, 2.0],
            [0.1, 1.0, 9.0, -2.5, 0.3, -0.02],
        ]
        let actual = runEngine(c.config, weights: w0, trainable: trainable, gradients: gradients)
        var reference = ReferenceOptimizer(c.config, count: w0.count)
        var w = w0.map(Double.init)
        for (step, g) in gradients.enumerated() {
            reference.step(&w, g.map(Double.init), trainable: trainable)
            expectClose(actual[step], w, absolute: 1e-7, relative: 2e-6, "\(c.name) step \(step + 1)")
            #expect(actual[step][2] == 2.0, "the frozen weight moved")
            #expect(actual[step] != w0, "nothing changed")
        }
    }

    /// Two steps on one weight `w = 1` with gradients 0.5 then -1, worked out by hand:
    /// - sgd η=0.1: 1 − 0.05 = 0.95; 0.95 + 0.1 = 1.05
    /// - momentum η=0.1 μ=0.9: m = −0.05, w = 0.95; m = 0.9·(−0.05) + 0.1 = 0.055, w = 1.005
    /// - nesterov: w = 1 + 0.9·(−0.05) − 0.05 = 0.905; w = 0.905 + 0.9·0.055 + 0.1 = 1.0545
    /// - adagrad η=0.1: a = 0.1 + 0.25 = 0.35, w = 1 − 0.05/√0.35 = 0.9154846;
    ///   a = 1.35, w = 0.9154846 + 0.1/√1.35 = 1.0015509
    /// - rmsprop η=0.01: v = 0.1·0.25 = 0.025, w = 1 − 0.005/√0.025 = 0.9683773;
    ///   v = 0.9·0.025 + 0.1 = 0.1225, w = 0.9683773 + 0.01/0.35 = 0.9969487
    /// - rmsprop μ=0.5: m = 0.0316227, w = 0.9683773; m = 0.5·0.0316227 − 0.0285714 = −0.0127601, w = 0.9811373
    /// - adam η=0.01: m = 0.05, v = 0.00025, α = 0.01·√0.001/0.1 = 0.0031623, w = 1 − α·0.05/0.0158114 = 0.9900001;
    ///   m = −0.055, v = 0.00124975, α = 0.01·√0.001999/0.19 = 0.0023532, w = 0.9900001 + α·0.055/0.0353519 = 0.9936611
    @Test(arguments: [
        (config(.sgd, 0.1), 0.95, 1.05),
        (config(.momentum, 0.1), 0.95, 1.005),
        (config(.momentum, 0.1) { $0.nesterov = true }, 0.905, 1.0545),
        (config(.adagrad, 0.1), 0.9154846, 1.0015509),
        (config(.rmsprop, 0.01), 0.9683773, 0.9969487),
        (config(.rmsprop, 0.01) { $0.momentum = 0.5 }, 0.9683773, 0.9811373),
        (config(.adam, 0.01), 0.9900001, 0.9936611),
    ])
    func handComputedSteps(_ config: OptimizerConfig, first: Double, second: Double) {
        let steps = runEngine(config, weights: [1], trainable: [0..<1], gradients: [[0.5], [-1]])
        #expect(close(steps[0][0], first, absolute: 2.5e-7, relative: 0), "\(config.kind) step 1: \(steps[0][0])")
        #expect(close(steps[1][0], second, absolute: 2.5e-7, relative: 0), "\(config.kind) step 2: \(steps[1][0])")
    }

    @Test(arguments: [
        (OptimizerConfig.Kind.gd, 0.01, 0.0, [String]()),
        (.sgd, 0.01, 0.0, []),
        (.momentum, 0.01, 0.9, ["momentum"]),
        (.adagrad, 0.001, 0.0, ["accumulator"]),
        (.rmsprop, 0.001, 0.0, ["velocity"]),
        (.adam, 0.001, 0.0, ["momentum", "velocity"]),
    ])
    func kerasDefaults(_ kind: OptimizerConfig.Kind, learningRate: Double, momentum: Double, slots: [String]) throws {
        let c = OptimizerConfig(kind)
        #expect(c.learningRate == learningRate)
        #expect(c.momentum == momentum)
        #expect(c.nesterov == false)
        #expect(c.beta1 == 0.9 && c.beta2 == 0.999)
        #expect(c.epsilon == 1e-7)
        #expect(c.rho == 0.9)
        #expect(c.initialAccumulatorValue == 0.1)
        #expect(c.slotNames == slots)
        try c.validate()
        #expect(OptimizerConfig(kind, learningRate: 0.5).learningRate == 0.5)
    }

    @Test func rmspropWithMomentumKeepsASecondSlot() {
        var c = OptimizerConfig(.rmsprop)
        c.momentum = 0.9
        #expect(c.slotNames == ["velocity", "momentum"])
    }

    @Test func adagradAccumulatorStartsAtItsInitialValue() {
        var c = OptimizerConfig(.adagrad)
        c.initialAccumulatorValue = 0.25
        let engine = OptimizerEngine(config: c, parameterCount: 3, trainableRanges: [0..<3])
        #expect(Array(engine.slots[0]) == [0.25, 0.25, 0.25])
        let state = engine.state(shapes: [[3]])
        #expect(state.iterations == 0)
        #expect(state.slots.count == 1 && state.slots[0][0].scalars == [0.25, 0.25, 0.25])
    }

    /// The state an engine reports restores into a new engine, which then continues identically.
    @Test func stateRestoresIntoANewEngine() {
        let config = OptimizerConfig(.adam, learningRate: 0.01)
        let ranges = [0..<2, 3..<4]
        let a = OptimizerEngine(config: config, parameterCount: 4, trainableRanges: ranges)
        var wa: [Float] = [1, 2, 3, 4]
        let g: [Float] = [0.3, -0.2, 5, 0.7]
        for _ in 0..<2 { a.step(weights: &wa, gradients: g) }
        let state = a.state(shapes: [[2], [1]])
        #expect(state.iterations == 2)
        #expect(state.slots.map { $0.map(\.shape) } == [[[2], [1]], [[2], [1]]])

        let b = OptimizerEngine(config: config, parameterCount: 4, trainableRanges: ranges)
        withExtendedLifetime(state) {
            b.restore(iterations: state.iterations, slotValues: state.slots.map { perWeight in
                perWeight.map { t in t.withUnsafeBufferPointer { UnsafeBufferPointer(start: $0.baseAddress, count: $0.count) } }
            })
        }
        var wb = wa
        a.step(weights: &wa, gradients: g)
        b.step(weights: &wb, gradients: g)
        #expect(wa == wb)
    }

    @Test(arguments: [
        ("learning rate", config(.adam, 0)),
        ("learning rate", config(.adam, -0.1)),
        ("learning rate", config(.adam, .nan)),
        ("learning rate", config(.adam, .infinity)),
        ("momentum", config(.momentum, 0.01) { $0.momentum = 1 }),
        ("momentum", config(.rmsprop, 0.01) { $0.momentum = -0.5 }),
        ("beta_1", config(.adam, 0.01) { $0.beta1 = 1 }),
        ("beta_2", config(.adam, 0.01) { $0.beta2 = 1.5 }),
        ("beta_2", config(.adam, 0.01) { $0.beta2 = -0.001 }),
        ("epsilon", config(.adam, 0.01) { $0.epsilon = -1e-7 }),
        ("rho", config(.rmsprop, 0.01) { $0.rho = 1 }),
        ("initial_accumulator_value", config(.adagrad, 0.01) { $0.initialAccumulatorValue = -0.1 }),
    ])
    func validateRefusesBadHyperparameters(_ name: String, _ c: OptimizerConfig) {
        do {
            try c.validate()
            Issue.record("\(name): accepted")
        } catch {
            guard case let .invalidHyperparameter(option, _, expected) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(option == name)
            #expect(!expected.isEmpty)
            #expect(error.description.contains(name))
        }
        // fit refuses it before touching the model.
        var options = TrainingOptions(epochs: 1)
        options.optimizer = c
        #expect(throws: TrainingError.self) { try options.validate() }
    }
}
