import NNSchema

/// The engine's state for one Conv2D layer: its geometry and the buffers its lowered inputs and
/// partial kernel gradients live in.
///
/// The convolution is lowered onto matrix products (im2col): each output position's input
/// window becomes a row of `kernelHeight × kernelWidth × inChannels` values, laid out like the
/// kernel's first three axes, so that the layer's pre-activation is `rows · kernel + bias`.
/// Samples are processed in groups of ``samplesPerGroup`` (at most ``maximumGroups`` groups for
/// the engine's largest batch); each group is lowered into the buffer of the task that computes
/// it, and its share of the kernel gradient goes into its own partial buffer, summed in group
/// order afterwards. The groups depend on the batch size alone, never on the thread count, so
/// every thread count performs the same products and sums.
final class ConvolutionStep {
    let geometry: WindowGeometry
    let kernel: Int
    let bias: Int?
    let activation: Activation
    let trainable: Bool
    let filters: Int
    /// Values per lowered row: `kernelHeight × kernelWidth × inChannels`.
    let fanIn: Int
    /// Output positions per sample.
    let positions: Int
    let samplesPerGroup: Int
    /// Lowering buffers, each `samplesPerGroup × positions × fanIn`: one per group when training
    /// (the backward pass reuses the forward pass's lowered rows), else one per task.
    let columns: [UnsafeMutablePointer<Float>]
    /// Whether each group keeps its lowered rows from the forward to the backward pass.
    let keepsLowering: Bool
    /// Partial kernel gradients, one `fanIn × filters` block per group (training only).
    let partialKernels: UnsafeMutablePointer<Float>?
    /// Partial bias gradients, one `filters` block per group (training only).
    let partialBiases: UnsafeMutablePointer<Float>?

    /// The most sample groups a batch is split into.
    static let maximumGroups = 8

    /// Samples per group for an engine of `maxSamples` samples.
    static func samplesPerGroup(maxSamples: Int) -> Int {
        max(1, (maxSamples + maximumGroups - 1) / maximumGroups)
    }

    init(_ c: Conv2D, geometry: WindowGeometry, kernel: Int, bias: Int?, trainable: Bool, maxSamples: Int, tasks: Int,
         training: Bool, allocate: (Int) -> UnsafeMutablePointer<Float>) {
        self.geometry = geometry
        self.kernel = kernel
        self.bias = bias
        activation = c.activation
        self.trainable = trainable
        filters = c.filters
        fanIn = geometry.windowHeight * geometry.windowWidth * geometry.channels
        positions = geometry.outputHeight * geometry.outputWidth
        samplesPerGroup = ConvolutionStep.samplesPerGroup(maxSamples: maxSamples)
        let groups = (maxSamples + samplesPerGroup - 1) / samplesPerGroup
        let perTask = samplesPerGroup * positions * fanIn
        keepsLowering = training && trainable
        columns = (0..<max(1, keepsLowering ? groups : min(tasks, groups))).map { _ in allocate(perTask) }
        partialKernels = training && trainable ? allocate(groups * fanIn * filters) : nil
        partialBiases = training && trainable && bias != nil ? allocate(groups * filters) : nil
    }

    /// The sample groups of a batch of `n` samples, as ranges of samples.
    func groups(samples n: Int) -> [Range<Int>] {
        stride(from: 0, to: n, by: samplesPerGroup).map { $0..<min($0 + samplesPerGroup, n) }
    }

