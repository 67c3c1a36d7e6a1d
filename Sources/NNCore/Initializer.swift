/// How a layer's weights are filled before training, with Keras's definitions.
///
/// Variance-scaling initializers use `fanIn` and `fanOut` of the kernel (`[in, out]` for Dense).
/// The normal variants draw from a normal distribution truncated at two standard deviations,
/// rescaled (`/ 0.87962566`) so the variance is the intended one, as Keras does.
public enum Initializer: Sendable, Equatable {
    /// Uniform in `[-l, l]`, `l = √(6 / (fanIn + fanOut))` (Glorot & Bengio, 2010). Keras's Dense default.
    case glorotUniform
    /// Truncated normal, `σ = √(2 / (fanIn + fanOut))`.
    case glorotNormal
    /// Uniform in `[-l, l]`, `l = √(6 / fanIn)` (He et al., 2015).
    case heUniform
    /// Truncated normal, `σ = √(2 / fanIn)`.
    case heNormal
    /// Uniform in `[-l, l]`, `l = √(3 / fanIn)` (LeCun).
    case lecunUniform
    /// Truncated normal, `σ = √(1 / fanIn)`.
    case lecunNormal
    /// All zeros. Keras's bias default.
    case zeros
    /// All ones.
    case ones
    /// Every element `value`.
    case constant(Double)
    /// Normal with the given mean and standard deviation.
    case randomNormal(mean: Double, stddev: Double)
    /// Uniform in `[minimum, maximum)`.
    case randomUniform(minimum: Double, maximum: Double)
    /// Normal truncated at two standard deviations.
    case truncatedNormal(mean: Double, stddev: Double)
    /// An initializer nnmodel does not implement, kept as its Keras config so conversions keep it.
    case unsupported(JSON)

    /// The Keras class names this enum understands.
    public static let supportedClassNames = [
        "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal",
        "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
    ]

    /// The rescaling Keras applies to a normal truncated at ±2σ so its variance is σ².
    static let truncationCorrection = 0.87962566103423978

    /// Fills `values` for a weight of the given fans.
    ///
    /// - Throws: ``TrainingError/unsupportedInitializer(_:)`` for ``unsupported(_:)``.
    public func fill(
        _ values: UnsafeMutableBufferPointer<Float>, fanIn: Int, fanOut: Int, using rng: inout SeededGenerator
    ) throws(TrainingError) {
        let fi = Double(max(fanIn, 1)), fo = Double(max(fanOut, 1))
        func uniform(_ limit: Double, _ rng: inout SeededGenerator) {
            for i in values.indices { values[i] = Float((rng.nextUnitDouble() * 2 - 1) * limit) }
        }
        func truncated(_ mean: Double, _ sd: Double, _ rng: inout SeededGenerator) {
            for i in values.indices {
                var z = rng.nextNormal()
                while abs(z) > 2 { z = rng.nextNormal() }
                values[i] = Float(mean + sd * z)
            }
        }
        switch self {
        case .glorotUniform: uniform((6 / (fi + fo)).squareRoot(), &rng)
        case .glorotNormal: truncated(0, (2 / (fi + fo)).squareRoot() / Initializer.truncationCorrection, &rng)
        case .heUniform: uniform((6 / fi).squareRoot(), &rng)
        case .heNormal: truncated(0, (2 / fi).squareRoot() / Initializer.truncationCorrection, &rng)
        case .lecunUniform: uniform((3 / fi).squareRoot(), &rng)
        case .lecunNormal: truncated(0, (1 / fi).squareRoot() / Initializer.truncationCorrection, &rng)
        case .zeros: values.update(repeating: 0)
        case .ones: values.update(repeating: 1)
        case let .constant(v): values.update(repeating: Float(v))
        case let .randomNormal(mean, sd):
            for i in values.indices { values[i] = Float(mean + sd * rng.nextNormal()) }
        case let .randomUniform(lo, hi):
            for i in values.indices { values[i] = Float(lo + (hi - lo) * rng.nextUnitDouble()) }
        case let .truncatedNormal(mean, sd): truncated(mean, sd, &rng)
        case let .unsupported(config):
            throw .unsupportedInitializer(config["class_name"]?.stringValue ?? config.serialized())
        }
    }
}
