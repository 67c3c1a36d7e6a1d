internal import CKernels

extension Sequential {
    /// Runs the model on a batch of samples and returns its outputs, `[N] + outputShape`.
    ///
    /// `input` is `[N] + inputShape`, or any shape whose trailing axes hold the same number of
    /// values per sample (for example `[N, 784]` for a `[28, 28]` model). Work is split across
    /// `threads` threads (default: one per core).
    public func predict(_ input: Tensor, batchSize: Int = 256, threads: Int? = nil) throws -> Tensor {
        let perSample = architecture.inputShape.reduce(1, *)
        guard let n = input.shape.first, input.shape.count >= 2,
              input.shape.dropFirst().reduce(1, *) == perSample, architecture.accepts(sampleShape: Array(input.shape.dropFirst())) else {
            throw TrainingError.dataMismatch("input of shape \(input.shape) does not fit the model's input \([-1] + architecture.inputShape) (N samples of \(architecture.inputShape))")
        }
        // Before the outputs are allocated: a model whose one sample does not fit the work-buffer
        // budget is refused at once (its outputs alone could be gigabytes).
        _ = try inferenceElementsPerSample()
        let width = architecture.outputShape.reduce(1, *)
        let (outputCount, overflow) = n.multipliedReportingOverflow(by: width)
        guard !overflow, outputCount <= ModelArchitecture.maximumElements else {
            throw TrainingError.dataMismatch("the outputs of \(n) samples would hold more than \(ModelArchitecture.maximumElements) values; predict fewer samples at a time")
        }
        var output = [Float](repeating: 0, count: outputCount)
        try output.withUnsafeMutableBufferPointer { out in
            guard let base = out.baseAddress else { return }
            try runInference(count: n, batchSize: batchSize, threads: threads, fill: { network, range in
                network.input.update(from: input.unsafeBaseAddress + range.lowerBound * perSample, count: range.count * perSample)
            }, consume: { _, range, network in
                (base + range.lowerBound * width).update(from: network.output, count: range.count * width)
            })
        }
        return Tensor(shape: [n] + architecture.outputShape, values: output)
    }

    /// The work-buffer elements inference needs for one sample; refuses a model whose one sample
    /// does not fit the budget (`Network.maximumBufferElements`).
    func inferenceElementsPerSample() throws -> Int {
        let shapes = try architecture.validated()
        guard let perSample = Network.workBufferElements(inputShape: architecture.inputShape, layers: architecture.layers, layerShapes: shapes,
                                                         maxSamples: 1, training: false),
              perSample <= Network.maximumBufferElements else {
            throw ModelConfigError.invalidField(
                layer: architecture.name, field: "input",
                expected: "one sample's work buffers within \(Network.maximumBufferElements / (1 << 28)) GiB",
                found: "a model whose layers need more for one sample")
        }
        return perSample
    }

