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
    /// One lowering buffer per task, each `samplesPerGroup × positions × fanIn`.
    let columns: [UnsafeMutablePointer<Float>]
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

    /// The Float32 values of the buffers a layer with `loweredPerSample` lowered values per
    /// sample needs with `tasks` tasks, or `nil` on overflow (the partial gradients are small
    /// and counted by the caller's margin).
    static func bufferElements(loweredPerSample: Int, maxSamples: Int, tasks: Int) -> Int? {
        let (perTask, o1) = loweredPerSample.multipliedReportingOverflow(by: samplesPerGroup(maxSamples: maxSamples))
        let (total, o2) = perTask.multipliedReportingOverflow(by: max(1, min(tasks, maximumGroups)))
        return o1 || o2 ? nil : total
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
        columns = (0..<max(1, min(tasks, groups))).map { _ in allocate(perTask) }
        partialKernels = training && trainable ? allocate(groups * fanIn * filters) : nil
        partialBiases = training && trainable && bias != nil ? allocate(groups * filters) : nil
    }

    /// The sample groups of a batch of `n` samples, as ranges of samples.
    func groups(samples n: Int) -> [Range<Int>] {
        stride(from: 0, to: n, by: samplesPerGroup).map { $0..<min($0 + samplesPerGroup, n) }
    }

    /// Writes the lowered rows of `samples` of `x` into `columns`, one row per output position.
    func lower(_ x: UnsafePointer<Float>, samples: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
        let g = geometry, c = g.channels
        let sampleSize = g.inputHeight * g.inputWidth * c
        var row = columns
        for s in samples {
            let sample = x + s * sampleSize
            for oy in 0..<g.outputHeight {
                for ox in 0..<g.outputWidth {
                    var dst = row
                    for a in 0..<g.windowHeight {
                        let iy = oy * g.strideHeight + a * g.dilationHeight - g.padTop
                        for b in 0..<g.windowWidth {
                            let ix = ox * g.strideWidth + b * g.dilationWidth - g.padLeft
                            if iy >= 0, iy < g.inputHeight, ix >= 0, ix < g.inputWidth {
                                dst.update(from: sample + (iy * g.inputWidth + ix) * c, count: c)
                            } else {
                                dst.update(repeating: 0, count: c)
                            }
                            dst += c
                        }
                    }
                    row += fanIn
                }
            }
        }
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
        let perTask = partition(groups.count, into: columns.count)
        let w = weights[kernel], b = bias.map { weights[$0] }
        let run: (Int) -> Void = { t in
            guard t < perTask.count else { return }
            for gi in perTask[t] {
                let samples = groups[gi]
                let rows = samples.count * self.positions
                let zg = z + samples.lowerBound * self.positions * self.filters
                self.lower(x, samples: samples, into: self.columns[t])
                if let b { for r in 0..<rows { (zg + r * self.filters).update(from: b, count: self.filters) } }
                BLAS.gemm(m: rows, n: self.filters, k: self.fanIn, a: self.columns[t], lda: self.fanIn, b: w, ldb: self.filters,
                          beta: b == nil ? 0 : 1, c: zg, ldc: self.filters)
                if self.activation != .linear {
                    let ag = output + samples.lowerBound * self.positions * self.filters
                    self.activation.apply(UnsafePointer(zg), to: ag, rows: rows, columns: self.filters)
                }
            }
        }
        if let pool, columns.count > 1 { pool.run(run) } else { for t in 0..<columns.count { run(t) } }
    }

    /// Back-propagates `g` (∂L/∂output, turned into ∂L/∂z in place unless `gradientIsLogits`):
    /// the kernel and bias gradients, handed to `update` when given, and ∂L/∂input into `dx`.
    func backward(_ x: UnsafePointer<Float>, samples n: Int, weights: [UnsafePointer<Float>],
                  gradients: [UnsafeMutablePointer<Float>], z: UnsafePointer<Float>, output: UnsafePointer<Float>,
                  g: UnsafeMutablePointer<Float>, gradientIsLogits: Bool, dx: UnsafeMutablePointer<Float>?,
                  accumulate: Bool, pool: WorkerPool?,
                  update: ((_ weight: Int, _ rows: Range<Int>, _ columns: Range<Int>, _ gradient: UnsafePointer<Float>) -> Void)?) {
        let groups = self.groups(samples: n)
        let perTask = partition(groups.count, into: columns.count)
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
                let col = self.columns[t]
                if self.trainable, let partials = self.partialKernels {
                    self.lower(x, samples: samples, into: col)
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
        if let pool, columns.count > 1 { pool.run(run) } else { for t in 0..<columns.count { run(t) } }
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