    /// Writes the lowered rows of `samples` of `x` into `columns`, one row per output position.
    ///
    /// A window row that lies inside the input with undilated taps is one contiguous run of
    /// `kernelWidth × channels` values, copied at once; other taps are copied or zeroed one by one.
    func lower(_ x: UnsafePointer<Float>, samples: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
        let g = geometry, c = g.channels
        let sampleSize = g.inputHeight * g.inputWidth * c
        let runLength = g.windowWidth * c
        var row = columns
        for s in samples {
            let sample = x + s * sampleSize
            for oy in 0..<g.outputHeight {
                for ox in 0..<g.outputWidth {
                    var dst = row
                    let firstX = ox * g.strideWidth - g.padLeft
                    let rowInside = g.dilationWidth == 1 && firstX >= 0 && firstX + g.windowWidth <= g.inputWidth
                    for a in 0..<g.windowHeight {
                        let iy = oy * g.strideHeight + a * g.dilationHeight - g.padTop
                        if iy < 0 || iy >= g.inputHeight {
                            ConvolutionStep.fill(dst, count: runLength)
                        } else if rowInside {
                            ConvolutionStep.copy(sample + (iy * g.inputWidth + firstX) * c, to: dst, count: runLength)
                        } else {
                            for b in 0..<g.windowWidth {
                                let ix = firstX + b * g.dilationWidth
                                if ix >= 0, ix < g.inputWidth {
                                    ConvolutionStep.copy(sample + (iy * g.inputWidth + ix) * c, to: dst + b * c, count: c)
                                } else {
                                    ConvolutionStep.fill(dst + b * c, count: c)
                                }
                            }
                        }
                        dst += runLength
                    }
                    row += fanIn
                }
            }
        }
    }

    /// Copies a short run in a loop (a library call per one to a few values costs more than the copy).
    @inline(__always)
    static func copy(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
        if count >= 32 {
            destination.update(from: source, count: count)
        } else {
            for i in 0..<count { destination[i] = source[i] }
        }
    }

    @inline(__always)
    static func fill(_ destination: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { destination[i] = 0 }
    }

    /// Adds lowered-row gradients back onto the input positions they came from (the transpose of
    /// ``lower(_:samples:into:)``), after zeroing the samples' input gradients.
    func raise(_ columns: UnsafePointer<Float>, samples: Range<Int>, into dx: UnsafeMutablePointer<Float>) {
        let g = geometry, c = g.channels
        let sampleSize = g.inputHeight * g.inputWidth * c
        (dx + samples.lowerBound * sampleSize).update(repeating: 0, count: samples.count * sampleSize)
        var row = columns
        for s in samples {
            let sample = dx + s * sampleSize
            for oy in 0..<g.outputHeight {
                for ox in 0..<g.outputWidth {
                    var src = row
                    for a in 0..<g.windowHeight {
                        let iy = oy * g.strideHeight + a * g.dilationHeight - g.padTop
                        for b in 0..<g.windowWidth {
                            let ix = ox * g.strideWidth + b * g.dilationWidth - g.padLeft
                            if iy >= 0, iy < g.inputHeight, ix >= 0, ix < g.inputWidth {
                                let d = sample + (iy * g.inputWidth + ix) * c
                                for k in 0..<c { d[k] += src[k] }
                            }
                            src += c
                        }
                    }
                    row += fanIn
                }
            }
        }
    }

    /// The pre-activation `z` (and, for a non-linear activation, the output `a`) of `n` samples.
    func forward(_ x: UnsafePointer<Float>, samples n: Int, weights: [UnsafePointer<Float>],
                 z: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, pool: WorkerPool?) {
        let groups = self.groups(samples: n)
        let perTask = partition(groups.count, into: taskCount(pool))
        let w = weights[kernel], b = bias.map { weights[$0] }
        let run: (Int) -> Void = { t in
            guard t < perTask.count else { return }
            for gi in perTask[t] {
                let samples = groups[gi]
                let rows = samples.count * self.positions
                let zg = z + samples.lowerBound * self.positions * self.filters
                let col = self.columns[self.keepsLowering ? gi : t]
                self.lower(x, samples: samples, into: col)
                if let b { for r in 0..<rows { (zg + r * self.filters).update(from: b, count: self.filters) } }
                BLAS.gemm(m: rows, n: self.filters, k: self.fanIn, a: col, lda: self.fanIn, b: w, ldb: self.filters,
                          beta: b == nil ? 0 : 1, c: zg, ldc: self.filters)
                if self.activation != .linear {
                    let ag = output + samples.lowerBound * self.positions * self.filters
                    self.activation.apply(UnsafePointer(zg), to: ag, rows: rows, columns: self.filters)
                }
            }
        }
        if let pool, perTask.count > 1 { pool.run(run) } else { for t in 0..<perTask.count { run(t) } }
    }

