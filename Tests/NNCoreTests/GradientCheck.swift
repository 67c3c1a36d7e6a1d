import Foundation
import Testing
@testable import NNCore
@testable import NNSchema
@testable import NNJSON

/// Finite-difference checks of `Sequential.lossAndGradients`, which runs a training step's code path.
///
/// The engine computes in Float32, so each check perturbs a weight by `h` (1e-2 by default), takes
/// the central difference `(L(w + h) - L(w - h)) / 2h` of the engine's own loss (with the same
/// dropout seed), and compares element-wise within `1e-4 + 3e-3·|g|` and vector-wise within a 0.2 %
/// relative error. Measured disagreement is below 4e-5 element-wise and 3e-4 vector-wise (Float32
/// rounding, and h²·f''' truncation for smooth functions), while a wrong derivative (a missing
/// factor, a sign, a missing term) is off by tens of percent.
enum GradientCheck {
    /// How targets are drawn for a case.
    enum Targets: Sendable {
        /// Integer classes in `0..<k`.
        case classes(Int)
        /// One-hot rows of the output width.
        case oneHot
        /// Positive rows summing to 0.9 (soft labels; not 1, so a gradient that assumes Σy = 1 is caught).
        case soft
        /// Independent 0/1 values.
        case binary
        /// Uniform values in [-1, 1] (regression).
        case real
    }

    /// A random dataset for a model of `inputShape` with `outputs` outputs.
    static func data(inputShape: [Int], outputs: Int, samples: Int, targets: Targets, inputScale: Double,
                     seed: UInt64) throws -> Dataset {
        var rng = SeededGenerator(seed: seed &+ 1000)
        let perSample = inputShape.reduce(1, *)
        let x = TestData.uniform(samples * perSample, scale: inputScale, &rng)
        switch targets {
        case let .classes(k):
            // Every class at least once when there are enough samples.
            let labels = (0..<samples).map { i in Int32(i < k ? i : rng.nextIndex(below: k)) }
            return try TestData.classes(x, shape: inputShape, labels: labels)
        case .oneHot:
            var y = [Float](repeating: 0, count: samples * outputs)
            for i in 0..<samples { y[i * outputs + (i < outputs ? i : rng.nextIndex(below: outputs))] = 1 }
            return try TestData.dense(x, shape: inputShape, targets: y, width: outputs)
        case .soft:
            var y: [Float] = []
            for _ in 0..<samples {
                let row = (0..<outputs).map { _ in Float(0.1 + rng.nextUnitDouble()) }
                let s = row.reduce(0, +)
                y += row.map { 0.9 * $0 / s }
            }
            return try TestData.dense(x, shape: inputShape, targets: y, width: outputs)
        case .binary:
            let y = (0..<samples * outputs).map { _ in Float(rng.nextIndex(below: 2)) }
            return try TestData.dense(x, shape: inputShape, targets: y, width: outputs)
        case .real:
            return try TestData.dense(x, shape: inputShape, targets: TestData.uniform(samples * outputs, &rng),
                                      width: outputs)
        }
    }

    /// Central differences of the engine's loss with respect to every weight element.
    static func numericGradients(_ model: Sequential, _ data: Dataset, loss: Loss, seed: UInt64, h: Float) throws -> [[Double]] {
        var perturbed = model
        var result: [[Double]] = []
        for (i, w) in model.weights.enumerated() {
            var g = [Double](repeating: 0, count: w.count)
            for j in 0..<w.count {
                let original = w[flat: j]
                let up = original + h, down = original - h
                perturbed.weights[i][flat: j] = up
                let plus = try perturbed.lossAndGradients(data, loss: loss, seed: seed).loss
                perturbed.weights[i][flat: j] = down
                let minus = try perturbed.lossAndGradients(data, loss: loss, seed: seed).loss
                perturbed.weights[i][flat: j] = original
                g[j] = (plus - minus) / (Double(up) - Double(down))
            }
            result.append(g)
        }
        return result
    }

    /// The largest element-wise and the vector-wise relative disagreement of a check, for reports.
    struct Outcome {
        var worstElement: Double = 0
        var worstRelativeNorm: Double = 0
    }

