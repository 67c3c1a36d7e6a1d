/// Which reduction a pooling layer applies.
public enum PoolingMode: String, Sendable, Equatable {
    /// The largest value of each window.
    case max
    /// The mean of each window (with `same` padding, of the window's positions inside the input).
    case average
}

/// The configuration of `MaxPooling2D` or `AveragePooling2D` over channels-last images.
public struct Pooling2D: Sendable, Equatable {
    /// The reduction.
    public var mode: PoolingMode
    /// Window height and width.
    public var poolSize: [Int]
    /// Steps between windows (Keras's default: the pool size).
    public var strides: [Int]
    /// Edge treatment.
    public var padding: Padding

    public init(mode: PoolingMode, poolSize: [Int] = [2, 2], strides: [Int]? = nil, padding: Padding = .valid) {
        self.mode = mode
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
    }
}

/// The configuration of `GlobalMaxPooling2D` or `GlobalAveragePooling2D`: one value per channel.
public struct GlobalPooling2D: Sendable, Equatable {
    /// The reduction over height and width.
    public var mode: PoolingMode
    /// Whether the output keeps the spatial axes as size 1 (`[1, 1, channels]`) rather than `[channels]`.
    public var keepDims: Bool

    public init(mode: PoolingMode, keepDims: Bool = false) {
        self.mode = mode
        self.keepDims = keepDims
    }
}
