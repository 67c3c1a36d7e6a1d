internal import CKernels

/// The most samples the engine processes at once; larger batches (and full-batch gradient
/// descent) are accumulated chunk by chunk, which is exact and keeps memory bounded.
let maximumChunk = 512

extension Sequential {
    /// Trains the model on `data`, like Keras's `model.fit`, and returns the per-epoch history.
    ///
    /// Each epoch shuffles the training samples (seeded by `options.seed`), runs one optimizer
    /// step per mini-batch (the last batch may be smaller), then evaluates the validation data.
    /// When the model already holds optimizer state of the same kind (a saved model being
    /// resumed), training continues from it, and epoch numbers continue from the saved history.
    ///
    /// - Parameters:
    ///   - data: the training samples and their labels.
    ///   - options: epochs, batch size, optimizer, loss, seed, validation split and threads.
    ///   - validationData: held-out data; when `nil`, `options.validationSplit` takes the last
    ///     fraction of `data` instead.
    ///   - progress: called at the start of each epoch, after each step and after each epoch.
    /// - Throws: ``TrainingError/nonFiniteLoss(epoch:batch:value:)`` when the loss becomes NaN or
    ///   infinite (the step that produced it is not applied; earlier steps are kept), and ``TrainingError`` for data or
    ///   options that do not fit the model.
    @discardableResult
    public mutating func fit(
        _ data: Dataset, options: TrainingOptions = TrainingOptions(), validationData: Dataset? = nil,
        progress: (TrainingEvent) -> Void = { _ in }
    ) throws -> History {
        try options.validate()
        var training = data
        var validation = validationData
        if validation == nil, options.validationSplit > 0 {
            (training, validation) = data.splitValidation(fraction: options.validationSplit)
            if validation?.count == 0 {
                throw TrainingError.invalidOption(name: "validation split", value: "\(options.validationSplit)",
                                                  expected: "a fraction that leaves at least one of the \(data.count) samples for validation")
            }
        }
        guard training.count > 0 else {
            if options.validationSplit > 0, data.count > 0 {
                throw TrainingError.invalidOption(
                    name: "validation split", value: "\(options.validationSplit)",
                    expected: "a fraction that leaves at least one of the \(data.count) samples for training (it leaves none)")
            }
            throw TrainingError.emptyDataset(data.name)
        }
        if let validation, validation.sampleSize != architecture.inputShape.reduce(1, *) {
            throw TrainingError.dataMismatch("\(validation.name): samples have shape \(validation.sampleShape), the model expects \(architecture.inputShape)")
        }
        let trainer = try Trainer(model: self, data: training, options: options)
        if let validation { try trainer.checkLabels(validation) }
        var history = metadata.history ?? History()
        let firstEpoch = (history.epochs.last?.epoch ?? 0) + 1
        guard history.epochs.count + options.epochs <= History.maximumLength,
              firstEpoch - 1 + options.epochs <= History.maximumEpochNumber else {
            throw TrainingError.invalidOption(
                name: "epochs", value: "\(options.epochs)",
                expected: "a number that keeps the history within \(History.maximumLength) epochs numbered up to \(History.maximumEpochNumber) (it holds \(history.epochs.count), the last numbered \(firstEpoch - 1))")
        }
        // Refused before training rather than after: a step count past what files record could not be saved.
        let stepsPerEpoch = (training.count + trainer.batchSize - 1) / trainer.batchSize
        let (planned, overflow) = stepsPerEpoch.multipliedReportingOverflow(by: options.epochs)
        guard !overflow, trainer.optimizer.iterations <= OptimizerState.maximumIterations - planned else {
            throw TrainingError.invalidOption(
                name: "epochs", value: "\(options.epochs)",
                expected: "a number that keeps the optimizer's step count within \(OptimizerState.maximumIterations) (it has taken \(trainer.optimizer.iterations) steps; an epoch takes \(stepsPerEpoch))")
        }
        var rng = SeededGenerator(seed: options.seed)
        /// The model as training left it: weights, optimizer state, history and metadata.
        func capture(_ model: inout Sequential) {
            model.weights = trainer.weightTensors()
            model.optimizerState = trainer.optimizerState()
            model.metadata.history = history
            model.metadata.loss = options.loss.rawValue
            model.metadata.createdAt = nil  // a changed model: the next save records a new time
            model.metadata.interruption = nil
            if model.metadata.dataset == nil { model.metadata.dataset = data.name }
            if model.metadata.classNames == nil { model.metadata.classNames = data.classNames }
        }
        defer { capture(&self) }
        for epochIndex in 0..<options.epochs {
            let epoch = firstEpoch + epochIndex
            let clock = ContinuousClock()
            let start = clock.now
            var record = try trainer.runEpoch(epoch: epoch, total: firstEpoch + options.epochs - 1, rng: &rng, progress: progress)
            if let validation {
                let result = try trainer.evaluate(validation)
                record.validationLoss = result.loss
                record.validationAccuracy = result.accuracy
            }
            let elapsed = clock.now - start
            record.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            history.epochs.append(record)
            progress(.epochFinished(record))
            if let checkpoint = options.checkpoint, (epochIndex + 1) % options.checkpointEvery == 0,
               epochIndex + 1 < options.epochs {
                var snapshot = self
                capture(&snapshot)
                try checkpoint(snapshot)
            }
        }
        return history
    }
}

