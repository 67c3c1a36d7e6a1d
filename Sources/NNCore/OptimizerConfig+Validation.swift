extension OptimizerConfig {
    /// The initial value of slot `name`.
    func initialValue(ofSlot name: String) -> Float {
        kind == .adagrad && name == "accumulator" ? Float(initialAccumulatorValue) : 0
    }
}
