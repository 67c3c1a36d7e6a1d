extension Activation {
    /// SELU's `α` and `λ` and leaky ReLU's default slope, as Keras 3 defines them.
    static let seluAlpha: Float = 1.67326324
    static let seluScale: Float = 1.05070098
    static let leakySlope: Float = 0.2
}

// MARK: - Scalar definitions

extension Activation {
    @inline(__always) static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + _exp(-x)) }
        let e = _exp(x)
        return e / (1 + e)
    }

    @inline(__always) static func softplus(_ x: Float) -> Float {
        max(x, 0) + _log1p(_exp(-abs(x)))
    }

    @inline(__always) static func hardSigmoid(_ x: Float) -> Float {
        min(max(x / 6 + 0.5, 0), 1)
    }

    /// `f(x)` for every element-wise activation (softmax is handled row-wise).
    @inline(__always) func scalar(_ x: Float) -> Float {
        switch self {
        case .linear, .softmax: return x
        case .relu: return !(x <= 0) ? x : 0  // NaN stays NaN, as max(x, 0) in Keras, NumPy and PyTorch
        case .sigmoid: return Activation.sigmoid(x)
        case .tanh: return _tanh(x)
        case .elu: return x > 0 ? x : _expm1(x)
        case .selu: return x > 0 ? Activation.seluScale * x : Activation.seluScale * Activation.seluAlpha * _expm1(x)
        case .gelu: return 0.5 * x * (1 + _erf(x * 0.70710678118654752))
        case .softplus: return Activation.softplus(x)
        case .softsign: return x / (1 + abs(x))
        case .swish: return x * Activation.sigmoid(x)
        case .leakyRelu: return x > 0 ? x : Activation.leakySlope * x
        case .exponential: return _exp(x)
        case .hardSigmoid: return Activation.hardSigmoid(x)
        case .relu6: return min(max(x, 0), 6)
        case .hardSilu: return x * Activation.hardSigmoid(x)
        case .mish: return x * _tanh(Activation.softplus(x))
        }
    }

    /// `f'(x)` given the input `x` and the output `y = f(x)` (softmax is handled row-wise).
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float {
        switch self {
        case .linear, .softmax: return 1
        case .relu: return x > 0 ? 1 : 0
        case .sigmoid: return y * (1 - y)
        case .tanh: return 1 - y * y
        case .elu: return x > 0 ? 1 : y + 1
        case .selu: return x > 0 ? Activation.seluScale : y + Activation.seluScale * Activation.seluAlpha
        case .gelu:
            let cdf = 0.5 * (1 + _erf(x * 0.70710678118654752))
            let pdf = _exp(-0.5 * x * x) * 0.39894228040143268
            return cdf + x * pdf
        case .softplus: return Activation.sigmoid(x)
        case .softsign:
            let d = 1 + abs(x)
            return 1 / (d * d)
        case .swish:
            let s = Activation.sigmoid(x)
            return s + x * s * (1 - s)
        case .leakyRelu: return x > 0 ? 1 : Activation.leakySlope
        case .exponential: return y
        case .hardSigmoid: return (x > -3 && x < 3) ? 1.0 / 6.0 : 0
        case .relu6: return (x > 0 && x < 6) ? 1 : 0
        case .hardSilu: return Activation.hardSigmoid(x) + ((x > -3 && x < 3) ? x / 6 : 0)
        case .mish:
            let sp = Activation.softplus(x)
            let t = _tanh(sp)
            return t + x * (1 - t * t) * Activation.sigmoid(x)
        }
    }
}

// MARK: - Buffers

extension Activation {
    /// Applies the activation to a row-major `[rows, columns]` matrix, from `input` into `output`
    /// (which may be the same memory).
    package func apply(
        _ input: UnsafePointer<Float>, to output: UnsafeMutablePointer<Float>, rows: Int, columns: Int
    ) {
        let n = rows * columns
        switch self {
        case .linear:
            if UnsafePointer(output) != input { output.update(from: input, count: n) }
        case .relu:
            for i in 0..<n { let x = input[i]; output[i] = !(x <= 0) ? x : 0 }  // NaN stays NaN
        case .softmax:
            for r in 0..<rows {
                let x = input + r * columns
                let y = output + r * columns
                var m = -Float.infinity
                for j in 0..<columns { m = max(m, x[j]) }
                var sum: Float = 0
                for j in 0..<columns {
                    let e = _exp(x[j] - m)
                    y[j] = e
                    sum += e
                }
                let inv = 1 / sum
                for j in 0..<columns { y[j] *= inv }
            }
        default:
            for i in 0..<n { output[i] = scalar(input[i]) }
        }
    }

    /// Back-propagates through the activation: `inputGradient = outputGradient ⊙ f'(input)`
    /// (for softmax, the Jacobian-vector product `y ⊙ (g - Σ_j g_j y_j)` per row).
    ///
    /// `inputGradient` may alias `outputGradient`.
    package func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>,
        outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>,
        rows: Int, columns: Int
    ) {
        let n = rows * columns
        switch self {
        case .linear:
            if UnsafePointer(inputGradient) != outputGradient { inputGradient.update(from: outputGradient, count: n) }
        case .relu:
            // Eight at a time with a select: a branch per value mispredicts about half the time.
            let zero = SIMD8<Float>(repeating: 0)
            var i = 0
            while i + 8 <= n {
                let y = UnsafeRawPointer(output + i).loadUnaligned(as: SIMD8<Float>.self)
                let g = UnsafeRawPointer(outputGradient + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(inputGradient + i).storeBytes(of: zero.replacing(with: g, where: y .> zero),
                                                                      as: SIMD8<Float>.self)
                i += 8
            }
            while i < n {
                let g = outputGradient[i]
                inputGradient[i] = output[i] > 0 ? g : 0
                i += 1
            }
        case .softmax:
            for r in 0..<rows {
                let y = output + r * columns
                let g = outputGradient + r * columns
                let d = inputGradient + r * columns
                var dot: Float = 0
                for j in 0..<columns { dot += g[j] * y[j] }
                for j in 0..<columns { d[j] = y[j] * (g[j] - dot) }
            }
        default:
            for i in 0..<n { inputGradient[i] = outputGradient[i] * derivative(input[i], output[i]) }
        }
    }

    /// Applies the activation to a tensor whose last axis holds the features.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var y = x
        let columns = x.shape.last ?? 1
        let rows = columns == 0 ? 0 : x.count / columns
        y.withUnsafeMutableBufferPointer { out in
            guard let base = out.baseAddress else { return }
            apply(UnsafePointer(base), to: base, rows: rows, columns: columns)
        }
        return y
    }
}