/// Runs training steps for one model: owns the engine, the flat weight, gradient and optimizer
/// buffers.
///
/// With several threads, the engine computes each large Dense layer on all of them, each task
/// on its own blocks of input features, that is its own rows of the kernel (see ``Network``),
/// and applies the optimizer to exactly the weights whose gradients it computed; as the same
/// thread normally takes the same task every step, a thread's weights, gradients and optimizer
/// slots stay in its own core's cache. Small layers run on one thread. Every value is computed
/// in a fixed order whichever thread runs it, so a seed gives the same model on every run and
/// for every thread count.
final class Trainer {
    let architecture: ModelArchitecture
    let options: TrainingOptions
    let data: Dataset
    let layout: ParameterLayout
    let network: Network
    let targets: TargetGatherer
    let parameters: FloatBuffer
    let gradients: FloatBuffer
    let weightPointers: [UnsafePointer<Float>]
    let gradientPointers: [UnsafeMutablePointer<Float>]
    /// The weights each thread updates (index 0 also takes every layer computed by one thread).
    let updateBlocks: [[ParameterBlock]]
    let optimizer: OptimizerEngine
    let fused: Bool
    let outputWidth: Int
    let batchSize: Int
    var order: [Int]
    private var stepCount: UInt64 = 0

    init(model: Sequential, data: Dataset, options: TrainingOptions) throws {
        architecture = model.architecture
        self.options = options
        self.data = data
        try Sequential.checkTrainingMemory(architecture, options: options, samples: data.count)
        let specs = try architecture.weightSpecs()
        layout = ParameterLayout(specs: specs)
        let shapes = try architecture.validated()
        guard let outShape = shapes.last, outShape.count == 1 else {
            throw TrainingError.dataMismatch("training needs a model whose output is one vector per sample; this one outputs \(shapes.last ?? [])")
        }
        outputWidth = outShape[0]
        guard architecture.accepts(sampleShape: data.sampleShape) else {
            throw TrainingError.dataMismatch("\(data.name): samples have shape \(data.sampleShape), the model expects \(architecture.inputShape)")
        }
        guard let labels = data.labels else { throw TrainingError.dataMismatch("\(data.name) has no labels to train on") }
        guard specs.contains(where: \.trainable) else {
            throw TrainingError.dataMismatch("the model has no trainable weights")
        }
        if let layer = architecture.layers.first(where: { !$0.ignoredOptions.isEmpty }) {
            throw TrainingError.invalidOption(name: "layer option", value: "\(layer.ignoredOptions.joined(separator: ", ")) of '\(layer.name)'",
                                              expected: "none: nnmodel does not train with regularizers or constraints")
        }

        batchSize = options.optimizer.kind == .gd ? data.count : min(options.batchSize, data.count)
        let chunk = Sequential.trainingChunk(architecture, batch: batchSize)
        let threads = max(1, options.threads ?? WorkerPool.processorCount)
        // Every thread runs its own matrix products; OpenBLAS must not add threads of its own
        // (its default is one per core, which costs time on these small batch products).
        BLAS.setThreadCount(1)
        network = try Network(architecture: architecture, maxSamples: chunk, training: true, threads: threads)
        targets = try TargetGatherer(labels: labels, loss: options.loss, outputWidth: outputWidth, capacity: chunk,
                                     datasetName: data.name)
        fused = options.loss.fusedActivation != nil && network.finalActivation == options.loss.fusedActivation

        let parameters = FloatBuffer(count: layout.total)
        for (range, tensor) in zip(layout.ranges, model.weights) {
            (parameters.pointer + range.lowerBound).update(from: tensor.unsafeBaseAddress, count: range.count)
        }
        self.parameters = parameters
        gradients = FloatBuffer(count: layout.total)
        weightPointers = parameters.pointers(layout.ranges).map { UnsafePointer($0) }
        gradientPointers = gradients.pointers(layout.ranges)

        // Each thread updates the kernel rows whose gradients it computes (and the bias with row 0);
        // thread 0 also updates the layers computed whole.
        var blocks = [[ParameterBlock]](repeating: [], count: network.pool?.size ?? 1)
        for (spec, range) in zip(specs, layout.ranges) where spec.trainable {
            guard let split = network.kernelRowsPerThread(ofLayer: spec.layerIndex), split.count == blocks.count,
                  let owner = split.firstIndex(where: { !$0.isEmpty }) else {
                blocks[0].append(ParameterBlock(range: range))
                continue
            }
            guard spec.role == "kernel" else {
                blocks[owner].append(ParameterBlock(range: range))
                continue
            }
            let units = spec.shape.last ?? 1
            for (t, rows) in split.enumerated() where !rows.isEmpty {
                blocks[t].append(ParameterBlock(range: range.lowerBound + rows.lowerBound * units ..< range.lowerBound + rows.upperBound * units))
            }
        }
        updateBlocks = blocks

        let optimizer = OptimizerEngine(config: options.optimizer, parameterCount: layout.total,
                                        trainableRanges: layout.trainableRanges)
        if let state = model.optimizerState, state.config.kind == options.optimizer.kind,
           state.config.slotNames == options.optimizer.slotNames {
            try Sequential.check(state, against: specs)
            withExtendedLifetime(state) {
                let slotValues = state.slots.map { perWeight in
                    perWeight.map { t in UnsafeBufferPointer(start: t.unsafeBaseAddress, count: t.count) }
                }
                optimizer.restore(iterations: state.iterations, slotValues: slotValues)
            }
        }
        self.optimizer = optimizer
        order = Array(0..<data.count)
    }

