internal import CKernels

/// Applies an optimizer's update rule to a flat buffer of weights, in place.
///
/// Weights and gradients are laid out contiguously (see ``ParameterLayout``); the optimizer's
/// slots share that layout, so each step is one pass over memory per trainable range.
final class OptimizerEngine {
    let config: OptimizerConfig
    private(set) var iterations: Int
    /// One buffer per slot, the size of the whole parameter buffer.
    let slots: [UnsafeMutableBufferPointer<Float>]
    /// The slot buffers' first elements.
    private let slot: [UnsafeMutablePointer<Float>]
    let trainableRanges: [Range<Int>]

    init(config: OptimizerConfig, parameterCount: Int, trainableRanges: [Range<Int>]) {
        self.config = config
        self.trainableRanges = trainableRanges
        iterations = 0
        let pointers = config.slotNames.map { name in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, parameterCount))
            p.initialize(repeating: config.initialValue(ofSlot: name), count: max(1, parameterCount))
            return p
        }
        slot = pointers
        slots = pointers.map { UnsafeMutableBufferPointer(start: $0, count: parameterCount) }
    }

    deinit { for p in slot { p.deallocate() } }

    /// Restores slot values and the step count from a saved state.
    func restore(iterations: Int, slotValues: [[UnsafeBufferPointer<Float>]]) {
        self.iterations = iterations
        for (s, perWeight) in slotValues.enumerated() {
            for (range, values) in zip(trainableRanges, perWeight) {
                _ = UnsafeMutableBufferPointer(rebasing: slots[s][range]).initialize(from: values)
            }
        }
    }

    /// Scalars of the current step, computed once by ``beginStep()``.
    private var stepSize: Float = 0

    /// Counts a step and computes its scalars; call before ``apply(weights:gradients:within:)``.
    func beginStep() {
        iterations += 1
        let c = config
        stepSize = Float(c.learningRate)
        if c.kind == .adam {
            let t = Float(iterations), b1 = Float(c.beta1), b2 = Float(c.beta2)
            stepSize = Float(c.learningRate) * (1 - _pow(b2, t)).squareRoot() / (1 - _pow(b1, t))
        }
    }

    /// Applies the current step to the trainable weights that lie within `partition` of the
    /// flat buffer, with the gradient `g + extra` (the sum of two workers' gradients, added on the
    /// fly where the update rule allows, else into `g` first). Disjoint partitions may be applied
    /// concurrently.
    func apply(weights w: UnsafeMutablePointer<Float>, gradients g: UnsafeMutablePointer<Float>,
               adding extra: UnsafePointer<Float>?, within partition: Range<Int>) {
        if let extra, config.kind == .adam {
            for trainable in trainableRanges {
                let range = trainable.clamped(to: partition)
                guard !range.isEmpty else { continue }
                let lo = range.lowerBound
                nn_adam_sum2(w + lo, g + lo, extra + lo, slot[0] + lo, slot[1] + lo, range.count,
                             stepSize, 1 - Float(config.beta1), 1 - Float(config.beta2), Float(config.epsilon))
            }
            return
        }
        if let extra, !partition.isEmpty {
            let end = min(partition.upperBound, trainableRanges.last?.upperBound ?? 0)
            if end > partition.lowerBound { nn_add(g + partition.lowerBound, extra + partition.lowerBound, end - partition.lowerBound) }
        }
        apply(weights: w, gradients: g, within: partition)
    }

    /// Applies the current step to the trainable weights that lie within `partition` of the
    /// flat buffer. Disjoint partitions may be applied concurrently.
    func apply(weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, within partition: Range<Int>) {
        let c = config
        let lr = stepSize, eps = Float(c.epsilon)
        for trainable in trainableRanges {
            let range = trainable.clamped(to: partition)
            guard !range.isEmpty else { continue }
            let lo = range.lowerBound, n = range.count
            switch c.kind {
            case .gd, .sgd:
                nn_sgd(w + lo, g + lo, n, lr)
            case .momentum:
                nn_momentum(w + lo, g + lo, slot[0] + lo, n, lr, Float(c.momentum), c.nesterov ? 1 : 0)
            case .adagrad:
                nn_adagrad(w + lo, g + lo, slot[0] + lo, n, lr, eps)
            case .rmsprop:
                if slot.count > 1 {
                    nn_rmsprop_momentum(w + lo, g + lo, slot[0] + lo, slot[1] + lo, n,
                                        lr, Float(c.rho), Float(c.momentum), eps)
                } else {
                    nn_rmsprop(w + lo, g + lo, slot[0] + lo, n, lr, Float(c.rho), eps)
                }
            case .adam:
                nn_adam(w + lo, g + lo, slot[0] + lo, slot[1] + lo, n, lr,
                        1 - Float(c.beta1), 1 - Float(c.beta2), eps)
            }
        }
    }

    /// Performs one whole update of every trainable weight.
    func step(weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>) {
        beginStep()
        apply(weights: w, gradients: g, within: 0..<Int.max)
    }

    /// The current state, one tensor per slot and trainable weight.
    func state(shapes: [[Int]]) -> OptimizerState {
        let perSlot = slots.map { slot in
            zip(trainableRanges, shapes).map { range, shape in
                Tensor(shape: shape, values: Array(slot[range]))
            }
        }
        return OptimizerState(config: config, iterations: iterations, slots: perSlot)
    }
}
