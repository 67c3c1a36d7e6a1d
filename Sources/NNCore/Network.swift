/// The compute engine behind a ``Sequential`` model: preallocated buffers for a maximum number
/// of samples, a forward pass and backpropagation over them.
///
/// Weights are passed in as pointers (into a flat training buffer, or straight into a model's
/// tensors, which may be memory-mapped), so the engine never copies them. Nothing is allocated
/// after `init`: each training step reuses the same buffers.
final class Network {
    /// One computation in the chain.
    enum Operation {
        case dense(kernel: Int, bias: Int?, inFeatures: Int, units: Int, activation: Activation, trainable: Bool)
        case flatten
        case activation(Activation)
        case dropout(rate: Float)
    }

    struct Step {
        var operation: Operation
        /// Rows of the step's output matrix per sample (Dense applies to the last axis).
        var rowsPerSample: Int
        /// Columns of the step's output matrix.
        var features: Int
        /// Rows per sample and columns of the step's input matrix.
        var inputRowsPerSample: Int
        var inputFeatures: Int
        /// Dense pre-activation; Dropout mask.
        var scratch: UnsafeMutablePointer<Float>?
        /// The step's output (for Flatten and inference-time Dropout: the input itself).
        var output: UnsafeMutablePointer<Float>
        /// ∂L/∂output (for Flatten: the previous step's gradient buffer).
        var gradient: UnsafeMutablePointer<Float>?
        /// For a Dense layer computed by several threads: the output columns of each.
        var columnSplit: [Range<Int>]?
    }

    /// The most Float32 values the engine's buffers may hold together (16 GiB).
    static let maximumBufferElements = 1 << 32

    let maxSamples: Int
    let inputSize: Int
    let outputSize: Int
    private(set) var steps: [Step]
    /// The input batch, `[maxSamples, inputSize]`: callers fill it before ``forward(samples:weights:training:rng:)``.
    let input: UnsafeMutablePointer<Float>
    /// ∂L/∂input of the first step; never computed for the network input itself.
    private let inputGradient: UnsafeMutablePointer<Float>?
    private let allocations: [UnsafeMutablePointer<Float>]
    /// The first step whose backward pass matters (the first with trainable weights).
    private let firstTrainableStep: Int
    /// Threads that share the large Dense layers, when there is more than one.
    let pool: WorkerPool?
    /// Rows of a kernel gradient computed at a time (and handed to the optimizer, when fused).
    static let gradientTileRows = 64

    /// Builds the engine for `architecture` and up to `maxSamples` samples per call.
    ///
    /// - Parameters:
    ///   - training: whether to allocate gradient buffers for ``backward(samples:weights:gradients:fused:accumulate:)``.
    ///   - threads: with more than one, each Dense layer large enough (and without softmax, which
    ///     needs whole rows) is computed by all threads, each on its own slice of output columns:
    ///     a thread then touches only its own slice of the layer's weights and gradients.
    init(architecture: ModelArchitecture, maxSamples: Int, training: Bool, threads: Int = 1) throws(ModelConfigError) {
        let shapes = try architecture.validated()
        let specs = try architecture.weightSpecs()
        // Refuse work buffers that cannot fit, rather than failing inside an allocation.
        let perSample = ([architecture.inputShape] + shapes).reduce(0) { $0 + $1.reduce(1, *) } * (training ? 4 : 2)
        let (total, overflow) = perSample.multipliedReportingOverflow(by: max(1, maxSamples))
        guard !overflow, total <= Network.maximumBufferElements else {
            throw .invalidField(layer: architecture.name, field: "batch",
                                expected: "work buffers of at most \(Network.maximumBufferElements / (1 << 28)) GiB",
                                found: "\(maxSamples) samples × \(perSample) values per sample")
        }
        self.maxSamples = max(1, maxSamples)
        inputSize = architecture.inputShape.reduce(1, *)
        outputSize = shapes.last?.reduce(1, *) ?? inputSize
        input = .allocate(capacity: self.maxSamples * inputSize)
        input.initialize(repeating: 0, count: self.maxSamples * inputSize)

        var firstTrainable = Int.max
        for (i, layer) in architecture.layers.enumerated() {
            if case .dense = layer.kind, layer.trainable { firstTrainable = min(firstTrainable, i) }
        }
        firstTrainableStep = firstTrainable

        var buffers: [UnsafeMutablePointer<Float>] = []
        func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
            // Cache-line aligned, so threads writing neighbouring column slices share no lines.
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
            let p = raw.initializeMemory(as: Float.self, repeating: 0, count: max(1, count))
            buffers.append(p)
            return p
        }
        let threads = max(1, threads)