    /// One pass over the training data.
    func runEpoch(epoch: Int, total: Int, rng: inout SeededGenerator, progress: (TrainingEvent) -> Void) throws -> EpochRecord {
        if options.shuffle { order.shuffle(using: &rng) }
        let n = order.count
        let batches = (n + batchSize - 1) / batchSize
        progress(.epochStarted(epoch: epoch, of: total, batches: batches))
        var lossSum: Double = 0
        var correct = 0
        var seen = 0
        try order.withUnsafeBufferPointer { all in
            for b in 0..<batches {
                let start = b * batchSize, end = min(start + batchSize, n)
                let count = end - start
                let (batchLoss, batchCorrect, updated) = computeGradients(UnsafeBufferPointer(rebasing: all[start..<end]),
                                                                          updating: true)
                guard batchLoss.isFinite else {
                    throw TrainingError.nonFiniteLoss(epoch: epoch, batch: b + 1, value: Float(batchLoss / Double(count)))
                }
                if !updated { applyUpdate() }
                lossSum += batchLoss
                correct += batchCorrect
                seen += count
                progress(.batchFinished(epoch: epoch, batch: b + 1, of: batches, loss: lossSum / Double(seen),
                                        accuracy: Double(correct) / Double(seen)))
                if let shouldStop = options.shouldStop, shouldStop() {
                    throw TrainingError.interrupted(epoch: epoch, batch: b + 1, of: batches)
                }
            }
        }
        return EpochRecord(epoch: epoch, loss: lossSum / Double(seen), accuracy: Double(correct) / Double(seen), seconds: 0)
    }

