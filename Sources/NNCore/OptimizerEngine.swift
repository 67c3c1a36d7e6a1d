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
                let a = slots[0].baseAddress!
                for i in lo..<hi {
                    a[i] += g[i] * g[i]
                    w[i] -= lr * g[i] / (a[i] + eps).squareRoot()
                }
            case .rmsprop:
                let v = slots[0].baseAddress!, rho = Float(c.rho)
                if slots.count > 1 {
                    let m = slots[1].baseAddress!, mu = Float(c.momentum)
                    for i in lo..<hi {
                        v[i] = rho * v[i] + (1 - rho) * g[i] * g[i]
                        m[i] = mu * m[i] + lr * g[i] / (v[i] + eps).squareRoot()
                        w[i] -= m[i]
                    }
                } else {
                    for i in lo..<hi {
                        v[i] = rho * v[i] + (1 - rho) * g[i] * g[i]
                        w[i] -= lr * g[i] / (v[i] + eps).squareRoot()
                    }
                }
            case .adam:
                let m = slots[0].baseAddress!, v = slots[1].baseAddress!
                let t = Float(iterations)
                let b1 = Float(c.beta1), b2 = Float(c.beta2)
                let alpha = lr * (1 - _pow(b2, t)).squareRoot() / (1 - _pow(b1, t))
                let k1 = 1 - b1, k2 = 1 - b2
                for i in lo..<hi {
                    let gi = g[i]
                    m[i] += (gi - m[i]) * k1
                    v[i] += (gi * gi - v[i]) * k2
                    w[i] -= alpha * m[i] / (v[i].squareRoot() + eps)
                }
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
