/// The targets of a batch: class indices or dense rows.
package enum BatchTargets {
    /// One class index per row.
    case classes(UnsafePointer<Int32>)
    /// A row of `columns` values per row of predictions.
    case dense(UnsafePointer<Float>)
}

extension Loss {
    /// Keras's fuzz factor for clipping probabilities.
    package static let epsilon: Float = 1e-7

    /// The loss summed over the `rows` samples (divide by the batch size for Keras's mean),
    /// computed from probabilities `predictions` of shape `[rows, columns]`.
    package func sum(predictions p: UnsafePointer<Float>, targets: BatchTargets, rows: Int, columns: Int) -> Double {
        let eps = Loss.epsilon
        var total: Double = 0
        for r in 0..<rows {
            let row = p + r * columns
            var sampleLoss: Float = 0
            switch (self, targets) {
            case let (.sparseCategoricalCrossentropy, .classes(labels)):
                var s: Float = 0
                for j in 0..<columns { s += row[j] }
                let label = Int(labels[r])
                let q = s > 0 ? row[label] / s : 0
                sampleLoss = -_log(min(max(q, eps), 1 - eps))
            case let (.categoricalCrossentropy, .dense(y)):
                var s: Float = 0
                for j in 0..<columns { s += row[j] }
                let t = y + r * columns
                for j in 0..<columns where t[j] != 0 {
                    let q = s > 0 ? row[j] / s : 0
                    sampleLoss -= t[j] * _log(min(max(q, eps), 1 - eps))
                }
            case let (.binaryCrossentropy, .dense(y)):
                let t = y + r * columns
                for j in 0..<columns {
                    let q = min(max(row[j], eps), 1 - eps)
                    sampleLoss -= t[j] * _log(q) + (1 - t[j]) * _log(1 - q)
                }
                sampleLoss /= Float(columns)
            case let (.meanSquaredError, .dense(y)):
                let t = y + r * columns
                for j in 0..<columns { let d = row[j] - t[j]; sampleLoss += d * d }
                sampleLoss /= Float(columns)
            default:
                sampleLoss = .nan
            }
            total += Double(sampleLoss)
        }
        return total
    }

    /// The loss summed over the `rows` samples, computed stably from the logits `z` of the fused
    /// output activation (log-sum-exp for softmax, `max(z,0) - z y + log(1 + e^-|z|)` for sigmoid).
    package func sum(logits z: UnsafePointer<Float>, targets: BatchTargets, rows: Int, columns: Int) -> Double {
        var total: Double = 0
        for r in 0..<rows {
            let row = z + r * columns
            var sampleLoss: Float = 0
            switch (self, targets) {
            case let (.sparseCategoricalCrossentropy, .classes(labels)):
                sampleLoss = Loss.logSumExp(row, columns) - row[Int(labels[r])]
            case let (.categoricalCrossentropy, .dense(y)):
                let lse = Loss.logSumExp(row, columns)
                let t = y + r * columns
                for j in 0..<columns where t[j] != 0 { sampleLoss += t[j] * (lse - row[j]) }
            case let (.binaryCrossentropy, .dense(y)):
                let t = y + r * columns
                for j in 0..<columns {
                    let x = row[j]
                    sampleLoss += max(x, 0) - x * t[j] + _log1p(_exp(-abs(x)))
                }
                sampleLoss /= Float(columns)
            default:
                sampleLoss = .nan
            }
            total += Double(sampleLoss)
        }
        return total
    }

    @inline(__always) static func logSumExp(_ row: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = -Float.infinity
        for j in 0..<n { m = max(m, row[j]) }
        var s: Float = 0
        for j in 0..<n { s += _exp(row[j] - m) }
        return m + _log(s)
    }

    /// Writes `∂L/∂p` for probabilities `p`, where `L` is the batch loss divided by `batchSize`
    /// (the batch may be processed in chunks, so `rows` can be smaller than `batchSize`).
    package func gradient(
        predictions p: UnsafePointer<Float>, targets: BatchTargets, rows: Int, columns: Int,
        batchSize: Int, into g: UnsafeMutablePointer<Float>
    ) {
        let eps = Loss.epsilon
        let scale = 1 / Float(batchSize)
        for r in 0..<rows {
            let row = p + r * columns
            let out = g + r * columns
            switch (self, targets) {
            case let (.sparseCategoricalCrossentropy, .classes(labels)):
                // L = -log(p_l / s): ∂L/∂p_j = 1/s - [j = l] / p_l (zero where the clip is active).
                var s: Float = 0
                for j in 0..<columns { s += row[j] }
                let label = Int(labels[r])
                let q = row[label] / s
                let clipped = q < eps || q > 1 - eps
                for j in 0..<columns { out[j] = clipped ? 0 : scale / s }
                if !clipped { out[label] -= scale / row[label] }
            case let (.categoricalCrossentropy, .dense(y)):
                var s: Float = 0
                var tsum: Float = 0
                let t = y + r * columns
                for j in 0..<columns { s += row[j] }
                for j in 0..<columns {
                    let q = row[j] / s
                    if t[j] != 0, q >= eps, q <= 1 - eps { tsum += t[j] }
                }
                for j in 0..<columns {
                    let q = row[j] / s
                    let active = q >= eps && q <= 1 - eps
                    out[j] = scale * (tsum / s - (active && t[j] != 0 ? t[j] / row[j] : 0))
                }
            case let (.binaryCrossentropy, .dense(y)):
                let t = y + r * columns
                let k = scale / Float(columns)
                for j in 0..<columns {
                    let q = row[j]
                    out[j] = (q < eps || q > 1 - eps) ? 0 : k * ((1 - t[j]) / (1 - q) - t[j] / q)
                }
            case let (.meanSquaredError, .dense(y)):
                let t = y + r * columns
                let k = 2 * scale / Float(columns)
                for j in 0..<columns { out[j] = k * (row[j] - t[j]) }
            default:
                for j in 0..<columns { out[j] = .nan }
            }
        }
    }

    /// Writes `∂L/∂z` for the logits of the fused output activation: `(p - y) / N`
    /// (divided also by the number of outputs for binary cross-entropy, which averages over them).
    package func fusedGradient(
        probabilities p: UnsafePointer<Float>, targets: BatchTargets, rows: Int, columns: Int,
        batchSize: Int, into g: UnsafeMutablePointer<Float>
    ) {
        var scale = 1 / Float(batchSize)
        if self == .binaryCrossentropy { scale /= Float(columns) }
        switch targets {
        case let .classes(labels):
            for r in 0..<rows {
                let row = p + r * columns, out = g + r * columns
                for j in 0..<columns { out[j] = scale * row[j] }
                out[Int(labels[r])] -= scale
            }
        case let .dense(y):
            if self == .binaryCrossentropy {
                for i in 0..<(rows * columns) { g[i] = scale * (p[i] - y[i]) }
                return
            }
            // Σ_j t_j (lse(z) - z_j) has gradient p_k Σ_j t_j - t_k (soft targets need not sum to 1).
            for r in 0..<rows {
                let row = p + r * columns, t = y + r * columns, out = g + r * columns
                var tsum: Float = 0
                for j in 0..<columns { tsum += t[j] }
                for j in 0..<columns { out[j] = scale * (row[j] * tsum - t[j]) }
            }
        }
    }
}
