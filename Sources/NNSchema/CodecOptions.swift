/// How a codec reads a model file.
public struct ReadOptions: Sendable {
    /// Check the stored checksums (formats that have them).
    public var verify: Bool
    /// The architecture to load the weights into: required for weights-only files, and used
    /// instead of the file's own by formats whose weights can be matched to another architecture.
    public var architecture: ModelArchitecture?

    public init(verify: Bool = true, architecture: ModelArchitecture? = nil) {
        self.verify = verify
        self.architecture = architecture
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

    public init(dtype: DType? = nil, producer: String, includeOptimizer: Bool = true) {
        self.dtype = dtype
        self.producer = producer
        self.includeOptimizer = includeOptimizer
    }
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