    /// Runs the model over `count` samples in chunks of at most `batchSize`, split into contiguous
    /// slices across worker threads. For each chunk, `fill` writes the inputs of the sample range
    /// into the network's input; after the forward pass, `consume(worker, range, network)` reads
    /// the outputs. Both are called concurrently for disjoint ranges.
    func runInference(count: Int, batchSize: Int, threads: Int?,
                      fill: (Network, Range<Int>) -> Void, consume: (Int, Range<Int>, Network) -> Void) throws {
        guard count > 0 else { return }
        guard batchSize >= 1 else { throw TrainingError.invalidOption(name: "batch size", value: "\(batchSize)", expected: "at least 1") }
        if let threads, !(1...WorkerPool.maximumThreads).contains(threads) {
            throw TrainingError.invalidOption(name: "threads", value: "\(threads)", expected: "1 to \(WorkerPool.maximumThreads)")
        }
        // Every worker's buffers hold one chunk; together they stay within the work-buffer budget,
        // so a model with huge layers runs in smaller chunks (and on fewer threads) instead of
        // allocating what its architecture demands. Only a sample that does not fit alone is refused.
        let perSample = try inferenceElementsPerSample()
        let affordable = Network.maximumBufferElements / perSample
        // Threads pay off only with enough samples to share.
        let workers = max(1, min(threads ?? WorkerPool.processorCount, (count + 127) / 128, affordable))
        let slices = partition(count, into: workers)
        let chunk = max(1, min(batchSize, slices.map(\.count).max() ?? 1, affordable / workers))
        let networks = try (0..<workers).map { _ in try Network(architecture: architecture, maxSamples: chunk, training: false) }
        try withExtendedLifetime(weights) {
            let pointers = weights.map(\.unsafeBaseAddress)
            func body(_ t: Int) {
                // As TensorFlow does (see nnfloatenv.h).
                let floatEnvironment = nn_fp_flush_denormals()
                defer { nn_fp_restore(floatEnvironment) }
                var rng = SeededGenerator(seed: 0)
                var start = slices[t].lowerBound
                while start < slices[t].upperBound {
                    let range = start..<min(start + chunk, slices[t].upperBound)
                    fill(networks[t], range)
                    networks[t].forward(samples: range.count, weights: pointers, training: false, rng: &rng)
                    consume(t, range, networks[t])
                    start = range.upperBound
                }
            }
            // The samples are split across our own workers; OpenBLAS adding threads of its own to
            // each product only makes them wait for each other (sched_yield) on these sizes.
            if networks.contains(where: \.inferenceUsesBLAS) { BLAS.setThreadCount(1) }
            if workers > 1 {
                guard let pool = WorkerPool(threads: workers) else { throw TrainingError.dataMismatch("cannot start worker threads") }
                pool.run(body)
            } else {
                body(0)
            }
        }
    }

