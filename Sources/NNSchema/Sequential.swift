/// A Sequential model: an architecture, its weights, and what is known about how it was trained.
///
/// This is the value every format reads and writes. The engine (NNCore) adds creation with
/// fresh weights, training, prediction and evaluation:
///
/// ```swift
/// var model = try Sequential(.seed(), seed: 42)
/// let history = try model.fit(trainingData, options: TrainingOptions(epochs: 5))
/// let probabilities = try model.predict(testData.featureTensor())
/// ```
public struct Sequential: Sendable {
    /// The layers and input shape.
    public let architecture: ModelArchitecture
    /// One tensor per ``WeightSpec`` of the architecture, in the same order (kernel before bias).
    public package(set) var weights: [Tensor]
    /// The optimizer's state after the last training run, so training can resume.
    public var optimizerState: OptimizerState?
    /// Class names, history, training configuration and provenance.
    public var metadata: ModelMetadata

    /// A model from existing weights, checking each against the architecture.
    ///
    /// - Throws: ``ModelConfigError`` when the architecture is invalid, ``WeightsError`` when a
    ///   weight is missing or misshapen or the optimizer state does not match.
    public init(architecture: ModelArchitecture, weights: [Tensor], optimizerState: OptimizerState? = nil,
                metadata: ModelMetadata = ModelMetadata()) throws {
        let specs = try architecture.weightSpecs()
        try Sequential.check(weights, against: specs)
        if let state = optimizerState { try Sequential.check(state, against: specs) }
        self.architecture = architecture
        self.weights = weights
        self.optimizerState = optimizerState
        self.metadata = metadata
    }

    /// Checks that `weights` are the tensors `specs` describe, in order.
    package static func check(_ weights: [Tensor], against specs: [WeightSpec]) throws(WeightsError) {
        try check(shapes: weights.map(\.shape), against: specs)
    }

    /// Checks that an optimizer state holds one tensor per slot and trainable weight, shaped alike.
    package static func check(_ state: OptimizerState, against specs: [WeightSpec]) throws(WeightsError) {
        try check(optimizer: state.config, iterations: state.iterations, slotShapes: state.slots.map { $0.map(\.shape) },
                  against: specs)
    }

    /// Checks weights by their shapes alone (as `check(_:against:)` checks tensors), for tensors not read yet.
    package static func check(shapes: [[Int]], against specs: [WeightSpec]) throws(WeightsError) {
        for (i, spec) in specs.enumerated() {
            guard i < shapes.count else { throw .missing(name: spec.name, expected: spec.shape) }
            guard shapes[i] == spec.shape else {
                throw .shapeMismatch(name: spec.name, expected: spec.shape, found: shapes[i])
            }
        }
        guard shapes.count == specs.count else { throw .countMismatch(expected: specs.count, found: shapes.count) }
    }

    /// Checks an optimizer state given by its configuration, step count and slot shapes
    /// (`slotShapes[s][w]`): one tensor per slot and trainable weight, shaped alike.
    package static func check(optimizer config: OptimizerConfig, iterations: Int, slotShapes: [[[Int]]],
                              against specs: [WeightSpec]) throws(WeightsError) {
        let trainable = specs.filter(\.trainable)
        guard slotShapes.count == config.slotNames.count else {
            throw .optimizerStateMismatch("\(config.kind.rawValue) keeps \(config.slotNames.count) slots per weight, found \(slotShapes.count)")
        }
        for (s, slot) in slotShapes.enumerated() {
            guard slot.count == trainable.count else {
                throw .optimizerStateMismatch("slot '\(config.slotNames[s])' has \(slot.count) tensors for \(trainable.count) trainable weights")
            }
            for (shape, spec) in zip(slot, trainable) where shape != spec.shape {
                throw .optimizerStateMismatch("slot '\(config.slotNames[s])' of '\(spec.name)' has shape \(shape), expected \(spec.shape)")
            }
        }
        guard iterations >= 0, iterations <= OptimizerState.maximumIterations else {
            throw .optimizerStateMismatch("iteration count \(iterations) outside 0...\(OptimizerState.maximumIterations)")
        }
    }

    /// The weight specs of the architecture, in the order of ``weights``.
    public var weightSpecs: [WeightSpec] { (try? architecture.weightSpecs()) ?? [] }

    /// The weight named `name` (`"dense/kernel"`), if there is one.
    public func weight(named name: String) -> Tensor? {
        weightSpecs.firstIndex { $0.name == name }.map { weights[$0] }
    }

    /// Replaces the weights, checking shapes.
    public mutating func setWeights(_ newWeights: [Tensor]) throws {
        self = try Sequential(architecture: architecture, weights: newWeights, optimizerState: optimizerState, metadata: metadata)
    }

    /// Number of trainable and non-trainable weights.
    public var parameterCount: (trainable: Int, nonTrainable: Int) {
        var t = 0, n = 0
        for (spec, w) in zip(weightSpecs, weights) {
            if spec.trainable { t += w.count } else { n += w.count }
        }
        return (t, n)
    }
}
