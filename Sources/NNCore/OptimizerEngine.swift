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
    /// Owns the slot memory.
    private let slotBuffers: [FloatBuffer]
    let trainableRanges: [Range<Int>]

    init(config: OptimizerConfig, parameterCount: Int, trainableRanges: [Range<Int>]) {
        self.config = config
        self.trainableRanges = trainableRanges
        iterations = 0
        slotBuffers = config.slotNames.map { FloatBuffer(count: parameterCount, initialValue: config.initialValue(ofSlot: $0)) }
        slot = slotBuffers.map(\.pointer)
        slots = slot.map { UnsafeMutableBufferPointer(start: $0, count: parameterCount) }
    }


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

    /// Counts a step and computes its scalars; call before ``apply(weights:gradients:blocks:)``.
    func beginStep() {
        iterations += 1
        let c = config
        stepSize = Float(c.learningRate)
        if c.kind == .adam {
            let t = Float(iterations), b1 = Float(c.beta1), b2 = Float(c.beta2)
            stepSize = Float(c.learningRate) * (1 - _pow(b2, t)).squareRoot() / (1 - _pow(b1, t))
        }
    }

    /// Applies the current step to the weights of `blocks` (parts of trainable weights in the
    /// flat buffer), reading gradients at the same offsets of `g`. Disjoint blocks may be applied
    /// concurrently.
    func apply(weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, blocks: [ParameterBlock]) {
        for b in blocks { apply(weights: w, gradient: g + b.offset, at: b) }
    }

    /// Applies the current step to the weights of one block, reading its gradient from `g`, which
    /// points at the block's first gradient and has the block's row stride.
    func apply(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, at b: ParameterBlock) {
        guard b.rows > 0, b.columns > 0 else { return }
        let c = config
        let lr = stepSize, eps = Float(c.epsilon)
        let o = b.offset, rows = b.rows, cols = b.columns, stride = b.stride
        switch c.kind {
        case .gd, .sgd:
            nn_sgd(w + o, g, rows, cols, stride, lr)
        case .momentum:
            nn_momentum(w + o, g, slot[0] + o, rows, cols, stride, lr, Float(c.momentum), c.nesterov ? 1 : 0)
        case .adagrad:
            nn_adagrad(w + o, g, slot[0] + o, rows, cols, stride, lr, eps)
        case .rmsprop:
            if slot.count > 1 {
                nn_rmsprop_momentum(w + o, g, slot[0] + o, slot[1] + o, rows, cols, stride,
                                    lr, Float(c.rho), Float(c.momentum), eps)
            } else {
                nn_rmsprop(w + o, g, slot[0] + o, rows, cols, stride, lr, Float(c.rho), eps)
            }
        case .adam:
            nn_adam(w + o, g, slot[0] + o, slot[1] + o, rows, cols, stride, lr, 1 - Float(c.beta1), 1 - Float(c.beta2), eps)
        }
    }

    /// Performs one whole update of every trainable weight.
    func step(weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>) {
        beginStep()
        apply(weights: w, gradients: g, blocks: trainableRanges.map(ParameterBlock.init(range:)))
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
