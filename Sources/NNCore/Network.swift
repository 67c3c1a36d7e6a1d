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
    }

    /// The most Float32 values the engine's buffers may hold together (16 GiB).
    static let maximumBufferElements = 1 << 32

    let maxSamples: Int
    let inputSize: Int
    let outputSize: Int
    private(set) var steps: [Step] = []
    /// The input batch, `[maxSamples, inputSize]`: callers fill it before ``forward(samples:weights:training:rng:)``.
    let input: UnsafeMutablePointer<Float>
    /// ∂L/∂input of the first step; never computed for the network input itself.
    private let inputGradient: UnsafeMutablePointer<Float>?
    private var allocations: [UnsafeMutablePointer<Float>] = []
    /// The first step whose backward pass matters (the first with trainable weights).
    private let firstTrainableStep: Int

    /// Builds the engine for `architecture` and up to `maxSamples` samples per call.
    ///
    /// - Parameter training: whether to allocate gradient buffers for ``backward(samples:weights:gradients:fused:accumulate:)``.
    init(architecture: ModelArchitecture, maxSamples: Int, training: Bool) throws(ModelConfigError) {
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

        func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
            p.initialize(repeating: 0, count: max(1, count))
            allocations.append(p)
            return p
        }

        inputGradient = nil
        var previousOutput = input
        var previousGradient: UnsafeMutablePointer<Float>? = nil
        var shape = architecture.inputShape
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
    }

    deinit {
        input.deallocate()
        for p in allocations { p.deallocate() }
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
                if let bias {
                    let b = weights[bias]
                    for r in 0..<rows { (z + r * units).update(from: b, count: units) }
                }
                BLAS.gemm(m: rows, n: units, k: inFeatures, a: x, lda: inFeatures, b: weights[kernel], ldb: units,
                          beta: bias == nil ? 0 : 1, c: z, ldc: units)
                if activation != .linear {
                    activation.apply(UnsafePointer(z), to: step.output, rows: rows, columns: units)
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
    func backward(
        samples n: Int, weights: [UnsafePointer<Float>], gradients: [UnsafeMutablePointer<Float>],
        fused: Bool, accumulate: Bool
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
                if !(fused && isLast), let z = step.scratch {
                    activation.backward(input: z, output: step.output, outputGradient: g, inputGradient: g,
                                        rows: rows, columns: units)
                }
                if trainable {
                    BLAS.gemm(transposeA: true, m: inFeatures, n: units, k: rows, a: previousOutput, lda: inFeatures,
                              b: g, ldb: units, beta: accumulate ? 1 : 0, c: gradients[kernel], ldc: units)
                    if let bias {
                        let db = gradients[bias]
                        if !accumulate { db.update(repeating: 0, count: units) }
                        for r in 0..<rows {
                            let row = g + r * units
                            for j in 0..<units { db[j] += row[j] }
                        }
                    }
                }
                if needsInputGradient, let dx = previousGradient {
                    BLAS.gemm(transposeB: true, m: rows, n: inFeatures, k: units, a: g, lda: units,
                              b: weights[kernel], ldb: units, c: dx, ldc: inFeatures)
                }
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
