import NNSchema

/// Where Keras 3 keeps an optimizer's state in a weights store: `optimizer/vars/<i>`, in the order
/// of the optimizer's `variables`.
///
/// Variable 0 is the step count (`iteration`, int64 scalar) and variable 1 the learning rate
/// (float32 scalar); the per-weight slots follow, one per trainable weight in model order. Adam
/// creates its two slots together, so they interleave (momentum and velocity of the first
/// weight, then of the second, ...); RMSprop creates its velocities, then its momentums, each a
/// block; SGD with momentum and Adagrad have one block. nnmodel's optimizers follow Keras 3's
/// update rules and slot definitions, so its state maps onto these variables one to one and
/// Keras resumes training from it.
enum KerasOptimizerVariables {
    /// The variables before the slots (`iteration`, `learning_rate`).
    static let leadingCount = 2

    /// For each slot variable in Keras's order: the index of its slot (in
    /// ``OptimizerConfig/slotNames``) and of its trainable weight.
    static func order(_ config: OptimizerConfig, trainableWeights: Int) -> [(slot: Int, weight: Int)] {
        let slots = config.slotNames.count
        if config.kind == .adam {
            return (0..<trainableWeights).flatMap { w in (0..<slots).map { (slot: $0, weight: w) } }
        }
        return (0..<slots).flatMap { s in (0..<trainableWeights).map { (slot: s, weight: $0) } }
    }
}
