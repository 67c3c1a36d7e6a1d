/// The configuration of Keras's `ReLU` layer:
/// `f(x) = min(x, maxValue)` for `x > threshold`, `min(negativeSlope · (x - threshold), maxValue)`
/// otherwise (so `f(threshold) = 0`, as in Keras).
public struct ReLULayer: Sendable, Equatable {
    /// The largest output, or `nil` for none.
    public var maxValue: Double?
    /// The slope below the threshold.
    public var negativeSlope: Double
    /// Where the slope changes.
    public var threshold: Double

    public init(maxValue: Double? = nil, negativeSlope: Double = 0, threshold: Double = 0) {
        self.maxValue = maxValue
        self.negativeSlope = negativeSlope
        self.threshold = threshold
    }
}

/// The configuration of a `PReLU` layer: `f(x) = x` for `x ≥ 0`, `alpha · x` otherwise, with a
/// learned `alpha` shaped like one sample except along `sharedAxes` (1-based, as Keras counts
/// them after the batch axis), where it has size 1.
public struct PReLU: Sendable, Equatable {
    /// The axes (1 = the first axis after the batch) that share one alpha.
    public var sharedAxes: [Int]
    /// How alpha is filled before training.
    public var alphaInitializer: Initializer

    public init(sharedAxes: [Int] = [], alphaInitializer: Initializer = .zeros) {
        self.sharedAxes = sharedAxes
        self.alphaInitializer = alphaInitializer
    }

    /// The shape of alpha for samples of shape `input`.
    public func alphaShape(input: [Int]) -> [Int] {
        var shape = input
        for axis in sharedAxes where axis >= 1 && axis <= shape.count { shape[axis - 1] = 1 }
        return shape
    }
}
