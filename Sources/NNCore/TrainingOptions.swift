/// How `Sequential.fit(_:options:validationData:progress:)` trains, with Keras's defaults.
public struct TrainingOptions: Sendable {
    /// Passes over the training data.
    public var epochs: Int = 5
    /// Samples per gradient step (Keras's default 32). Ignored by `OptimizerConfig.Kind.gd`,
    /// which steps once per epoch over the whole training set.
    public var batchSize: Int = 32
    /// The optimizer and its hyperparameters.
    public var optimizer = OptimizerConfig(.adam)
    /// The loss to minimise.
    public var loss: Loss = .sparseCategoricalCrossentropy
    /// Seeds shuffling and dropout (weight initialisation is seeded when the model is created).
    public var seed: UInt64 = TrainingOptions.defaultSeed
    /// Fraction of the training data (taken from the end, before shuffling) held out for validation.
    public var validationSplit: Double = 0
    /// Whether to reshuffle the training data every epoch.
    public var shuffle = true
    /// Threads that share the large Dense layers (each computes some of their blocks of input
    /// features and updates those kernel rows; at most four blocks, so more than four threads
    /// add nothing); `nil` means one per core. The trained weights are the same for every thread
    /// count. OpenBLAS itself always runs single-threaded inside the engine.
    public var threads: Int?
    /// Asked after every step; when it answers `true`, training stops after that step with
    /// ``TrainingError/interrupted(epoch:batch:of:)``, keeping the weights, optimizer state and
    /// history reached (the CLI's Ctrl-C).
    public var shouldStop: (@Sendable () -> Bool)?
    /// Called with the model as it is after every `checkpointEvery` epochs (not after the last).
    public var checkpoint: (@Sendable (Sequential) throws -> Void)?
    /// How many epochs between calls of ``checkpoint``.
    public var checkpointEvery = 1

    /// The most threads training, evaluation and prediction accept: four per core.
    public static var maximumThreads: Int { WorkerPool.maximumThreads }

    /// The largest batch accepted (the engine's buffers are checked against their own cap too).
    public static let maximumBatchSize = 1 << 24

    /// The seed used when none is given, by the library and the command line alike.
    public static let defaultSeed: UInt64 = 42

    public init(epochs: Int = 5, batchSize: Int = 32, optimizer: OptimizerConfig = OptimizerConfig(.adam),
                loss: Loss = .sparseCategoricalCrossentropy, seed: UInt64 = TrainingOptions.defaultSeed, validationSplit: Double = 0) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.loss = loss
        self.seed = seed
        self.validationSplit = validationSplit
    }

    /// Checks every option's range.
    public func validate() throws(TrainingError) {
        guard epochs >= 1, epochs <= History.maximumLength else {
            throw .invalidOption(name: "epochs", value: "\(epochs)", expected: "1 to \(History.maximumLength)")
        }
        guard batchSize >= 1, batchSize <= TrainingOptions.maximumBatchSize else {
            throw .invalidOption(name: "batch size", value: "\(batchSize)", expected: "1 to \(TrainingOptions.maximumBatchSize)")
        }
        guard validationSplit >= 0, validationSplit < 1 else {
            throw .invalidOption(name: "validation split", value: "\(validationSplit)", expected: "a fraction in [0, 1)")
        }
        guard checkpointEvery >= 1 else {
            throw .invalidOption(name: "checkpoint interval", value: "\(checkpointEvery)", expected: "at least 1 epoch")
        }
        if let threads, !(1...TrainingOptions.maximumThreads).contains(threads) {
            throw .invalidOption(name: "threads", value: "\(threads)", expected: "1 to \(TrainingOptions.maximumThreads)")
        }
        do { try optimizer.validate() } catch {
            if case let .invalidHyperparameter(name, value, expected) = error {
                throw .invalidOption(name: name, value: value, expected: expected)
            }
            throw .invalidOption(name: "optimizer", value: optimizer.kind.rawValue, expected: error.description)
        }
    }
}

/// Progress reported while training.
public enum TrainingEvent: Sendable {
    /// An epoch starts; `batches` steps will follow.
    case epochStarted(epoch: Int, of: Int, batches: Int)
    /// A step finished; `loss` and `accuracy` are running means over the epoch so far.
    case batchFinished(epoch: Int, batch: Int, of: Int, loss: Double, accuracy: Double?)
    /// An epoch finished, validation included.
    case epochFinished(EpochRecord)
}
