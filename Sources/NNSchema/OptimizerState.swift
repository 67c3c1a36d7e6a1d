/// The optimizer's memory between steps: the step count and one tensor per slot and trainable weight.
public struct OptimizerState: Sendable, Equatable {
    /// The optimizer and hyperparameters that produced the state.
    public var config: OptimizerConfig
    /// Steps taken so far (Keras's `iterations`), at most ``maximumIterations``.
    public var iterations: Int
    /// The largest step count a model file records: JSON numbers are exact integers up to here.
    public static let maximumIterations = 9_000_000_000_000_000
    /// `slots[s][w]`: slot ``OptimizerConfig/slotNames``[s] of trainable weight `w`, shaped like it.
    public var slots: [[Tensor]]

    public init(config: OptimizerConfig, iterations: Int, slots: [[Tensor]]) {
        self.config = config
        self.iterations = iterations
        self.slots = slots
    }
}