    /// Loss, accuracy, predicted classes and confusion matrix of the model on a labelled dataset,
    /// like Keras's `model.evaluate` plus the predictions.
    ///
    /// - Parameters:
    ///   - data: labelled samples shaped like the model's input.
    ///   - loss: the loss to report; defaults to the loss the model was trained with (from its
    ///     metadata), else sparse categorical cross-entropy for class labels.
    ///   - batchSize: samples per inference batch (each thread's buffers hold one).
    ///   - threads: threads sharing the samples; `nil` for one per core.
    public func evaluate(_ data: Dataset, loss: Loss? = nil, batchSize: Int = 256, threads: Int? = nil) throws -> Evaluation {
        guard let labels = data.labels else { throw TrainingError.dataMismatch("\(data.name) has no labels to evaluate against") }
        guard data.count > 0 else { throw TrainingError.emptyDataset(data.name) }
        guard architecture.accepts(sampleShape: data.sampleShape) else {
            throw TrainingError.dataMismatch("\(data.name): samples have shape \(data.sampleShape), the model expects \(architecture.inputShape)")
        }
        let outShape = architecture.outputShape
        guard outShape.count == 1 else {
            throw TrainingError.dataMismatch("evaluation needs a model whose output is one vector per sample; this one outputs \(outShape)")
        }
        let width = outShape[0]
        _ = try inferenceElementsPerSample()  // before the probabilities are allocated
        let (probabilityCount, overflow) = data.count.multipliedReportingOverflow(by: width)
        guard !overflow, probabilityCount <= ModelArchitecture.maximumElements else {
            throw TrainingError.dataMismatch("the outputs of \(data.count) samples would hold more than \(ModelArchitecture.maximumElements) values; evaluate fewer samples at a time")
        }
        let chosenLoss: Loss
        if let loss {
            chosenLoss = loss
        } else if let name = metadata.loss, let l = Loss(kerasName: name) {
            chosenLoss = l
        } else if case .classes = labels, width > 1 {
            chosenLoss = .sparseCategoricalCrossentropy
        } else {
            chosenLoss = width == 1 ? .binaryCrossentropy : .categoricalCrossentropy
        }
        let n = data.count
        let chunk = min(max(1, batchSize), n)
        let maxWorkers = max(1, threads ?? WorkerPool.processorCount)
        let gatherers = try (0..<maxWorkers).map { _ in
            try TargetGatherer(labels: labels, loss: chosenLoss, outputWidth: width, capacity: chunk, datasetName: data.name)
        }
        let fusedActivation = chosenLoss.fusedActivation
        var probabilities = [Float](repeating: 0, count: n * width)
        var predictedClasses = [Int](repeating: 0, count: n)
        var lossSums = [Double](repeating: 0, count: maxWorkers)
        var correctCounts = [Int](repeating: 0, count: maxWorkers)
        let indices = Array(0..<n)
        try indices.withUnsafeBufferPointer { all in
            try probabilities.withUnsafeMutableBufferPointer { probs in
                try predictedClasses.withUnsafeMutableBufferPointer { predicted in
                    try lossSums.withUnsafeMutableBufferPointer { losses in
                        try correctCounts.withUnsafeMutableBufferPointer { corrects in
                            guard let probsBase = probs.baseAddress else { return }
                            try runInference(count: n, batchSize: chunk, threads: maxWorkers, fill: { network, range in
                                data.gather(UnsafeBufferPointer(rebasing: all[range]), into: network.input)
                            }, consume: { t, range, network in
                                let rows = range.count
                                let out = network.output
                                let targets = gatherers[t].gather(UnsafeBufferPointer(rebasing: all[range]))
                                if fusedActivation != nil, network.finalActivation == fusedActivation, let logits = network.finalLogits {
                                    losses[t] += chosenLoss.sum(logits: logits, targets: targets, rows: rows, columns: width)
                                } else {
                                    losses[t] += chosenLoss.sum(predictions: out, targets: targets, rows: rows, columns: width)
                                }
                                corrects[t] += TargetGatherer.correctCount(predictions: out, targets: targets, rows: rows, columns: width)
                                (probsBase + range.lowerBound * width).update(from: out, count: rows * width)
                                for r in 0..<rows {
                                    predicted[range.lowerBound + r] = width == 1 ? (out[r] > 0.5 ? 1 : 0) : argmax(out + r * width, width)
                                }
                            })
                        }
                    }
                }
            }
        }
        var trueClasses = [Int](repeating: 0, count: n)
        switch labels {
        case let .classes(c): for i in 0..<n { trueClasses[i] = Int(c[i]) }
        case let .dense(v, w):
            v.withUnsafeBufferPointer { p in
                guard let base = p.baseAddress else { return }
                for i in 0..<n { trueClasses[i] = w == 1 ? (p[i] > 0.5 ? 1 : 0) : argmax(base + i * w, w) }
            }
        }
        let classCount = max(width == 1 ? 2 : width, (trueClasses.max() ?? 0) + 1)
        let lossSum = lossSums.reduce(0, +), correct = correctCounts.reduce(0, +)
        return Evaluation(
            loss: lossSum / Double(n), lossName: chosenLoss.rawValue, accuracy: Double(correct) / Double(n),
            probabilities: Tensor(shape: [n, width], values: probabilities),
            predictedClasses: predictedClasses, trueClasses: trueClasses,
            confusion: ConfusionMatrix(trueClasses: trueClasses, predictedClasses: predictedClasses, classCount: classCount))
    }
}

/// The result of `Sequential.evaluate(_:loss:batchSize:threads:)`.
public struct Evaluation: Sendable {
    /// Mean loss over the samples.
    public var loss: Double
    /// The loss's Keras name.
    public var lossName: String
    /// Fraction of samples whose predicted class is the true one.
    public var accuracy: Double
    /// Model outputs, `[N, outputs]`.
    public var probabilities: Tensor
    /// Arg-max (or thresholded) class of each output.
    public var predictedClasses: [Int]
    /// True class of each sample.
    public var trueClasses: [Int]
    /// Counts of true class (rows) against predicted class (columns).
    public var confusion: ConfusionMatrix
}
