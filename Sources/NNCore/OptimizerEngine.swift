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
    let trainableRanges: [Range<Int>]

    init(config: OptimizerConfig, parameterCount: Int, trainableRanges: [Range<Int>]) {
        self.config = config
        self.trainableRanges = trainableRanges
        iterations = 0
        slots = config.slotNames.map { name in
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: parameterCount)
            b.initialize(repeating: config.initialValue(ofSlot: name))
            return b
        }
    }

    deinit { for s in slots { s.deallocate() } }

    /// Restores slot values and the step count from a saved state.
    func restore(iterations: Int, slotValues: [[UnsafeBufferPointer<Float>]]) {
        self.iterations = iterations
        for (s, perWeight) in slotValues.enumerated() {
            for (range, values) in zip(trainableRanges, perWeight) {
                _ = UnsafeMutableBufferPointer(rebasing: slots[s][range]).initialize(from: values)
            }
        }
    }

    /// Performs one update of every trainable weight.
    func step(weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>) {
        let c = config
        let lr = Float(c.learningRate), eps = Float(c.epsilon)
        iterations += 1
        for range in trainableRanges {
            let lo = range.lowerBound, hi = range.upperBound
            switch c.kind {
            case .gd, .sgd:
                for i in lo..<hi { w[i] -= lr * g[i] }
            case .momentum:
                let m = slots[0].baseAddress!, mu = Float(c.momentum)
                if c.nesterov {
                    for i in lo..<hi { m[i] = mu * m[i] - lr * g[i]; w[i] += mu * m[i] - lr * g[i] }
                } else {
                    for i in lo..<hi { m[i] = mu * m[i] - lr * g[i]; w[i] += m[i] }
                }
            case .adagrad:
                nn_adagrad(w + lo, g + lo, slots[0].baseAddress! + lo, hi - lo, lr, eps)
            case .rmsprop:
                if slots.count > 1 {
                    nn_rmsprop_momentum(w + lo, g + lo, slots[0].baseAddress! + lo, slots[1].baseAddress! + lo, hi - lo,
                                        lr, Float(c.rho), Float(c.momentum), eps)
                } else {
                    nn_rmsprop(w + lo, g + lo, slots[0].baseAddress! + lo, hi - lo, lr, Float(c.rho), eps)
                }
            case .adam:
                let t = Float(iterations)
                let b1 = Float(c.beta1), b2 = Float(c.beta2)
                let alpha = lr * (1 - _pow(b2, t)).squareRoot() / (1 - _pow(b1, t))
                nn_adam(w + lo, g + lo, slots[0].baseAddress! + lo, slots[1].baseAddress! + lo, hi - lo, alpha, 1 - b1, 1 - b2, eps)
            }
        }
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