    /// Compares the engine's gradients with central differences; frozen (non-trainable) weights
    /// must get exactly zero gradient.
    @discardableResult
    static func expectMatch(
        _ model: Sequential, _ data: Dataset, loss: Loss, seed: UInt64 = 0, h: Float = 1e-2,
        _ label: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Outcome {
        let (value, analytic) = try model.lossAndGradients(data, loss: loss, seed: seed)
        #expect(value.isFinite, "\(label): loss \(value)", sourceLocation: sourceLocation)
        let numeric = try numericGradients(model, data, loss: loss, seed: seed, h: h)
        var outcome = Outcome()
        let specs = model.weightSpecs
        #expect(analytic.count == specs.count, sourceLocation: sourceLocation)
        for (i, spec) in specs.enumerated() {
            let a = analytic[i].scalars, n = numeric[i]
            #expect(analytic[i].shape == spec.shape, "\(label) \(spec.name)", sourceLocation: sourceLocation)
            if !spec.trainable {
                #expect(a.allSatisfy { $0 == 0 }, "\(label): frozen \(spec.name) has gradient \(a)",
                        sourceLocation: sourceLocation)
                continue
            }
            var diff2 = 0.0, norm2 = 0.0
            for (j, (x, y)) in zip(a, n).enumerated() {
                let d = abs(Double(x) - y)
                diff2 += d * d
                norm2 += y * y
                let allowed = 1e-4 + 3e-3 * max(abs(Double(x)), abs(y))
                outcome.worstElement = max(outcome.worstElement, d / allowed)
                if d > allowed {
                    Issue.record("\(label): \(spec.name)[\(j)] engine \(x), finite differences \(y)",
                                 sourceLocation: sourceLocation)
                }
            }
            // Not vacuous: the loss really depends on this weight.
            #expect(norm2.squareRoot() > 1e-4, "\(label): \(spec.name) gradient is ~0 (\(n))", sourceLocation: sourceLocation)
            let relative = diff2.squareRoot() / max(norm2.squareRoot(), 1e-12)
            outcome.worstRelativeNorm = max(outcome.worstRelativeNorm, relative)
            #expect(relative < 2e-3, "\(label): \(spec.name) relative error \(relative)", sourceLocation: sourceLocation)
        }
        return outcome
    }

    /// The points where an activation's derivative (or second derivative) jumps.
    static func kinks(_ a: Activation) -> [Double] {
        switch a {
        case .relu, .leakyRelu, .selu, .elu, .softsign: return [0]
        case .relu6: return [0, 6]
        case .hardSigmoid, .hardSilu: return [-3, 3]
        default: return []
        }
    }

    /// Inputs spread wide enough to reach every piece of a piecewise activation.
    static func inputScale(_ a: Activation) -> Double {
        switch a {
        case .relu6, .hardSigmoid, .hardSilu: return 5
        default: return 1.5
        }
    }

    /// Pre-activations `x · kernel + bias` of the first Dense layer of `model` (in Double).
    static func firstLayerPreActivations(_ model: Sequential, _ data: Dataset) -> [Double] {
        guard case let .float32(x) = data.features,
              let layerIndex = model.architecture.layers.firstIndex(where: { if case .dense = $0.kind { true } else { false } }),
              case let .dense(d) = model.architecture.layers[layerIndex].kind else { return [] }
        let kernel = model.weights[0].scalars
        let bias = d.useBias ? model.weights[1].scalars : [Float](repeating: 0, count: d.units)
        let inFeatures = model.weights[0].shape[0]
        let rows = x.count / inFeatures
        var z: [Double] = []
        for r in 0..<rows {
            for u in 0..<d.units {
                var s = Double(bias[u])
                for k in 0..<inFeatures { s += Double(x[r * inFeatures + k]) * Double(kernel[k * d.units + u]) }
                z.append(s)
            }
        }
        return z
    }

    /// The first seed (from 1) whose model and data keep every first-layer pre-activation further than
    /// `margin` from the activation's kinks, with at least one pre-activation on every piece between them,
    /// so a finite difference never straddles a kink and every branch of the derivative is exercised.
    static func kinkFreeSeed(
        for activation: Activation, architecture: ModelArchitecture, makeData: (UInt64) throws -> Dataset, h: Float
    ) throws -> UInt64? {
        let kinks = kinks(activation)
        for seed in UInt64(1)...3000 {
            let model = try Sequential(architecture, seed: seed)
            let data = try makeData(seed)
            guard kinks.isEmpty else {
                guard case let .float32(x) = data.features else { return nil }
                // Perturbing one first-layer weight by h moves a pre-activation by at most h·max(|x|, 1).
                let margin = 2 * Double(h) * max(1, Double(x.map(abs).max() ?? 1)) + 1e-4
                let z = firstLayerPreActivations(model, data)
                let clear = z.allSatisfy { v in kinks.allSatisfy { abs(v - $0) > margin } }
                let bounds = [-Double.infinity] + kinks + [Double.infinity]
                let covered = zip(bounds, bounds.dropFirst()).allSatisfy { lo, hi in z.contains { $0 > lo && $0 < hi } }
                if clear && covered { return seed }
                continue
            }
            return seed
        }
        return nil
    }
}
