/// A loss function with Keras semantics: the per-sample loss averaged over the batch.
///
/// Probabilities are clipped to `[ε, 1 - ε]` with `ε = 1e-7` before taking logarithms. When the
/// model's last activation is softmax (for the categorical cross-entropies) or sigmoid (for binary
/// cross-entropy), training uses the fused form instead: the loss is computed from the logits `z`
/// (as Keras's TensorFlow backend does) and its gradient with respect to `z` is simply
/// `(p - y) / N` — stable, and exact where clipping would cut the gradient off.
public enum Loss: String, CaseIterable, Sendable {
    /// `mean_j (p_j - y_j)²` per sample.
    case meanSquaredError = "mean_squared_error"
    /// `-Σ_j y_j log p_j` per sample, with one-hot (or soft) targets; `p` renormalised to sum to 1.
    case categoricalCrossentropy = "categorical_crossentropy"
    /// `-log p_label` per sample, with integer class targets.
    case sparseCategoricalCrossentropy = "sparse_categorical_crossentropy"
    /// `-mean_j [y_j log p_j + (1 - y_j) log(1 - p_j)]` per sample.
    case binaryCrossentropy = "binary_crossentropy"

    /// Looks up a loss by any name Keras uses for it (`mse`, `MeanSquaredError`, ...).
    public init?(kerasName name: String) {
        switch name {
        case "mse", "MSE", "MeanSquaredError", "mean_squared_error": self = .meanSquaredError
        case "CategoricalCrossentropy", "categorical_crossentropy": self = .categoricalCrossentropy
        case "SparseCategoricalCrossentropy", "sparse_categorical_crossentropy": self = .sparseCategoricalCrossentropy
        case "BinaryCrossentropy", "binary_crossentropy", "bce": self = .binaryCrossentropy
        default: return nil
        }
    }

    /// Every accepted name, for error messages.
    public static var supportedNames: [String] { allCases.map(\.rawValue) + ["mse"] }

    /// Whether targets are integer class indices (otherwise dense rows the width of the output).
    public var usesClassTargets: Bool { self == .sparseCategoricalCrossentropy }

    /// The output activation whose fused gradient this loss can use.
    public var fusedActivation: Activation? {
        switch self {
        case .categoricalCrossentropy, .sparseCategoricalCrossentropy: return .softmax
        case .binaryCrossentropy: return .sigmoid
        case .meanSquaredError: return nil
        }
    }
}
