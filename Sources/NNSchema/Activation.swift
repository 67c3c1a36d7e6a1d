/// An element-wise (or, for softmax, row-wise) activation function with Keras 3's definition
/// and default parameters.
///
/// This is the activation's identity and Keras name; the engine (NNCore) adds the forward
/// function and its derivative.
public enum Activation: String, CaseIterable, Sendable {
    /// `f(x) = x`.
    case linear
    /// `f(x) = max(x, 0)`.
    case relu
    /// `f(x) = 1 / (1 + e^-x)`.
    case sigmoid
    /// `f(x) = tanh(x)`.
    case tanh
    /// `f(x)_i = e^(x_i - max x) / Σ_j e^(x_j - max x)` over the last axis.
    case softmax
    /// `f(x) = x` for `x > 0`, `α (e^x - 1)` otherwise, with `α = 1`.
    case elu
    /// `f(x) = λ x` for `x > 0`, `λ α (e^x - 1)` otherwise, `α = 1.67326324`, `λ = 1.05070098`.
    case selu
    /// Exact GELU (Keras's `approximate=False` default): `f(x) = x Φ(x) = x (1 + erf(x / √2)) / 2`.
    case gelu
    /// `f(x) = log(1 + e^x)`.
    case softplus
    /// `f(x) = x / (1 + |x|)`.
    case softsign
    /// `f(x) = x σ(x)` (Keras 3 calls it `silu`; `swish` is its alias).
    case swish
    /// `f(x) = x` for `x > 0`, `0.2 x` otherwise (Keras 3's default `negative_slope = 0.2`).
    case leakyRelu = "leaky_relu"
    /// `f(x) = e^x`.
    case exponential
    /// Keras 3's hard sigmoid: `f(x) = relu6(x + 3) / 6`, i.e. `clip(x / 6 + 1/2, 0, 1)`.
    case hardSigmoid = "hard_sigmoid"
    /// `f(x) = min(max(x, 0), 6)`.
    case relu6
    /// `f(x) = x · hard_sigmoid(x)` (alias `hard_swish`).
    case hardSilu = "hard_silu"
    /// `f(x) = x tanh(softplus(x))`.
    case mish

    /// The canonical Keras name, as written in configs.
    public var kerasName: String { rawValue }

    /// Looks up an activation by any name Keras accepts for it (`silu`/`swish`, `hard_swish`, ...).
    public init?(kerasName name: String) {
        switch name {
        case "silu", "swish": self = .swish
        case "hard_swish": self = .hardSilu
        case "leakyrelu", "LeakyReLU": self = .leakyRelu
        default:
            guard let a = Activation(rawValue: name) else { return nil }
            self = a
        }
    }

    /// Every accepted name, for error messages.
    public static var supportedNames: [String] {
        allCases.map(\.rawValue) + ["silu", "hard_swish"]
    }
}