    /// Computes the gradient of the mean loss over `batch` into ``gradients``, chunk by chunk;
    /// returns the summed loss and the number of correct predictions.
    ///
    /// With `updating`, when the batch fits one chunk and its loss is finite, the
    /// optimizer step is applied during backpropagation instead, tile by tile while each
    /// gradient tile is in cache; `updated` says whether it was.
    func computeGradients(_ batch: UnsafeBufferPointer<Int>, updating: Bool = false)
        -> (loss: Double, correct: Int, updated: Bool)
    {
        // As TensorFlow does (see nnfloatenv.h); the pool's workers always run this way.
        let floatEnvironment = nn_fp_flush_denormals()
        defer { nn_fp_restore(floatEnvironment) }
        stepCount += 1
        guard let outputGradient = network.outputGradient else { return (.nan, 0, false) }
        let fuseUpdate = updating && batch.count <= network.maxSamples
        // Dropout masks come from a stream per (seed, step).
        var rng = SeededGenerator(seed: options.seed, stream: stepCount, substream: 0)
        let chunk = network.maxSamples
        var lossSum: Double = 0
        var correct = 0
        var chunkStart = 0
        while chunkStart < batch.count {
            let chunkEnd = min(chunkStart + chunk, batch.count)
            let rows = chunkEnd - chunkStart
            let indices = UnsafeBufferPointer(rebasing: batch[chunkStart..<chunkEnd])
            let t = targets.gather(indices)
            let data = self.data, input = network.input
            let output = network.forward(samples: rows, weights: weightPointers, training: true, rng: &rng) { features in
                data.gather(indices, features: features, into: input)
            }
            if fused, let logits = network.finalLogits {
                lossSum += options.loss.sum(logits: logits, targets: t, rows: rows, columns: outputWidth)
                options.loss.fusedGradient(probabilities: output, targets: t, rows: rows, columns: outputWidth,
                                           batchSize: batch.count, into: outputGradient)
            } else {
                lossSum += options.loss.sum(predictions: output, targets: t, rows: rows, columns: outputWidth)
                options.loss.gradient(predictions: output, targets: t, rows: rows, columns: outputWidth,
                                      batchSize: batch.count, into: outputGradient)
            }
            correct += TargetGatherer.correctCount(predictions: output, targets: t, rows: rows, columns: outputWidth)
            if fuseUpdate {
                guard lossSum.isFinite else { return (lossSum, correct, false) }
                optimizer.beginStep()
                let w = parameters.pointer, layout = self.layout, optimizer = self.optimizer
                network.backward(samples: rows, weights: weightPointers, gradients: gradientPointers, fused: fused,
                                 accumulate: false) { weight, rows, columns, tile in
                    let units = layout.specs[weight].shape.last ?? 1
                    optimizer.apply(weights: w, gradient: tile, at: ParameterBlock(
                        offset: layout.ranges[weight].lowerBound + rows.lowerBound * units + columns.lowerBound,
                        rows: rows.count, columns: columns.count, stride: units))
                }
                return (lossSum, correct, true)
            }
            network.backward(samples: rows, weights: weightPointers, gradients: gradientPointers, fused: fused,
                             accumulate: chunkStart != 0)
            chunkStart = chunkEnd
        }
        return (lossSum, correct, false)
    }