    /// The tasks a pass is shared among: the pool's threads, at most one per lowering buffer
    /// when the buffers are per task.
    private func taskCount(_ pool: WorkerPool?) -> Int {
        let threads = pool?.size ?? 1
        return keepsLowering ? threads : min(threads, columns.count)
    }

    /// Back-propagates `g` (∂L/∂output, turned into ∂L/∂z in place unless `gradientIsLogits`):
    /// the kernel and bias gradients, handed to `update` when given, and ∂L/∂input into `dx`.
    func backward(_ x: UnsafePointer<Float>, samples n: Int, weights: [UnsafePointer<Float>],
                  gradients: [UnsafeMutablePointer<Float>], z: UnsafePointer<Float>, output: UnsafePointer<Float>,
                  g: UnsafeMutablePointer<Float>, gradientIsLogits: Bool, dx: UnsafeMutablePointer<Float>?,
                  accumulate: Bool, pool: WorkerPool?,
                  update: ((_ weight: Int, _ rows: Range<Int>, _ columns: Range<Int>, _ gradient: UnsafePointer<Float>) -> Void)?) {
        let groups = self.groups(samples: n)
        let perTask = partition(groups.count, into: taskCount(pool))
        let w = weights[kernel]
        let kernelSize = fanIn * filters
        let run: (Int) -> Void = { t in
            guard t < perTask.count else { return }
            for gi in perTask[t] {
                let samples = groups[gi]
                let rows = samples.count * self.positions
                let offset = samples.lowerBound * self.positions * self.filters
                let gg = g + offset
                if !gradientIsLogits, self.activation != .linear {
                    self.activation.backward(input: z + offset, output: output + offset, outputGradient: gg, inputGradient: gg,
                                             rows: rows, columns: self.filters)
                }
                let col = self.columns[self.keepsLowering ? gi : t]
                if self.trainable, let partials = self.partialKernels {
                    if !self.keepsLowering { self.lower(x, samples: samples, into: col) }
                    BLAS.gemm(transposeA: true, m: self.fanIn, n: self.filters, k: rows, a: col, lda: self.fanIn,
                              b: gg, ldb: self.filters, c: partials + gi * kernelSize, ldc: self.filters)
                    if let biases = self.partialBiases {
                        let db = biases + gi * self.filters
                        db.update(repeating: 0, count: self.filters)
                        for r in 0..<rows {
                            let row = gg + r * self.filters
                            for j in 0..<self.filters { db[j] += row[j] }
                        }
                    }
                }
                if let dx {
                    BLAS.gemm(transposeB: true, m: rows, n: self.fanIn, k: self.filters, a: gg, lda: self.filters,
                              b: w, ldb: self.filters, c: col, ldc: self.fanIn)
                    self.raise(col, samples: samples, into: dx)
                }
            }
        }
        if let pool, perTask.count > 1 { pool.run(run) } else { for t in 0..<perTask.count { run(t) } }
        guard trainable, let partials = partialKernels else { return }
        // The group sums, in group order.
        let dw = gradients[kernel]
        sum(partials, blocks: groups.count, size: kernelSize, into: dw, accumulate: accumulate)
        update?(kernel, 0..<fanIn, 0..<filters, dw)
        if let bias, let biases = partialBiases {
            let db = gradients[bias]
            sum(biases, blocks: groups.count, size: filters, into: db, accumulate: accumulate)
            update?(bias, 0..<1, 0..<filters, db)
        }
    }

    private func sum(_ blocks: UnsafePointer<Float>, blocks count: Int, size: Int, into out: UnsafeMutablePointer<Float>,
                     accumulate: Bool) {
        if !accumulate { out.update(from: blocks, count: size) }
        for b in (accumulate ? 0 : 1)..<count {
            let block = blocks + b * size
            for i in 0..<size { out[i] += block[i] }
        }
    }
}
