import NNSchema

/// The engine's state for a BatchNormalization layer: which weights it uses and the batch
/// statistics a training step keeps for the backward pass.
struct BatchNormStep {
    let gamma: Int?, beta: Int?, movingMean: Int, movingVariance: Int
    let epsilon: Float, momentum: Float
    let channels: Int
    /// Whether training normalizes with the batch's statistics (and updates the moving ones):
    /// false for a layer frozen with `trainable = false`, which Keras runs in inference mode.
    let usesBatchStatistics: Bool
    /// `x̂` of the last training forward pass, shaped like the output (training only).
    let normalized: UnsafeMutablePointer<Float>?
    /// `1 / √(σ² + ε)` per channel of the last forward pass.
    let inverseDeviation: UnsafeMutablePointer<Float>

    /// Normalizes `rows` rows of `channels` values.
    func forward(_ x: UnsafePointer<Float>, rows: Int, weights: [UnsafePointer<Float>], training: Bool,
                 y: UnsafeMutablePointer<Float>) {
        let c = channels
        let g = gamma.map { weights[$0] }, b = beta.map { weights[$0] }
        let mean = weights[movingMean], variance = weights[movingVariance]
        if training, usesBatchStatistics, let xhat = normalized, rows > 0 {
            // Batch mean and biased variance per channel, two passes, in double.
            var sums = [Double](repeating: 0, count: c), squares = [Double](repeating: 0, count: c)
            for r in 0..<rows { let row = x + r * c; for k in 0..<c { sums[k] += Double(row[k]) } }
            for k in 0..<c { sums[k] /= Double(rows) }
            for r in 0..<rows {
                let row = x + r * c
                for k in 0..<c { let d = Double(row[k]) - sums[k]; squares[k] += d * d }
            }
            let movingMean = UnsafeMutablePointer(mutating: mean), movingVariance = UnsafeMutablePointer(mutating: variance)
            for k in 0..<c {
                let batchMean = Float(sums[k]), batchVariance = Float(squares[k] / Double(rows))
                inverseDeviation[k] = 1 / (batchVariance + epsilon).squareRoot()
                movingMean[k] = movingMean[k] * momentum + batchMean * (1 - momentum)
                movingVariance[k] = movingVariance[k] * momentum + batchVariance * (1 - momentum)
                sums[k] = Double(batchMean)
            }
            for r in 0..<rows {
                let row = x + r * c, out = y + r * c, h = xhat + r * c
                for k in 0..<c {
                    let v = (row[k] - Float(sums[k])) * inverseDeviation[k]
                    h[k] = v
                    out[k] = v * (g?[k] ?? 1) + (b?[k] ?? 0)
                }
            }
            return
        }
        // Inference: one scale and shift per channel.
        for k in 0..<c { inverseDeviation[k] = 1 / (variance[k] + epsilon).squareRoot() }
        for r in 0..<rows {
            let row = x + r * c, out = y + r * c
            for k in 0..<c {
                let v = (row[k] - mean[k]) * inverseDeviation[k]
                if let h = normalized, training { h[r * c + k] = v }
                out[k] = v * (g?[k] ?? 1) + (b?[k] ?? 0)
            }
        }
    }

    /// The gradients of gamma and beta (when `trainable`) and ∂L/∂x (into `dx`, when given).
    func backward(dy: UnsafePointer<Float>, rows: Int, weights: [UnsafePointer<Float>],
                  gradients: [UnsafeMutablePointer<Float>], trainable: Bool, accumulate: Bool,
                  dx: UnsafeMutablePointer<Float>?,
                  update: ((_ weight: Int, _ rows: Range<Int>, _ columns: Range<Int>, _ gradient: UnsafePointer<Float>) -> Void)?) {
        guard let xhat = normalized else { return }
        let c = channels
        var sumDy = [Double](repeating: 0, count: c), sumDyXhat = [Double](repeating: 0, count: c)
        for r in 0..<rows {
            let d = dy + r * c, h = xhat + r * c
            for k in 0..<c { sumDy[k] += Double(d[k]); sumDyXhat[k] += Double(d[k] * h[k]) }
        }
        if let dx {
            let g = gamma.map { weights[$0] }
            let n = Float(rows)
            for r in 0..<rows {
                let d = dy + r * c, h = xhat + r * c, out = dx + r * c
                for k in 0..<c {
                    let scale = (g?[k] ?? 1) * inverseDeviation[k]
                    if usesBatchStatistics {
                        out[k] = scale * (d[k] - Float(sumDy[k]) / n - h[k] * Float(sumDyXhat[k]) / n)
                    } else {
                        out[k] = scale * d[k]
                    }
                }
            }
        }
        guard trainable else { return }
        if let gamma {
            let dg = gradients[gamma]
            for k in 0..<c { dg[k] = (accumulate ? dg[k] : 0) + Float(sumDyXhat[k]) }
            update?(gamma, 0..<1, 0..<c, dg)
        }
        if let beta {
            let db = gradients[beta]
            for k in 0..<c { db[k] = (accumulate ? db[k] : 0) + Float(sumDy[k]) }
            update?(beta, 0..<1, 0..<c, db)
        }
    }
}