    /// Applies one optimizer step, each thread to the weights it computed gradients for.
    func applyUpdate() {
        let floatEnvironment = nn_fp_flush_denormals()
        defer { nn_fp_restore(floatEnvironment) }
        optimizer.beginStep()
        let w = parameters.pointer, g = UnsafePointer(gradients.pointer)
        if let pool = network.pool, updateBlocks.count == pool.size {
            pool.run { optimizer.apply(weights: w, gradients: g, blocks: updateBlocks[$0]) }
        } else {
            optimizer.apply(weights: w, gradients: g, blocks: updateBlocks.flatMap { $0 })
        }
    }

    /// The gradient of each weight (zero for non-trainable ones) after ``computeGradients(_:)``.
    func gradientTensors() -> [Tensor] {
        zip(layout.specs, layout.ranges).map { spec, range in
            Tensor(shape: spec.shape, values: spec.trainable
                ? Array(UnsafeBufferPointer(start: gradients.pointer + range.lowerBound, count: range.count))
                : [Float](repeating: 0, count: range.count))
        }
    }

    /// Checks that `dataset`'s labels fit the model and loss (before any training time is spent).
    func checkLabels(_ dataset: Dataset) throws {
        guard let labels = dataset.labels else { throw TrainingError.dataMismatch("\(dataset.name) has no labels") }
        _ = try TargetGatherer(labels: labels, loss: options.loss, outputWidth: outputWidth, capacity: 1, datasetName: dataset.name)
    }

    /// Loss and accuracy on `dataset` with the current weights (no dropout).
    func evaluate(_ dataset: Dataset) throws -> (loss: Double, accuracy: Double) {
        let floatEnvironment = nn_fp_flush_denormals()
        defer { nn_fp_restore(floatEnvironment) }
        guard let labels = dataset.labels else { throw TrainingError.dataMismatch("\(dataset.name) has no labels") }
        let chunk = network.maxSamples
        let gatherer = try TargetGatherer(labels: labels, loss: options.loss, outputWidth: outputWidth, capacity: chunk,
                                          datasetName: dataset.name)
        var lossSum: Double = 0
        var correct = 0
        var rng = SeededGenerator(seed: 0)
        let indices = Array(0..<dataset.count)
        indices.withUnsafeBufferPointer { all in
            var start = 0
            while start < all.count {
                let end = min(start + chunk, all.count)
                let slice = UnsafeBufferPointer(rebasing: all[start..<end])
                dataset.gather(slice, into: network.input)
                let t = gatherer.gather(slice)
                let output = network.forward(samples: end - start, weights: weightPointers, training: false, rng: &rng)
                if fused, let logits = network.finalLogits {
                    lossSum += options.loss.sum(logits: logits, targets: t, rows: end - start, columns: outputWidth)
                } else {
                    lossSum += options.loss.sum(predictions: output, targets: t, rows: end - start, columns: outputWidth)
                }
                correct += TargetGatherer.correctCount(predictions: output, targets: t, rows: end - start, columns: outputWidth)
                start = end
            }
        }
        let n = Double(max(1, dataset.count))
        return (lossSum / n, Double(correct) / n)
    }

    /// The current weights as tensors.
    func weightTensors() -> [Tensor] {
        zip(layout.specs, layout.ranges).map { spec, range in
            Tensor(shape: spec.shape, values: Array(UnsafeBufferPointer(start: parameters.pointer + range.lowerBound, count: range.count)))
        }
    }

    /// The optimizer's current state.
    func optimizerState() -> OptimizerState {
        optimizer.state(shapes: layout.trainableShapes)
    }
}