        inputGradient = nil
        var previousOutput = input
        var previousGradient: UnsafeMutablePointer<Float>? = nil
        var shape = architecture.inputShape
        var steps: [Step] = []
        for (i, layer) in architecture.layers.enumerated() {
            let inRows = shape.dropLast().reduce(1, *), inFeatures = shape.last ?? 1
            let outShape = shapes[i]
            let rows = outShape.dropLast().reduce(1, *), features = outShape.last ?? 1
            let size = self.maxSamples * rows * features
            let needsGradient = training && i >= firstTrainable
            var step: Step
            switch layer.kind {
            case let .dense(d):
                let kernel = specs.firstIndex { $0.layerIndex == i && $0.role == "kernel" } ?? 0
                let bias = specs.firstIndex { $0.layerIndex == i && $0.role == "bias" }
                let z = allocate(size)
                let a = d.activation == .linear ? z : allocate(size)
                step = Step(operation: .dense(kernel: kernel, bias: bias, inFeatures: inFeatures, units: d.units,
                                              activation: d.activation, trainable: layer.trainable),
                            rowsPerSample: rows, features: features, inputRowsPerSample: inRows, inputFeatures: inFeatures,
                            scratch: z, output: a, gradient: needsGradient ? allocate(size) : nil)
                if threads > 1, d.activation != .softmax, d.units >= 32 * threads {
                    step.columnSplit = partition(d.units, into: threads, alignment: 16)
                }
            case .flatten:
                step = Step(operation: .flatten, rowsPerSample: 1, features: features, inputRowsPerSample: inRows,
                            inputFeatures: inFeatures, scratch: nil, output: previousOutput, gradient: previousGradient)
            case let .activation(act):
                step = Step(operation: .activation(act), rowsPerSample: rows, features: features, inputRowsPerSample: inRows,
                            inputFeatures: inFeatures, scratch: nil, output: allocate(size),
                            gradient: needsGradient ? allocate(size) : nil)
            case let .dropout(rate):
                step = Step(operation: .dropout(rate: Float(rate)), rowsPerSample: rows, features: features,
                            inputRowsPerSample: inRows, inputFeatures: inFeatures,
                            scratch: training ? allocate(size) : nil, output: training ? allocate(size) : previousOutput,
                            gradient: needsGradient ? allocate(size) : nil)
            }
            steps.append(step)
            previousOutput = step.output
            previousGradient = step.gradient
            shape = outShape
        }
        pool = steps.contains { $0.columnSplit != nil } ? WorkerPool(threads: threads) : nil
        if pool == nil { for i in steps.indices { steps[i].columnSplit = nil } }
        self.steps = steps
        allocations = buffers
    }

    deinit {
        input.deallocate()
        for p in allocations { p.deallocate() }
    }

    /// The output columns each thread computes for layer `index`, or `nil` when one thread does.
    func columnSplit(ofLayer index: Int) -> [Range<Int>]? {
        index < steps.count ? steps[index].columnSplit : nil
    }

    /// The network's output after ``forward(samples:weights:training:rng:)``, `[samples, outputSize]`.
    var output: UnsafeMutablePointer<Float> { steps.last?.output ?? input }

    /// The buffer that receives ∂L/∂output (or ∂L/∂logits for a fused loss) before ``backward(samples:weights:gradients:fused:accumulate:)``.
    var outputGradient: UnsafeMutablePointer<Float>? { steps.last?.gradient }

    /// The final activation when it is the network's last computation (a Dense activation or an
    /// Activation layer), so a loss can fuse with it.
    var finalActivation: Activation? {
        switch steps.last?.operation {
        case let .dense(_, _, _, _, activation, _)?: return activation
        case let .activation(a)?: return a
        default: return nil
        }
    }

    /// The input of the final activation (the logits), valid after a forward pass.
    var finalLogits: UnsafePointer<Float>? {
        guard let last = steps.last else { return nil }
        switch last.operation {
        case .dense: return last.scratch.map { UnsafePointer($0) }
        case .activation: return UnsafePointer(steps.count >= 2 ? steps[steps.count - 2].output : input)
        default: return nil
        }
    }

    /// Runs the network on the first `n` samples of ``input``.
    ///
    /// - Parameters:
    ///   - weights: one pointer per ``WeightSpec`` of the architecture, in order.
    ///   - training: applies dropout (drawing masks from `rng`) when true.
    @discardableResult
    func forward(samples n: Int, weights: [UnsafePointer<Float>], training: Bool, rng: inout SeededGenerator)
        -> UnsafeMutablePointer<Float>
    {
        var x = UnsafePointer(input)
        for step in steps {
            switch step.operation {
            case let .dense(kernel, bias, inFeatures, units, activation, _):
                let rows = n * step.rowsPerSample
                guard let z = step.scratch else { break }
                let input = x, output = step.output
                func compute(_ columns: Range<Int>) {
                    guard !columns.isEmpty else { return }
                    let c0 = columns.lowerBound, width = columns.count
                    if let bias {
                        let b = weights[bias] + c0
                        for r in 0..<rows { (z + r * units + c0).update(from: b, count: width) }
                    }
                    BLAS.gemm(m: rows, n: width, k: inFeatures, a: input, lda: inFeatures, b: weights[kernel] + c0, ldb: units,
                              beta: bias == nil ? 0 : 1, c: z + c0, ldc: units)
                    guard activation != .linear else { return }
                    if width == units {
                        activation.apply(UnsafePointer(z), to: output, rows: rows, columns: units)
                    } else {
                        for r in 0..<rows {
                            activation.apply(UnsafePointer(z + r * units + c0), to: output + r * units + c0, rows: 1, columns: width)
                        }
                    }
                }
                if let split = step.columnSplit, let pool {
                    pool.run { compute(split[$0]) }
                } else {
                    compute(0..<units)
                }
            case .flatten:
                break
            case let .activation(act):
                act.apply(x, to: step.output, rows: n * step.rowsPerSample, columns: step.features)
            case let .dropout(rate):
                guard training, let mask = step.scratch, rate > 0 else {
                    if step.output != UnsafeMutablePointer(mutating: x) {
                        step.output.update(from: x, count: n * step.rowsPerSample * step.features)
                    }
                    break
                }
                let count = n * step.rowsPerSample * step.features
                let keep = 1 - rate, scale = 1 / keep
                for i in 0..<count {
                    let m: Float = rng.nextUnitFloat() < keep ? scale : 0
                    mask[i] = m
                    step.output[i] = x[i] * m
                }
            }
            x = UnsafePointer(step.output)
        }
        return output
    }

    /// Back-propagates ``outputGradient`` through the network, writing weight gradients.
    ///
    /// - Parameters:
    ///   - weights: the same pointers as the forward pass.
    ///   - gradients: one pointer per weight, shaped like it; non-trainable weights are skipped.
    ///   - fused: ``outputGradient`` holds ∂L/∂logits of ``finalActivation`` rather than ∂L/∂output.
    ///   - accumulate: add to `gradients` instead of overwriting them (for batches processed in chunks).
    ///   - update: when given (a whole batch in one call), each kernel gradient is computed in
    ///     tiles of ``gradientTileRows`` rows (split by columns across the threads for a split
    ///     layer), and `update(weight, rows, columns, gradient)` receives each tile (and each bias)
    ///     while it is still in cache, to apply the optimizer at once; `gradient` points at the
    ///     tile's first element (in `gradients`) and has the weight's row stride. A layer's input
    ///     gradient is computed before its weights are updated, so it uses the weights of the
    ///     forward pass.
    func backward(
        samples n: Int, weights: [UnsafePointer<Float>], gradients: [UnsafeMutablePointer<Float>],
        fused: Bool, accumulate: Bool,
        update: ((_ weight: Int, _ rows: Range<Int>, _ columns: Range<Int>, _ gradient: UnsafePointer<Float>) -> Void)? = nil
    ) {
        var index = steps.count - 1
        while index >= 0, index >= firstTrainableStep {
            let step = steps[index]
            let isLast = index == steps.count - 1
            let previousOutput = index > 0 ? UnsafePointer(steps[index - 1].output) : UnsafePointer(input)
            let previousGradient = index > 0 ? steps[index - 1].gradient : inputGradient
            let needsInputGradient = index > firstTrainableStep && previousGradient != nil
            guard let g = step.gradient else { break }
            switch step.operation {
            case let .dense(kernel, bias, inFeatures, units, activation, trainable):
                let rows = n * step.rowsPerSample
                let z = step.scratch, output = UnsafePointer(step.output)
                // ∂L/∂z for a slice of the output columns.
                func activationGradient(_ columns: Range<Int>) {
                    guard !columns.isEmpty, !(fused && isLast), let z else { return }
                    if columns.count == units {
                        activation.backward(input: z, output: output, outputGradient: g, inputGradient: g, rows: rows, columns: units)
                        return
                    }
                    for r in 0..<rows {
                        let o = r * units + columns.lowerBound
                        activation.backward(input: z + o, output: output + o, outputGradient: g + o, inputGradient: g + o,
                                            rows: 1, columns: columns.count)
                    }
                }
                // ∂L/∂kernel and ∂L/∂bias for a slice of the output columns, handing each tile to `update`.
                func weightGradients(_ columns: Range<Int>) {
                    guard trainable, !columns.isEmpty else { return }
                    let c0 = columns.lowerBound, width = columns.count
                    // In row tiles: products this small run OpenBLAS's small-matrix kernel (which
                    // also writes C without a separate beta pass), and each tile is still in cache
                    // when `update` reads it.
                    var r0 = 0
                    while r0 < inFeatures {
                        let r1 = min(r0 + Network.gradientTileRows, inFeatures)
                        let tile = gradients[kernel] + r0 * units + c0
                        BLAS.gemm(transposeA: true, m: r1 - r0, n: width, k: rows, a: previousOutput + r0, lda: inFeatures,
                                  b: g + c0, ldb: units, beta: accumulate ? 1 : 0, c: tile, ldc: units)
                        update?(kernel, r0..<r1, columns, tile)
                        r0 = r1
                    }
                    if let bias {
                        let db = gradients[bias] + c0
                        if !accumulate { db.update(repeating: 0, count: width) }
                        for r in 0..<rows {
                            let row = g + r * units + c0
                            for j in 0..<width { db[j] += row[j] }
                        }
                        update?(bias, 0..<1, columns, db)
                    }
                }
                // ∂L/∂x for a slice of the rows (it needs every column of ∂L/∂z).
                func inputGradient(_ rowRange: Range<Int>, into dx: UnsafeMutablePointer<Float>) {
                    guard !rowRange.isEmpty else { return }
                    BLAS.gemm(transposeB: true, m: rowRange.count, n: inFeatures, k: units, a: g + rowRange.lowerBound * units,
                              lda: units, b: weights[kernel], ldb: units, c: dx + rowRange.lowerBound * inFeatures, ldc: inFeatures)
                }
                // A split layer runs each part on every thread, its own columns or rows; others on this one.
                let pool = step.columnSplit == nil ? nil : self.pool
                let columnSlices = pool == nil ? [0..<units] : step.columnSplit ?? []
                let rowSlices = pool.map { partition(rows, into: $0.size) } ?? [0..<rows]
                func onEveryThread(_ body: (Int) -> Void) { if let pool { pool.run(body) } else { body(0) } }
                onEveryThread { activationGradient(columnSlices[$0]) }
                // The input gradient comes before `update` changes this step's weights.
                if needsInputGradient, let dx = previousGradient { onEveryThread { inputGradient(rowSlices[$0], into: dx) } }
                onEveryThread { weightGradients(columnSlices[$0]) }
            case .flatten:
                break  // shares its gradient buffer with the previous step
            case let .activation(act):
                guard needsInputGradient, let dx = previousGradient else { break }
                let count = n * step.rowsPerSample * step.features
                if fused && isLast {
                    dx.update(from: g, count: count)
                } else {
                    act.backward(input: previousOutput, output: step.output, outputGradient: g, inputGradient: dx,
                                 rows: n * step.rowsPerSample, columns: step.features)
                }
            case .dropout:
                guard needsInputGradient, let dx = previousGradient else { break }
                let count = n * step.rowsPerSample * step.features
                if let mask = step.scratch {
                    for i in 0..<count { dx[i] = g[i] * mask[i] }
                } else {
                    dx.update(from: g, count: count)
                }
            }
            index -= 1
        }
    }
}