/// The engine's state for a LayerNormalization layer: its weights and the per-row statistics a
/// training step keeps.
struct LayerNormStep {
    let gamma: Int?, beta: Int?
    let epsilon: Float
    let channels: Int
    /// `x̂` of the last forward pass (training only).
    let normalized: UnsafeMutablePointer<Float>?
    /// `1 / √(σ² + ε)` per row of the last forward pass (training only).
    let inverseDeviation: UnsafeMutablePointer<Float>?

    func forward(_ x: UnsafePointer<Float>, rows: Int, weights: [UnsafePointer<Float>], training: Bool,
                 y: UnsafeMutablePointer<Float>) {
        let c = channels
        let g = gamma.map { weights[$0] }, b = beta.map { weights[$0] }
        for r in 0..<rows {
            let row = x + r * c, out = y + r * c
            var sum: Double = 0
            for k in 0..<c { sum += Double(row[k]) }
            let mean = sum / Double(c)
            var squares: Double = 0
            for k in 0..<c { let d = Double(row[k]) - mean; squares += d * d }
            let inv = 1 / (Float(squares / Double(c)) + epsilon).squareRoot()
            let m = Float(mean)
            if training, let inverse = inverseDeviation { inverse[r] = inv }
            for k in 0..<c {
                let v = (row[k] - m) * inv
                if training, let h = normalized { h[r * c + k] = v }
                out[k] = v * (g?[k] ?? 1) + (b?[k] ?? 0)
            }
        }
    }

    func backward(dy: UnsafePointer<Float>, rows: Int, weights: [UnsafePointer<Float>],
                  gradients: [UnsafeMutablePointer<Float>], trainable: Bool, accumulate: Bool,
                  dx: UnsafeMutablePointer<Float>?,
                  update: ((_ weight: Int, _ rows: Range<Int>, _ columns: Range<Int>, _ gradient: UnsafePointer<Float>) -> Void)?) {
        guard let xhat = normalized, let inverse = inverseDeviation else { return }
        let c = channels
        let g = gamma.map { weights[$0] }
        if let dx {
            let n = Float(c)
            for r in 0..<rows {
                let d = dy + r * c, h = xhat + r * c, out = dx + r * c
                var sumD: Float = 0, sumDH: Float = 0
                for k in 0..<c { let dh = d[k] * (g?[k] ?? 1); sumD += dh; sumDH += dh * h[k] }
                for k in 0..<c {
                    let dh = d[k] * (g?[k] ?? 1)
                    out[k] = inverse[r] * (dh - sumD / n - h[k] * sumDH / n)
                }
            }
        }
        guard trainable else { return }
        if let gamma {
            let dg = gradients[gamma]
            if !accumulate { dg.update(repeating: 0, count: c) }
            for r in 0..<rows { let d = dy + r * c, h = xhat + r * c; for k in 0..<c { dg[k] += d[k] * h[k] } }
            update?(gamma, 0..<1, 0..<c, dg)
        }
        if let beta {
            let db = gradients[beta]
            if !accumulate { db.update(repeating: 0, count: c) }
            for r in 0..<rows { let d = dy + r * c; for k in 0..<c { db[k] += d[k] } }
            update?(beta, 0..<1, 0..<c, db)
        }
    }
}
