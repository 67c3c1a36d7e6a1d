internal import CKernels
import NNSchema

/// The engine's state for a `MaxPooling2D`/`AveragePooling2D` layer, and the forward and backward
/// passes of every pooling layer.
///
/// Windows are cut at the input's edges (with `same` padding, padded positions take no part):
/// a max is over the window's positions inside the input, a mean divides by their number, as
/// TensorFlow computes them. A max pooling remembers, when training, where each output's
/// largest input was (its first occurrence, or the first NaN), so that its gradient is one
/// scatter; samples are shared among the engine's threads (each sample's result is the same
/// whichever thread computes it).
final class PoolingStep {
    let mode: PoolingMode
    let geometry: WindowGeometry
    /// For each output value of the last training forward pass, the offset of its largest input
    /// within the sample (max pooling in training only).
    let argmax: UnsafeMutablePointer<CInt>?
    private let argmaxCount: Int

    init(mode: PoolingMode, geometry: WindowGeometry, maxSamples: Int, training: Bool) {
        self.mode = mode
        self.geometry = geometry
        let outSize = geometry.outputHeight * geometry.outputWidth * geometry.channels
        argmaxCount = training && mode == .max ? max(1, maxSamples * outSize) : 0
        argmax = argmaxCount > 0 ? UnsafeMutablePointer<CInt>.allocate(capacity: argmaxCount) : nil
        argmax?.initialize(repeating: 0, count: argmaxCount)
    }

    deinit { argmax?.deallocate() }

    /// Pools `n` samples of `x` into `y`.
    func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, samples n: Int, training: Bool, pool: WorkerPool?) {
        Pooling.forEachSampleRange(n, pool: pool) { range in
            for s in range { self.forward(sample: s, x: x, y: y, recording: training) }
        }
    }

    private func forward(sample s: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, recording: Bool) {
        let g = geometry, c = g.channels
        let inSize = g.inputHeight * g.inputWidth * c, outSize = g.outputHeight * g.outputWidth * c
        let xs = x + s * inSize, ys = y + s * outSize
        let indices = recording ? argmax.map { $0 + s * outSize } : nil
        for oy in 0..<g.outputHeight {
            let y0 = max(0, oy * g.strideHeight - g.padTop), y1 = min(g.inputHeight, oy * g.strideHeight - g.padTop + g.windowHeight)
            for ox in 0..<g.outputWidth {
                let x0 = max(0, ox * g.strideWidth - g.padLeft), x1 = min(g.inputWidth, ox * g.strideWidth - g.padLeft + g.windowWidth)
                let o = (oy * g.outputWidth + ox) * c
                let out = ys + o
                if mode == .max {
                    out.update(repeating: -.infinity, count: c)
                    if let indices {
                        let first = (y0 * g.inputWidth + x0) * c
                        for k in 0..<c { indices[o + k] = Int32(first + k) }
                    }
                    for iy in y0..<max(y0, y1) {
                        for ix in x0..<max(x0, x1) {
                            let offset = (iy * g.inputWidth + ix) * c
                            nn_max_accumulate(xs + offset, out, indices.map { $0 + o }, Int32(truncatingIfNeeded: offset), c)
                        }
                    }
                } else {
                    out.update(repeating: 0, count: c)
                    for iy in y0..<max(y0, y1) {
                        for ix in x0..<max(x0, x1) {
                            let v = xs + (iy * g.inputWidth + ix) * c
                            for k in 0..<c { out[k] += v[k] }
                        }
                    }
                    let scale = 1 / Float(max(1, (y1 - y0) * (x1 - x0)))
                    for k in 0..<c { out[k] *= scale }
                }
            }
        }
    }

    /// ∂L/∂x of `n` samples from ∂L/∂y (`dy`), after a training forward pass.
    func backward(dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, samples n: Int, pool: WorkerPool?) {
        let g = geometry, c = g.channels
        let inSize = g.inputHeight * g.inputWidth * c, outSize = g.outputHeight * g.outputWidth * c
        Pooling.forEachSampleRange(n, pool: pool) { range in
            for s in range {
                let dys = dy + s * outSize, dxs = dx + s * inSize
                dxs.update(repeating: 0, count: inSize)
                if self.mode == .max, let argmax = self.argmax {
                    let indices = argmax + s * outSize
                    for o in 0..<outSize { dxs[Int(indices[o])] += dys[o] }
                    continue
                }
                for oy in 0..<g.outputHeight {
                    let y0 = max(0, oy * g.strideHeight - g.padTop), y1 = min(g.inputHeight, oy * g.strideHeight - g.padTop + g.windowHeight)
                    for ox in 0..<g.outputWidth {
                        let x0 = max(0, ox * g.strideWidth - g.padLeft), x1 = min(g.inputWidth, ox * g.strideWidth - g.padLeft + g.windowWidth)
                        guard y1 > y0, x1 > x0 else { continue }
                        let o = (oy * g.outputWidth + ox) * c
                        let scale = 1 / Float((y1 - y0) * (x1 - x0))
                        for iy in y0..<y1 {
                            for ix in x0..<x1 {
                                let d = dxs + (iy * g.inputWidth + ix) * c
                                for k in 0..<c { d[k] += dys[o + k] * scale }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Global pooling, and sharing samples among threads.
enum Pooling {
    /// Runs `body` on contiguous ranges of `0..<n`, one per pool task (or one range without a pool).
    static func forEachSampleRange(_ n: Int, pool: WorkerPool?, _ body: @escaping (Range<Int>) -> Void) {
        guard let pool, pool.size > 1, n > 1 else { body(0..<n); return }
        let ranges = partition(n, into: pool.size)
        pool.run { t in if t < ranges.count { body(ranges[t]) } }
    }

    /// Pools each channel over all `positions` of `n` samples (`[n, positions, channels]` → `[n, channels]`).
    static func globalForward(_ mode: PoolingMode, positions: Int, channels c: Int, x: UnsafePointer<Float>,
                              y: UnsafeMutablePointer<Float>, samples n: Int) {
        for s in 0..<n {
            let xs = x + s * positions * c, ys = y + s * c
            ys.update(repeating: mode == .max ? -.infinity : 0, count: c)
            for p in 0..<positions {
                let v = xs + p * c
                if mode == .max {
                    for k in 0..<c where v[k] > ys[k] || (v[k].isNaN && !ys[k].isNaN) { ys[k] = v[k] }
                } else {
                    for k in 0..<c { ys[k] += v[k] }
                }
            }
            if mode == .average {
                let scale = 1 / Float(positions)
                for k in 0..<c { ys[k] *= scale }
            }
        }
    }

    /// ∂L/∂x of a global pooling (for a max, to each channel's first largest input).
    static func globalBackward(_ mode: PoolingMode, positions: Int, channels c: Int, x: UnsafePointer<Float>,
                               y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, samples n: Int) {
        for s in 0..<n {
            let xs = x + s * positions * c, ys = y + s * c, dys = dy + s * c, dxs = dx + s * positions * c
            if mode == .average {
                let scale = 1 / Float(positions)
                for p in 0..<positions { for k in 0..<c { dxs[p * c + k] = dys[k] * scale } }
            } else {
                dxs.update(repeating: 0, count: positions * c)
                for k in 0..<c {
                    for p in 0..<positions where xs[p * c + k] == ys[k] || (ys[k].isNaN && xs[p * c + k].isNaN) {
                        dxs[p * c + k] = dys[k]
                        break
                    }
                }
            }
        }
    }
}
