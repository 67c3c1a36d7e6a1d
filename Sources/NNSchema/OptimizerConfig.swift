/// An optimizer and its hyperparameters, with Keras 3's update rules and defaults.
///
/// For a weight `w` with gradient `g` at step `t` (counting from 1), learning rate `η`:
/// - ``Kind/gd``: full-batch gradient descent, `w ← w - η g` with `g` over the whole training set
///   (the batch size is the dataset size). Default `η = 0.01`.
/// - ``Kind/sgd``: `w ← w - η g` per mini-batch. Default `η = 0.01`.
/// - ``Kind/momentum``: SGD with momentum `μ = 0.9`: `m ← μ m - η g`, then `w ← w + m`, or with
///   Nesterov `w ← w + μ m - η g`. Default `η = 0.01`.
/// - ``Kind/adagrad``: `a ← a + g²`, `w ← w - η g / √(a + ε)`, `a₀ = 0.1`, `ε = 1e-7`, `η = 0.001`
///   (Duchi, Hazan & Singer, 2011).
/// - ``Kind/rmsprop``: `v ← ρ v + (1 - ρ) g²`, `Δ = η g / √(v + ε)`, `w ← w - Δ` (or with momentum
///   `μ > 0`: `m ← μ m + Δ`, `w ← w - m`); `ρ = 0.9`, `ε = 1e-7`, `η = 0.001` (Hinton, 2012).
/// - ``Kind/adam``: `m ← m + (g - m)(1 - β₁)`, `v ← v + (g² - v)(1 - β₂)`,
///   `α = η √(1 - β₂ᵗ) / (1 - β₁ᵗ)`, `w ← w - α m / (√v + ε)`; `β₁ = 0.9`, `β₂ = 0.999`,
///   `ε = 1e-7`, `η = 0.001` (Kingma & Ba, 2015, with Keras's placement of ε).
public struct OptimizerConfig: Sendable, Equatable {
    /// The update rule.
    public enum Kind: String, CaseIterable, Sendable {
        case gd, sgd, momentum, adagrad, rmsprop, adam
    }

    public var kind: Kind
    /// The step size `η`.
    public var learningRate: Double
    /// Momentum `μ` (SGD momentum and RMSprop momentum).
    public var momentum: Double
    /// Nesterov momentum for ``Kind/momentum``.
    public var nesterov: Bool
    /// Adam's first-moment decay `β₁`.
    public var beta1: Double
    /// Adam's second-moment decay `β₂`.
    public var beta2: Double
    /// The stability constant `ε`.
    public var epsilon: Double
    /// RMSprop's decay `ρ`.
    public var rho: Double
    /// Adagrad's starting accumulator value.
    public var initialAccumulatorValue: Double

    /// Keras's defaults for `kind`.
    public init(_ kind: Kind, learningRate: Double? = nil) {
        self.kind = kind
        switch kind {
        case .gd, .sgd, .momentum: self.learningRate = 0.01
        case .adagrad, .rmsprop, .adam: self.learningRate = 0.001
        }
        if let learningRate { self.learningRate = learningRate }
        momentum = kind == .momentum ? 0.9 : 0
        nesterov = false
        beta1 = 0.9
        beta2 = 0.999
        epsilon = 1e-7
        rho = 0.9
        initialAccumulatorValue = 0.1
    }

    /// The per-weight state each step keeps, in order.
    public var slotNames: [String] {
        switch kind {
        case .gd, .sgd: return []
        case .momentum: return ["momentum"]
        case .adagrad: return ["accumulator"]
        case .rmsprop: return momentum > 0 ? ["velocity", "momentum"] : ["velocity"]
        case .adam: return ["momentum", "velocity"]
        }
    }

    /// Checks that every hyperparameter is in range.
    public func validate() throws(ModelConfigError) {
        func check(_ name: String, _ value: Double, _ ok: Bool, _ expected: String) throws(ModelConfigError) {
            if !ok || !value.isFinite { throw .invalidHyperparameter(name: name, value: "\(value)", expected: expected) }
        }
        try check("learning rate", learningRate, learningRate > 0, "a positive number")
        try check("momentum", momentum, momentum >= 0 && momentum < 1, "a number in [0, 1)")
        try check("beta_1", beta1, beta1 >= 0 && beta1 < 1, "a number in [0, 1)")
        try check("beta_2", beta2, beta2 >= 0 && beta2 < 1, "a number in [0, 1)")
        try check("epsilon", epsilon, epsilon >= 0, "a non-negative number")
        try check("rho", rho, rho >= 0 && rho < 1, "a number in [0, 1)")
        try check("initial_accumulator_value", initialAccumulatorValue, initialAccumulatorValue >= 0, "a non-negative number")
    }
}
