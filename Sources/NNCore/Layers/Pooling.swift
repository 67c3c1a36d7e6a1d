import NNSchema

/// Forward and backward passes of `MaxPooling2D`/`AveragePooling2D` and the global poolings.
///
/// Windows are cut at the input's edges (with `same` padding, padded positions take no part):
/// a max is over the window's positions inside the input, a mean divides by their number, as
/// TensorFlow computes them. The gradient of a max goes to the window's first largest input.
enum Pooling {
    /// Pools `n` samples of `x` into `y`.
    static func forward(_ mode: PoolingMode, _ g: WindowGeometry, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, samples n: Int) {
        let c = g.channels
        let inSize = g.inputHeight * g.inputWidth * c, outSize = g.outputHeight * g.outputWidth * c
        for s in 0..<n {
            let xs = x + s * inSize, ys = y + s * outSize
            for oy in 0..<g.outputHeight {
                let y0 = max(0, oy * g.strideHeight - g.padTop), y1 = min(g.inputHeight, oy * g.strideHeight - g.padTop + g.windowHeight)
                for ox in 0..<g.outputWidth {
                    let x0 = max(0, ox * g.strideWidth - g.padLeft), x1 = min(g.inputWidth, ox * g.strideWidth - g.padLeft + g.windowWidth)
                    let out = ys + (oy * g.outputWidth + ox) * c
                    out.update(repeating: mode == .max ? -.infinity : 0, count: c)
                    for iy in y0..<max(y0, y1) {
                        for ix in x0..<max(x0, x1) {
                            let v = xs + (iy * g.inputWidth + ix) * c
                            if mode == .max {
                                for k in 0..<c where v[k] > out[k] || v[k].isNaN { out[k] = v[k] }
                            } else {
                                for k in 0..<c { out[k] += v[k] }
                            }
                        }
                    }
                    if mode == .average {
                        let count = Float(max(0, y1 - y0) * max(0, x1 - x0))
                        for k in 0..<c { out[k] /= count }
                    }
                }
            }
        }
    }

    /// ∂L/∂x of `n` samples from ∂L/∂y (`dy`), given the forward pass's `x` and `y`.
    static func backward(_ mode: PoolingMode, _ g: WindowGeometry, x: UnsafePointer<Float>, y: UnsafePointer<Float>,
                         dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, samples n: Int) {
        let c = g.channels
        let inSize = g.inputHeight * g.inputWidth * c, outSize = g.outputHeight * g.outputWidth * c
        dx.update(repeating: 0, count: n * inSize)
        for s in 0..<n {
            let xs = x + s * inSize, ys = y + s * outSize, dys = dy + s * outSize, dxs = dx + s * inSize
            for oy in 0..<g.outputHeight {
                let y0 = max(0, oy * g.strideHeight - g.padTop), y1 = min(g.inputHeight, oy * g.strideHeight - g.padTop + g.windowHeight)
                for ox in 0..<g.outputWidth {
                    let x0 = max(0, ox * g.strideWidth - g.padLeft), x1 = min(g.inputWidth, ox * g.strideWidth - g.padLeft + g.windowWidth)
                    let o = (oy * g.outputWidth + ox) * c
                    guard y1 > y0, x1 > x0 else { continue }
                    if mode == .average {
                        let scale = 1 / Float((y1 - y0) * (x1 - x0))
                        for iy in y0..<y1 {
                            for ix in x0..<x1 {
                                let d = dxs + (iy * g.inputWidth + ix) * c
                                for k in 0..<c { d[k] += dys[o + k] * scale }
                            }
                        }
                    } else {
                        for k in 0..<c {
                            let target = ys[o + k]
                            search: for iy in y0..<y1 {
                                for ix in x0..<x1 {
                                    let i = (iy * g.inputWidth + ix) * c + k
                                    if xs[i] == target || (target.isNaN && xs[i].isNaN) {
                                        dxs[i] += dys[o + k]
                                        break search
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
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
                    for k in 0..<c where v[k] > ys[k] || v[k].isNaN { ys[k] = v[k] }
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

    /// ∂L/∂x of a global pooling.
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
