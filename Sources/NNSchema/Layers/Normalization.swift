/// The configuration of a `BatchNormalization` layer over the last (channel) axis.
///
/// In training, each channel is normalized with the batch's mean and (biased) variance, and the
/// moving statistics move towards them: `moving = moving · momentum + batch · (1 - momentum)`.
/// At inference, `y = gamma · (x - moving_mean) / √(moving_variance + epsilon) + beta`.
/// Weights, in Keras's order: `gamma` (when `scale`), `beta` (when `center`), `moving_mean`,
/// `moving_variance` (the last two never trainable).
public struct BatchNormalization: Sendable, Equatable {
    public var momentum: Double
    public var epsilon: Double
    /// Whether the layer adds `beta`.
    public var center: Bool
    /// Whether the layer multiplies by `gamma`.
    public var scale: Bool
    public var betaInitializer: Initializer
    public var gammaInitializer: Initializer
    public var movingMeanInitializer: Initializer
    public var movingVarianceInitializer: Initializer

    public init(
        momentum: Double = 0.99, epsilon: Double = 1e-3, center: Bool = true, scale: Bool = true,
        betaInitializer: Initializer = .zeros, gammaInitializer: Initializer = .ones,
        movingMeanInitializer: Initializer = .zeros, movingVarianceInitializer: Initializer = .ones
    ) {
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.betaInitializer = betaInitializer
        self.gammaInitializer = gammaInitializer
        self.movingMeanInitializer = movingMeanInitializer
        self.movingVarianceInitializer = movingVarianceInitializer
    }
}

/// The configuration of a `LayerNormalization` layer over the last axis of each sample position:
/// `y = gamma · (x - mean) / √(variance + epsilon) + beta`, with the mean and (biased) variance
/// taken over the last axis. Weights: `gamma` (when `scale`), then `beta` (when `center`).
public struct LayerNormalization: Sendable, Equatable {
    public var epsilon: Double
    public var center: Bool
    public var scale: Bool
    public var betaInitializer: Initializer
    public var gammaInitializer: Initializer

    public init(epsilon: Double = 1e-3, center: Bool = true, scale: Bool = true,
                betaInitializer: Initializer = .zeros, gammaInitializer: Initializer = .ones) {
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.betaInitializer = betaInitializer
        self.gammaInitializer = gammaInitializer
    }
}
