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
}
