/// What a file format can hold, so that a save refuses what the target cannot store instead of
/// dropping it.
public struct FormatCapabilities: Sendable, Equatable {
    /// Whether a file of the format always, sometimes or never carries the model's architecture.
    public enum ArchitectureStorage: Sendable, Equatable {
        /// Every file holds it.
        case always
        /// Some layouts of the format hold weights only (the architecture must be given separately).
        case sometimes
        /// Files hold weights only.
        case never
    }

    /// Whether nnmodel writes the format.
    public var canWrite: Bool
    /// The dtypes a written file can store its weights in (empty when the format is read-only).
    public var writableDTypes: [DType]
    /// Where files of the format keep the architecture.
    public var architecture: ArchitectureStorage
    /// Whether a written file keeps the optimizer state, so training can resume from it.
    public var optimizerState: Bool
    /// Whether files carry checksums of their tensors.
    public var checksums: Bool

    public init(canWrite: Bool, writableDTypes: [DType], architecture: ArchitectureStorage, optimizerState: Bool,
                checksums: Bool) {
        self.canWrite = canWrite
        self.writableDTypes = writableDTypes
        self.architecture = architecture
        self.optimizerState = optimizerState
        self.checksums = checksums
    }
}