extension Sequential {
    /// The mean loss over `data` and its gradient with respect to every weight, computed by the
    /// same code path as a training step (dropout active, masks drawn from `seed`).
    ///
    /// This is what gradient checks compare against finite differences.
    public func lossAndGradients(_ data: Dataset, loss: Loss, seed: UInt64 = 0) throws -> (loss: Double, gradients: [Tensor]) {
        var options = TrainingOptions(epochs: 1, batchSize: data.count, loss: loss)
        options.shuffle = false
        options.seed = seed
        let trainer = try Trainer(model: self, data: data, options: options)
        let (sum, _, _) = trainer.order.withUnsafeBufferPointer { trainer.computeGradients($0) }
        return (sum / Double(data.count), trainer.gradientTensors())
    }
}

extension Sequential {
    /// The most Float32 values training may hold: the weights, their gradients and optimizer
    /// slots, and the work buffers (8 GiB).
    public static let maximumTrainingElements = 1 << 31

    /// The samples training processes at a time for batches of `batch`: at most
    /// `maximumChunk`, or the whole batch when a BatchNormalization layer normalizes with the
    /// batch's statistics (which must be those of the whole batch, as in Keras).
    static func trainingChunk(_ architecture: ModelArchitecture, batch: Int) -> Int {
        let batchStatistics = architecture.layers.contains { layer in
            if case .batchNormalization = layer.kind { return layer.trainable }
            return false
        }
        return max(1, batchStatistics ? batch : min(batch, maximumChunk))
    }

    /// Checks, before anything is allocated, that training `architecture` with `options` on
    /// `samples` samples stays within ``maximumTrainingElements`` and the work-buffer budget
    /// (call it before creating the weights of a large model).
    public static func checkTrainingMemory(_ architecture: ModelArchitecture, options: TrainingOptions, samples: Int) throws {
        let shapes = try architecture.validated()
        let parameters = try architecture.weightSpecs().reduce(0) { $0 + $1.shape.reduce(1, *) }
        let batch = options.optimizer.kind == .gd ? samples : min(options.batchSize, samples)
        let chunk = trainingChunk(architecture, batch: batch)
        guard let buffers = Network.workBufferElements(inputShape: architecture.inputShape, layers: architecture.layers, layerShapes: shapes,
                                                       maxSamples: chunk, training: true),
              buffers <= Network.maximumBufferElements else {
            let perSample = Network.workBufferElements(inputShape: architecture.inputShape, layers: architecture.layers,
                                                       layerShapes: shapes, maxSamples: 1, training: true)
            let why = chunk == batch && batch > maximumChunk
                ? "; a BatchNormalization layer needs the whole batch of \(batch) in one pass\(options.optimizer.kind == .gd ? " (gd trains on every sample at once)" : "")"
                : ""
            guard let perSample, perSample <= Network.maximumBufferElements else {
                throw TrainingError.dataMismatch("the model is too large to train: one sample needs \(perSample.map { "\($0)" } ?? "more than 2^63") work-buffer values, more than \(Network.maximumBufferElements)")
            }
            throw TrainingError.invalidOption(
                name: options.optimizer.kind == .gd ? "optimizer" : "batch size",
                value: options.optimizer.kind == .gd ? "gd" : "\(options.batchSize)",
                expected: "a batch whose work buffers fit in \(Network.maximumBufferElements / (1 << 28)) GiB for this model (\(perSample) values per sample, \(chunk) samples at a time\(why))")
        }
        // The model's weights, the trainer's copy, the gradients and one tensor per optimizer slot.
        let copies = 3 + options.optimizer.slotNames.count
        let (weights, overflow) = parameters.multipliedReportingOverflow(by: copies)
        guard !overflow, weights <= maximumTrainingElements - buffers else {
            throw TrainingError.invalidOption(
                name: "model size", value: "\(parameters) weights",
                expected: "a model whose weights, gradients and \(options.optimizer.kind.rawValue) state fit in \(maximumTrainingElements / (1 << 28)) GiB (\(copies) values per weight)")
        }
    }
}
