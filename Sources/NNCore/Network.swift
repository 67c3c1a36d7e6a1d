internal import CKernels

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
        case conv2D(ConvolutionStep)
        case pooling(PoolingStep)
        case globalPooling(PoolingMode, positions: Int)
        /// Reshape: like Flatten, the previous step's buffers seen with another shape.
        case reshape
        case batchNorm(BatchNormStep, trainable: Bool)
        case layerNorm(LayerNormStep, trainable: Bool)
        case elementwise(ElementwiseFunction)
        case prelu(PReLUStep)
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
        /// For a large Dense layer: its input features in blocks (see ``featureParts(inFeatures:units:)``),
        /// the units of work of its backward pass.
        var featureParts: [Range<Int>]?
        /// The feature blocks each pool task computes, as ranges of block indices (one range
        /// without a pool).
        var partsPerTask: [Range<Int>] = []
        /// For a large Dense layer computed on few rows (no ``columnParts``): the forward products
        /// of feature blocks 1, 2, ..., each `[maxSamples × rowsPerSample, features]` (block 0's goes
        /// straight into `scratch`), `partialStride` floats apart, summed in block order.
        var partials: UnsafeMutablePointer<Float>?
        /// Floats from one partial product to the next: a multiple of 16, so that threads writing
        /// different products never share a cache line.
        var partialStride = 0
        /// For a large Dense layer with an elementwise activation: its output columns (units) in
        /// blocks (see ``columnParts(inFeatures:units:activation:)``), the units of work of its
        /// forward pass.
        var columnParts: [Range<Int>]?
        /// The column blocks each pool task computes, as ranges of block indices.
        var columnsPerTask: [Range<Int>] = []

        /// Whether the step is a view of the previous step's buffers (Flatten, Reshape).
        var isFlatten: Bool {
            switch operation {
            case .flatten, .reshape: return true
            default: return false
            }
        }
    }

    /// Whether the inference products of a Dense layer of this size go through nnmodel's own
    /// kernel (`nn_dense_forward`, AVX-512) rather than OpenBLAS: when the CPU has it and the
    /// kernel matrix fits a core's L2 cache (up to 2^18 values), where it is as fast as OpenBLAS's
    /// sgemm here and spares a small prediction the 4 ms of loading OpenBLAS. Larger layers are
    /// faster with OpenBLAS.
    static func usesOwnKernel(inFeatures: Int, units: Int) -> Bool {
        let (weights, overflow) = inFeatures.multipliedReportingOverflow(by: units)
        return nn_dense_forward_supported() != 0 && !overflow && weights <= 1 << 18
    }

    /// Whether this engine's inference forward pass runs a Dense layer of this size on the own
    /// kernel: single-threaded engines only (one with a pool shares large layers among threads).
    private func infersWithOwnKernel(inFeatures: Int, units: Int) -> Bool {
        pool == nil && Network.usesOwnKernel(inFeatures: inFeatures, units: units)
    }

    /// Whether ``forward(samples:weights:training:rng:fillInput:)`` for inference calls OpenBLAS.
    var inferenceUsesBLAS: Bool {
        steps.contains { step in
            switch step.operation {
            case .conv2D: return true
            case let .dense(_, _, inFeatures, units, _, _): return !infersWithOwnKernel(inFeatures: inFeatures, units: units)
            default: return false
            }
        }
    }

    /// The most Float32 values one engine's work buffers may hold together (1 GiB): training
    /// refuses a batch that needs more, inference splits its batches so they fit.
    package static let maximumBufferElements = 1 << 28

    /// The Float32 values of the work buffers for `maxSamples` samples (the input, then per value
    /// of each layer's output at most the output and the pre-activation (or a dropout mask), and
    /// when training also the gradient and the products of up to three more feature blocks), or
    /// `nil` when that overflows.
    /// A convolution also counts its lowered input (one row of `kernel × channels` values per
    /// output position) and a normalization in training its normalized values.
    static func workBufferElements(inputShape: [Int], layers: [Layer], layerShapes: [[Int]], maxSamples: Int, training: Bool) -> Int? {
        let buffersPerValue = training ? 3 + (Network.maximumFeatureParts - 1) : 2
        var perSample = inputShape.reduce(1, *)
        for (i, shape) in layerShapes.enumerated() {
            var (values, overflow) = shape.reduce(1, *).multipliedReportingOverflow(by: buffersPerValue + (training ? 1 : 0))
            guard !overflow else { return nil }
            if i < layers.count, case let .conv2D(c) = layers[i].kind {
                let input = i == 0 ? inputShape : layerShapes[i - 1]
                let lowered = Tensor.checkedCount(of: [shape.dropLast().reduce(1, *), c.kernelSize.reduce(1, *), input.last ?? 1])
                guard let lowered else { return nil }
                (values, overflow) = values.addingReportingOverflow(lowered)
                guard !overflow else { return nil }
            }
            let (sum, overflow2) = perSample.addingReportingOverflow(values)
            guard !overflow2 else { return nil }
            perSample = sum
        }
        let (total, overflow) = perSample.multipliedReportingOverflow(by: max(1, maxSamples))
        return overflow ? nil : total
    }

    let maxSamples: Int
    let inputSize: Int
    let outputSize: Int
    private(set) var steps: [Step]
    /// The input batch, `[maxSamples, inputSize]`: callers fill it before
    /// ``forward(samples:weights:training:rng:fillInput:)``, or have that call fill it.
    let input: UnsafeMutablePointer<Float>
    /// ∂L/∂input of the first step; never computed for the network input itself.
    private let inputGradient: UnsafeMutablePointer<Float>?
    private let allocations: [UnsafeMutablePointer<Float>]
    /// The first step whose backward pass matters (the first with trainable weights).
    private let firstTrainableStep: Int
    /// Threads that share the large Dense layers, when there is more than one.
    let pool: WorkerPool?
    /// The alignment of feature blocks, and the fewest rows of a kernel gradient computed at a time.
    static let gradientTileRows = 64

    /// Rows of a kernel gradient with `units` columns, from `samples` samples, computed at a time
    /// (and handed to the optimizer, when fused): a multiple of ``gradientTileRows`` whose tile
    /// holds at most 2^18 values (1 MiB, within a core's L2 cache here), or one
    /// ``gradientTileRows``; but at least ``minimumStreamingTileRows`` when the output gradient
    /// (`samples` × `units`) is larger than that.
    ///
    /// Each tile is one product, which packs the whole output gradient again: taller tiles pack it
    /// fewer times (64-row tiles of a 1024-unit layer spent a third as long packing as multiplying).
    /// An output gradient beyond the cache is packed from memory, so it needs taller tiles still:
    /// at batch 1024, 784 → 4096 runs 50 GFLOP/s in 64-row tiles and 90–100 in 256–512-row ones on
    /// one core here. Such a tile no longer fits the cache, but the optimizer reads the weights
    /// and its slots from memory anyway, so it loses little.
    static func tileRows(units: Int, samples: Int) -> Int {
        let inCache = max(1, (1 << 18) / max(1, units) / gradientTileRows) * gradientTileRows
        let (values, overflow) = samples.multipliedReportingOverflow(by: units)
        return overflow || values > 1 << 18 ? max(inCache, minimumStreamingTileRows) : inCache
    }

    /// The fewest rows of a kernel-gradient tile whose output gradient does not fit the cache.
    static let minimumStreamingTileRows = 512

    /// Builds the engine for `architecture` and up to `maxSamples` samples per call.
    ///
    /// - Parameters:
    ///   - training: whether to allocate gradient buffers for ``backward(samples:weights:gradients:fused:accumulate:)``;
    ///     large Dense layers are then computed in blocks of input features (see ``featureParts(inFeatures:units:)``).
    ///   - threads: with more than one, the blocks of each such layer are shared out among the threads.
    init(architecture: ModelArchitecture, maxSamples: Int, training: Bool, threads: Int = 1) throws(ModelConfigError) {
        let shapes = try architecture.validated()
        let specs = try architecture.weightSpecs()
        var specIndex = [[String: Int]](repeating: [:], count: architecture.layers.count)
        for (position, spec) in specs.enumerated() { specIndex[spec.layerIndex][spec.role] = position }
        // Refuse work buffers that cannot fit, rather than failing inside an allocation.
        let total = Network.workBufferElements(inputShape: architecture.inputShape, layers: architecture.layers,
                                               layerShapes: shapes, maxSamples: maxSamples, training: training)
        guard let total, total <= Network.maximumBufferElements else {
            let perSample = Network.workBufferElements(inputShape: architecture.inputShape, layers: architecture.layers,
                                                       layerShapes: shapes, maxSamples: 1, training: training)
            throw .invalidField(layer: architecture.name, field: "batch",
                                expected: "work buffers of at most \(Network.maximumBufferElements / (1 << 28)) GiB",
                                found: "\(maxSamples) samples × \(perSample.map(String.init) ?? "too many") values per sample")
        }
        self.maxSamples = max(1, maxSamples)
        inputSize = architecture.inputShape.reduce(1, *)
        outputSize = shapes.last?.reduce(1, *) ?? inputSize

        var firstTrainable = Int.max
        for spec in specs where spec.trainable { firstTrainable = min(firstTrainable, spec.layerIndex) }
        firstTrainableStep = firstTrainable

        var buffers: [UnsafeMutablePointer<Float>] = []
        func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
            // Cache-line aligned, so that different buffers share no lines.
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
            let p = raw.initializeMemory(as: Float.self, repeating: 0, count: max(1, count))
            buffers.append(p)
            return p
        }
        input = allocate(self.maxSamples * inputSize)
        let threads = max(1, threads)
        let convolutionTasks = min(threads, ConvolutionStep.maximumGroups)

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
                let kernel = specIndex[i]["kernel"] ?? 0
                let bias = specIndex[i]["bias"]
                let z = allocate(size)
                let a = d.activation == .linear ? z : allocate(size)
                step = Step(operation: .dense(kernel: kernel, bias: bias, inFeatures: inFeatures, units: d.units,
                                              activation: d.activation, trainable: layer.trainable),
                            rowsPerSample: rows, features: features, inputRowsPerSample: inRows, inputFeatures: inFeatures,
                            scratch: z, output: a, gradient: needsGradient ? allocate(size) : nil)
                if training {
                    step.featureParts = Network.featureParts(inFeatures: inFeatures, units: d.units,
                                                             rows: self.maxSamples * rows)
                    step.columnParts = Network.columnParts(inFeatures: inFeatures, units: d.units, activation: d.activation,
                                                           rows: self.maxSamples * rows)
                    if let parts = step.featureParts, step.columnParts == nil {
                        step.partialStride = (size + 15) / 16 * 16
                        step.partials = allocate(step.partialStride * (parts.count - 1))
                    }
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
            case .reshape:
                step = Step(operation: .reshape, rowsPerSample: rows, features: features, inputRowsPerSample: inRows,
                            inputFeatures: inFeatures, scratch: nil, output: previousOutput, gradient: previousGradient)
            default:
                let operation = Network.operation(for: layer, input: shape, specIndex: specIndex[i],
                                                  maxSamples: self.maxSamples, training: training,
                                                  tasks: convolutionTasks, allocate: allocate)
                var scratch: UnsafeMutablePointer<Float>? = nil
                var output: UnsafeMutablePointer<Float>
                if case let .conv2D(c) = operation {
                    let z = allocate(size)
                    scratch = z
                    output = c.activation == .linear ? z : allocate(size)
                } else {
                    output = allocate(size)
                }
                step = Step(operation: operation, rowsPerSample: rows, features: features, inputRowsPerSample: inRows,
                            inputFeatures: inFeatures, scratch: scratch, output: output,
                            gradient: needsGradient ? allocate(size) : nil)
            }
            steps.append(step)
            previousOutput = step.output
            previousGradient = step.gradient
            shape = outShape
        }
        // More threads than the largest layer has blocks would only wait.
        let convolutionGroups = steps.compactMap { step -> Int? in
            if case let .conv2D(c) = step.operation { return c.columns.count }
            return nil
        }
        let blocks = steps.compactMap(\.featureParts?.count) + steps.compactMap(\.columnParts?.count)
        let useful = min(threads, max(blocks.max() ?? 1, convolutionGroups.max() ?? 1))
        pool = useful > 1 ? WorkerPool(threads: useful) : nil
        for i in steps.indices {
            if let parts = steps[i].featureParts { steps[i].partsPerTask = partition(parts.count, into: pool?.size ?? 1) }
            if let parts = steps[i].columnParts { steps[i].columnsPerTask = partition(parts.count, into: pool?.size ?? 1) }
        }
        self.steps = steps
        allocations = buffers
    }

    deinit {
        for p in allocations { p.deallocate() }  // `input` among them
    }

    /// The blocks of input features a Dense layer with `inFeatures` inputs and `units` outputs is
    /// computed in when training, or `nil` for a layer computed whole.
    ///
    /// A large layer's backward pass is computed block by block: the input gradient's columns of
    /// the block (from the block's rows of `W`) and the kernel gradient's rows of the block, each a
    /// whole sum over the units or the samples. The blocks depend on the layer alone, never on the
    /// thread count: with several threads, each computes whole blocks, so every thread count
    /// performs the same products and trains the same weights, bit for bit. A thread normally
    /// takes the same blocks every step (see ``WorkerPool``) and then writes only its own rows of
    /// the weights, their gradients and optimizer slots, one contiguous region. (Threads writing
    /// interleaved column slices of the same rows run several times slower here: the cores keep
    /// passing cache lines back and forth.)
    ///
    /// A layer is large when its kernel has at least 2^15 weights, or its products for `rows` rows
    /// (samples times rows per sample) at least 2^21 multiply-adds (a wide layer into a few
    /// units, such as a classifier on 1024 features at batch 256).
    static func featureParts(inFeatures: Int, units: Int, rows: Int) -> [Range<Int>]? {
        let tiles = (inFeatures + gradientTileRows - 1) / gradientTileRows
        let weights = inFeatures * units
        guard tiles >= 2, weights >= 1 << 15 || weights.multipliedReportingOverflow(by: rows).partialValue >= 1 << 21 else { return nil }
        return partition(inFeatures, into: min(tiles, maximumFeatureParts), alignment: gradientTileRows)
    }

    /// The most blocks a layer's input features are split into: the most threads that share a layer.
    static let maximumFeatureParts = 4

    /// The blocks of output columns (units) a large Dense layer's forward pass is computed in when
    /// training, or `nil` for a layer computed whole (a small one, or one whose activation needs
    /// whole rows: softmax).
    ///
    /// Each block is one product `x · W[:, block]` over all input features (a whole sum: the
    /// reduction is never split), on top of the bias, followed by the block's activation, on the
    /// thread that computes the block. Blocks are multiples of 16 columns (64 bytes), so threads
    /// writing different blocks of the same rows share no cache line, and, like the feature
    /// blocks, depend on the layer alone, so every thread count makes the same calls.
    ///
    /// Only for at least ``minimumColumnRows`` rows: each thread reads every row of `W`, half of them
    /// just updated by the other core, and on fewer rows that traffic costs more than the products
    /// (784 → 2048 at batch 32: 10% slower than feature blocks). Such a layer's forward pass is
    /// computed in feature blocks instead, one product per block summed in block order.
    static func columnParts(inFeatures: Int, units: Int, activation: Activation, rows: Int) -> [Range<Int>]? {
        guard activation != .softmax, rows >= minimumColumnRows, inFeatures * units >= 1 << 15 else { return nil }
        let parts = min(maximumFeatureParts, units / minimumColumnBlock)
        guard parts >= 2 else { return nil }
        return partition(units, into: parts, alignment: 16)
    }

    /// The fewest output columns of a forward block.
    static let minimumColumnBlock = 32

    /// The fewest rows (samples times rows per sample) a forward pass is split by columns for.
    static let minimumColumnRows = 64

    /// The blocks of input features of layer `index`, or `nil` when it is computed whole.
    func featureParts(ofLayer index: Int) -> [Range<Int>]? {
        index < steps.count ? steps[index].featureParts : nil
    }

    /// Runs `body(part)` for every feature block of `step`, each pool task on its own run of blocks.
    private func forEachPart(of step: Step, _ body: (Int) -> Void) {
        forEach(step.partsPerTask, body)
    }

    /// Runs `body(block)` for every block index of `groups`, each pool task on its own group.
    private func forEach(_ groups: [Range<Int>], _ body: (Int) -> Void) {
        guard let pool, groups.count == pool.size else { for group in groups { for p in group { body(p) } }; return }
        pool.run { for p in groups[$0] { body(p) } }
    }

    /// The kernel rows whose gradients each thread computes (and updates) for layer `index`, or
    /// `nil` when the layer is computed whole by the calling thread. The thread whose rows start
    /// at 0 also takes the bias.
    func kernelRowsPerThread(ofLayer index: Int) -> [Range<Int>]? {
        guard index < steps.count, let parts = steps[index].featureParts else { return nil }
        return steps[index].partsPerTask.map { group in
            group.isEmpty ? 0..<0 : parts[group.lowerBound].lowerBound..<parts[group.upperBound - 1].upperBound
        }
    }

    /// The network's output after ``forward(samples:weights:training:rng:fillInput:)``, `[samples, outputSize]`.
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
    ///   - fillInput: when given, writes the given features (columns) of the first `n` rows of
    ///     ``input`` before they are read; it may be called concurrently for disjoint features.
    @discardableResult
    func forward(samples n: Int, weights: [UnsafePointer<Float>], training: Bool, rng: inout SeededGenerator,
                 fillInput: ((_ features: Range<Int>) -> Void)? = nil)
        -> UnsafeMutablePointer<Float>
    {
        var x = UnsafePointer(input)
        if let fillInput {
            // Every thread fills its own blocks of features (a copy: any split gives the same values).
            if let pool {
                let blocks = partition(inputSize, into: pool.size, alignment: 16)
                pool.run { if !blocks[$0].isEmpty { fillInput(blocks[$0]) } }
            } else {
                fillInput(0..<inputSize)
            }
        }
        for step in steps {
            switch step.operation {
            case let .dense(kernel, bias, inFeatures, units, activation, _):
                let rows = n * step.rowsPerSample
                guard let z = step.scratch else { break }
                let input = x, output = step.output
                func fillBias() {
                    guard let bias else { return }
                    for r in 0..<rows { (z + r * units).update(from: weights[bias], count: units) }
                }
                if !training, infersWithOwnKernel(inFeatures: inFeatures, units: units),
                   nn_dense_forward(input, inFeatures, weights[kernel], units, bias.map { weights[$0] }, z, units, rows, units, inFeatures) != 0 {
                    if activation != .linear {
                        activation.apply(UnsafePointer(z), to: output, rows: rows, columns: units)
                    }
                } else if let parts = step.columnParts {
                    // One product per block of output columns, on top of the block's bias, then the
                    // block's activation, all on the thread that computes the block.
                    forEach(step.columnsPerTask) { p in
                        let c = parts[p]
                        if let bias {
                            for r in 0..<rows { (z + r * units + c.lowerBound).update(from: weights[bias] + c.lowerBound, count: c.count) }
                        }
                        BLAS.gemm(m: rows, n: c.count, k: inFeatures, a: input, lda: inFeatures,
                                  b: weights[kernel] + c.lowerBound, ldb: units,
                                  beta: bias == nil ? 0 : 1, c: z + c.lowerBound, ldc: units)
                        if activation != .linear {
                            for r in 0..<rows {
                                let offset = r * units + c.lowerBound
                                activation.apply(UnsafePointer(z + offset), to: output + offset, rows: 1, columns: c.count)
                            }
                        }
                    }
                } else if let parts = step.featureParts, let partials = step.partials {
                    // One product per block of input features: block 0 on top of the bias in z, the
                    // others into their own buffers, then summed into z in block order.
                    let stride = step.partialStride
                    forEachPart(of: step) { p in
                        let k = parts[p]
                        if p == 0 { fillBias() }
                        BLAS.gemm(m: rows, n: units, k: k.count, a: input + k.lowerBound, lda: inFeatures,
                                  b: weights[kernel] + k.lowerBound * units, ldb: units,
                                  beta: p == 0 && bias != nil ? 1 : 0,
                                  c: p == 0 ? z : partials + (p - 1) * stride, ldc: units)
                    }
                    for p in 1..<parts.count {
                        let product = partials + (p - 1) * stride
                        for i in 0..<rows * units { z[i] += product[i] }
                    }
                    if activation != .linear {
                        activation.apply(UnsafePointer(z), to: output, rows: rows, columns: units)
                    }
                } else {
                    fillBias()
                    BLAS.gemm(m: rows, n: units, k: inFeatures, a: input, lda: inFeatures, b: weights[kernel], ldb: units,
                              beta: bias == nil ? 0 : 1, c: z, ldc: units)
                    if activation != .linear {
                        activation.apply(UnsafePointer(z), to: output, rows: rows, columns: units)
                    }
                }
            case .flatten:
                break
            case let .activation(act):
                act.apply(x, to: step.output, rows: n * step.rowsPerSample, columns: step.features)
            case .reshape:
                break
            case let .conv2D(c):
                guard let z = step.scratch else { break }
                c.forward(x, samples: n, weights: weights, z: z, output: step.output, pool: pool)
            case let .pooling(p):
                p.forward(x: x, y: step.output, samples: n, training: training, pool: pool)
            case let .globalPooling(mode, positions):
                Pooling.globalForward(mode, positions: positions, channels: step.features, x: x, y: step.output, samples: n)
            case let .batchNorm(bn, _):
                bn.forward(x, rows: n * step.rowsPerSample, weights: weights, training: training, y: step.output)
            case let .layerNorm(ln, _):
                ln.forward(x, rows: n * step.rowsPerSample, weights: weights, training: training, y: step.output)
            case let .elementwise(f):
                f.forward(x, step.output, count: n * step.rowsPerSample * step.features)
            case let .prelu(p):
                p.forward(x, step.output, samples: n, weights: weights)
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
    ///     tiles of ``gradientTileRows`` rows (the tiles of each feature block on the thread that
    ///     computes the block), and `update(weight, rows, columns, gradient)` receives each tile
    ///     (and each bias) while it is still in cache, to apply the optimizer at once; `gradient`
    ///     has the weight's row stride and points into `gradients`. A layer's input gradient is
    ///     computed before its weights are updated, so it uses the weights of the forward pass.
    func backward(
        samples n: Int, weights: [UnsafePointer<Float>], gradients: [UnsafeMutablePointer<Float>],
        fused: Bool, accumulate: Bool,
        update: ((_ weight: Int, _ rows: Range<Int>, _ columns: Range<Int>, _ gradient: UnsafePointer<Float>) -> Void)? = nil
    ) {
        var index = steps.count - 1
        // Whether the step at `index` already has ∂L/∂z: the next layer's tasks applied its
        // activation's derivative block by block as they computed its output gradient.
        var activationApplied = false
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
                // ∂L/∂z, in place (elementwise and cheap: one thread, no join).
                if !(fused && isLast), !activationApplied, let z {
                    activation.backward(input: z, output: output, outputGradient: g, inputGradient: g, rows: rows, columns: units)
                }
                activationApplied = false
                // ∂L/∂kernel for a range of kernel rows (and ∂L/∂bias), handing each tile to `update`.
                func weightGradients(_ kernelRows: Range<Int>, bias includeBias: Bool) {
                    guard trainable else { return }
                    // In row tiles: products this small run OpenBLAS's small-matrix kernel (which
                    // also writes C without a separate beta pass), and each tile is still in cache
                    // when `update` reads it. Tiles start at multiples of the tile height whatever
                    // the thread count, so every thread count computes the same products.
                    var r0 = kernelRows.lowerBound
                    let tileRows = Network.tileRows(units: units, samples: rows)
                    while r0 < kernelRows.upperBound {
                        let r1 = min(r0 + tileRows, kernelRows.upperBound)
                        let tile = gradients[kernel] + r0 * units
                        BLAS.gemm(transposeA: true, m: r1 - r0, n: units, k: rows, a: previousOutput + r0, lda: inFeatures,
                                  b: g, ldb: units, beta: accumulate ? 1 : 0, c: tile, ldc: units)
                        update?(kernel, r0..<r1, 0..<units, tile)
                        r0 = r1
                    }
                    if includeBias, let bias {
                        let db = gradients[bias]
                        if !accumulate { db.update(repeating: 0, count: units) }
                        for r in 0..<rows {
                            let row = g + r * units
                            for j in 0..<units { db[j] += row[j] }
                        }
                        update?(bias, 0..<1, 0..<units, db)
                    }
                }
                // ∂L/∂x for a block of input features, from the same rows of the kernel.
                func inputGradient(_ features: Range<Int>, into dx: UnsafeMutablePointer<Float>) {
                    BLAS.gemm(transposeB: true, m: rows, n: features.count, k: units, a: g, lda: units,
                              b: weights[kernel] + features.lowerBound * units, ldb: units,
                              c: dx + features.lowerBound, ldc: inFeatures)
                }
                let dx = needsInputGradient ? previousGradient : nil
                if let parts = step.featureParts {
                    // When the previous step is a Dense layer with an elementwise activation, each
                    // task also turns its block of ∂L/∂x into the previous layer's ∂L/∂z.
                    var previousActivation: (z: UnsafePointer<Float>, y: UnsafePointer<Float>, f: Activation)?
                    if dx != nil, case let .dense(_, _, _, _, f, _) = steps[index - 1].operation, f != .softmax,
                       let pz = steps[index - 1].scratch, steps[index - 1].gradient == dx {
                        previousActivation = (UnsafePointer(pz), UnsafePointer(steps[index - 1].output), f)
                    }
                    // Each block's input gradient reads the block's kernel rows before `update`
                    // changes them, in the same task; no other task touches those rows.
                    forEachPart(of: step) { p in
                        if let dx {
                            let block = parts[p]
                            inputGradient(block, into: dx)
                            if let (pz, py, f) = previousActivation, f != .linear {
                                for r in 0..<rows {
                                    let o = r * inFeatures + block.lowerBound
                                    f.backward(input: pz + o, output: py + o, outputGradient: dx + o, inputGradient: dx + o,
                                               rows: 1, columns: block.count)
                                }
                            }
                        }
                        weightGradients(parts[p], bias: p == 0)
                    }
                    activationApplied = previousActivation != nil
                } else {
                    if let dx { inputGradient(0..<inFeatures, into: dx) }
                    weightGradients(0..<inFeatures, bias: true)
                }
            case .flatten, .reshape:
                break  // shares its gradient buffer with the previous step
            case let .conv2D(c):
                guard let z = step.scratch else { break }
                c.backward(previousOutput, samples: n, weights: weights, gradients: gradients, z: z, output: UnsafePointer(step.output),
                           g: g, gradientIsLogits: fused && isLast, dx: needsInputGradient ? previousGradient : nil,
                           accumulate: accumulate, pool: pool, update: update)
            case let .pooling(p):
                guard needsInputGradient, let dx = previousGradient else { break }
                p.backward(dy: g, dx: dx, samples: n, pool: pool)
            case let .globalPooling(mode, positions):
                guard needsInputGradient, let dx = previousGradient else { break }
                Pooling.globalBackward(mode, positions: positions, channels: step.features, x: previousOutput, y: step.output,
                                       dy: g, dx: dx, samples: n)
            case let .batchNorm(bn, trainable):
                bn.backward(dy: g, rows: n * step.rowsPerSample, weights: weights, gradients: gradients, trainable: trainable,
                            accumulate: accumulate, dx: needsInputGradient ? previousGradient : nil, update: update)
            case let .layerNorm(ln, trainable):
                ln.backward(dy: g, rows: n * step.rowsPerSample, weights: weights, gradients: gradients, trainable: trainable,
                            accumulate: accumulate, dx: needsInputGradient ? previousGradient : nil, update: update)
            case let .elementwise(f):
                guard needsInputGradient, let dx = previousGradient else { break }
                f.backward(previousOutput, step.output, dy: g, dx: dx, count: n * step.rowsPerSample * step.features)
            case let .prelu(p):
                p.backward(previousOutput, dy: g, dx: needsInputGradient ? previousGradient : nil, samples: n, weights: weights,
                           gradients: gradients, accumulate: accumulate, update: update)
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
