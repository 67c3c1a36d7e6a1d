/// How a codec reads a model file.
public struct ReadOptions: Sendable {
    /// Check the stored checksums (formats that have them).
    public var verify: Bool
    /// The architecture to load the weights into: required for weights-only files, and used
    /// instead of the file's own by formats whose weights can be matched to another architecture.
    public var architecture: ModelArchitecture?
    /// Keep the optimizer state too, where the file has one. Without it (inference), a codec need
    /// not load the slot tensors (it still checks them when verifying), and the model has none.
    public var optimizerState: Bool

    public init(verify: Bool = true, architecture: ModelArchitecture? = nil, optimizerState: Bool = true) {
        self.verify = verify
        self.architecture = architecture
        self.optimizerState = optimizerState
    }
}

/// How a codec writes a model file.
public struct WriteOptions: Sendable {
    /// The dtype to store the weights in; `nil` for the format's default (see each codec).
    public var dtype: DType?
    /// Recorded as the writing program (`"nnmodel 0.1.0"`).
    public var producer: String
    /// Also store the optimizer state, where the format can.
    public var includeOptimizer: Bool
    /// How formats that are a flat map of named tensors (safetensors) name and lay out the weights.
    public var naming: TensorNaming

    public init(dtype: DType? = nil, producer: String, includeOptimizer: Bool = true, naming: TensorNaming = .keras) {
        self.dtype = dtype
        self.producer = producer
        self.includeOptimizer = includeOptimizer
        self.naming = naming
    }
}

/// How weights are named and laid out in a flat map of tensors.
public enum TensorNaming: String, Sendable, CaseIterable {
    /// Keras's names and layout: `dense/kernel` as `[inputs, units]`, `dense/bias`.
    case keras
    /// The equivalent PyTorch `nn.Sequential`'s `state_dict`: `1.weight` as `[units, inputs]`,
    /// `1.bias`, where the index counts every module (Flatten, Linear, each activation, Dropout).
    case torch
}

/// How a codec inspects a model file.
public struct InspectOptions: Sendable {
    /// Read every tensor and check its checksum.
    public var verify: Bool
    /// Compute statistics of every tensor's values.
    public var statistics: Bool
    /// The architecture for weights-only files.
    public var architecture: ModelArchitecture?

    public init(verify: Bool = true, statistics: Bool = false, architecture: ModelArchitecture? = nil) {
        self.verify = verify
        self.statistics = statistics
        self.architecture = architecture
    }
}
