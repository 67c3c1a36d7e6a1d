extension Sequential {
    /// Runs the model on a batch of samples and returns its outputs, `[N] + outputShape`.
    ///
    /// `input` is `[N] + inputShape`, or any shape whose trailing axes hold the same number of
    /// values per sample (for example `[N, 784]` for a `[28, 28]` model).
    public func predict(_ input: Tensor, batchSize: Int = 1024) throws -> Tensor {
        let perSample = architecture.inputShape.reduce(1, *)
        guard let n = input.shape.first, input.shape.count >= 2,
              input.shape.dropFirst().reduce(1, *) == perSample else {
            throw TrainingError.dataMismatch("input of shape \(input.shape) does not fit the model's input \([-1] + architecture.inputShape) (N samples of \(architecture.inputShape))")
        }
        var output = [Float]()
        try withInference(maxSamples: min(max(1, batchSize), max(n, 1))) { network, weights in
            output.reserveCapacity(n * network.outputSize)
            var rng = SeededGenerator(seed: 0)
            var start = 0
            while start < n {
                let rows = min(network.maxSamples, n - start)
                network.input.update(from: input.unsafeBaseAddress + start * perSample, count: rows * perSample)
                let out = network.forward(samples: rows, weights: weights, training: false, rng: &rng)
                output.append(contentsOf: UnsafeBufferPointer(start: out, count: rows * network.outputSize))
                start += rows
            }
        }
        return Tensor(shape: [n] + architecture.outputShape, values: output)
    }

    /// Builds an inference engine over the model's own weight memory and runs `body` with it.
    func withInference<R>(maxSamples: Int, _ body: (Network, [UnsafePointer<Float>]) throws -> R) throws -> R {
        let network = try Network(architecture: architecture, maxSamples: maxSamples, training: false)
        return try withExtendedLifetime(weights) {
            try body(network, weights.map(\.unsafeBaseAddress))
        }
    }

    /// Loss, accuracy, predicted classes and confusion matrix of the model on a labelled dataset,
    /// like Keras's `model.evaluate` plus the predictions.
    ///
    /// - Parameter loss: the loss to report; defaults to the loss the model was trained with
    ///   (from its metadata), else sparse categorical cross-entropy for class labels.
    public func evaluate(_ data: Dataset, loss: Loss? = nil, batchSize: Int = 1024) throws -> Evaluation {
        guard let labels = data.labels else { throw TrainingError.dataMismatch("\(data.name) has no labels to evaluate against") }
        guard data.count > 0 else { throw TrainingError.emptyDataset(data.name) }
        guard data.sampleSize == architecture.inputShape.reduce(1, *) else {
            throw TrainingError.dataMismatch("\(data.name): samples have shape \(data.sampleShape), the model expects \(architecture.inputShape)")
        }
        let outShape = architecture.outputShape
        guard outShape.count == 1 else {
            throw TrainingError.dataMismatch("evaluation needs a model whose output is one vector per sample; this one outputs \(outShape)")
        }
        let width = outShape[0]
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
        var probabilities = [Float](repeating: 0, count: n * width)
        var lossSum: Double = 0
        var correct = 0
        var predictedClasses = [Int](repeating: 0, count: n)
        var trueClasses = [Int](repeating: 0, count: n)
        let chunk = min(max(1, batchSize), n)
        try withInference(maxSamples: chunk) { network, weights in
            let gatherer = try TargetGatherer(labels: labels, loss: chosenLoss, outputWidth: width, capacity: chunk,
                                              datasetName: data.name)
            let fused = chosenLoss.fusedActivation != nil && network.finalActivation == chosenLoss.fusedActivation
            var rng = SeededGenerator(seed: 0)
            let indices = Array(0..<n)
            indices.withUnsafeBufferPointer { all in
                probabilities.withUnsafeMutableBufferPointer { probs in
                    var start = 0
                    while start < n {
                        let rows = min(chunk, n - start)
                        let slice = UnsafeBufferPointer(rebasing: all[start..<start + rows])
                        data.gather(slice, into: network.input)
                        let t = gatherer.gather(slice)
                        let out = network.forward(samples: rows, weights: weights, training: false, rng: &rng)
                        if fused, let logits = network.finalLogits {
                            lossSum += chosenLoss.sum(logits: logits, targets: t, rows: rows, columns: width)
                        } else {
                            lossSum += chosenLoss.sum(predictions: out, targets: t, rows: rows, columns: width)
                        }
                        correct += TargetGatherer.correctCount(predictions: out, targets: t, rows: rows, columns: width)
                        guard let base = probs.baseAddress else { return }
                        (base + start * width).update(from: out, count: rows * width)
                        for r in 0..<rows {
                            predictedClasses[start + r] = width == 1 ? (out[r] > 0.5 ? 1 : 0) : argmax(out + r * width, width)
                        }
                        start += rows
                    }
                }
            }
        }
        switch labels {
        case let .classes(c): for i in 0..<n { trueClasses[i] = Int(c[i]) }
        case let .dense(v, w):
            v.withUnsafeBufferPointer { p in
                guard let base = p.baseAddress else { return }
                for i in 0..<n { trueClasses[i] = w == 1 ? (p[i] > 0.5 ? 1 : 0) : argmax(base + i * w, w) }
            }
        }
        let classCount = max(width == 1 ? 2 : width, (trueClasses.max() ?? 0) + 1)
        return Evaluation(
            loss: lossSum / Double(n), lossName: chosenLoss.rawValue, accuracy: Double(correct) / Double(n),
            probabilities: Tensor(shape: [n, width], values: probabilities),
            predictedClasses: predictedClasses, trueClasses: trueClasses,
            confusion: ConfusionMatrix(trueClasses: trueClasses, predictedClasses: predictedClasses, classCount: classCount))
    }
}

/// The result of ``Sequential/evaluate(_:loss:batchSize:)``.
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
