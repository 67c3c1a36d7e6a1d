import Foundation
import Testing
@testable import NNCore
@testable import NNSchema
@testable import NNJSON

/// `[2] → Dense(16, relu) → Dense(3, softmax)` (optionally with dropout after the hidden layer).
func blobModel(seed: UInt64, dropout: Double? = nil) throws -> Sequential {
    var layers = [dense("dense", 16, .relu)]
    if let dropout { layers.append(Layer(name: "dropout", kind: .dropout(rate: dropout))) }
    layers.append(dense("dense_1", 3, .softmax))
    return try Sequential(ModelArchitecture(inputShape: [2], layers: layers), seed: seed)
}

func options(_ optimizer: OptimizerConfig = OptimizerConfig(.adam, learningRate: 0.01), epochs: Int = 3, batchSize: Int = 16,
             loss: Loss = .sparseCategoricalCrossentropy, seed: UInt64 = 0, validationSplit: Double = 0) -> TrainingOptions {
    TrainingOptions(epochs: epochs, batchSize: batchSize, optimizer: optimizer, loss: loss, seed: seed,
                    validationSplit: validationSplit)
}

/// Runs `fit`, expecting it to throw a `TrainingError`, and returns that error.
func fitError(_ model: Sequential, _ data: Dataset, _ options: TrainingOptions, validationData: Dataset? = nil,
              sourceLocation: SourceLocation = #_sourceLocation) -> TrainingError? {
    var m = model
    do {
        try m.fit(data, options: options, validationData: validationData)
        Issue.record("fit did not throw", sourceLocation: sourceLocation)
        return nil
    } catch let error as TrainingError {
        return error
    } catch {
        Issue.record("fit threw \(error), not a TrainingError", sourceLocation: sourceLocation)
        return nil
    }
}

@Suite("Training")
struct TrainingTests {
    // MARK: Determinism

    @Test func sameSeedGivesBitwiseIdenticalWeights() throws {
        let data = try TestData.threeBlobs(perClass: 40)
        var a = try blobModel(seed: 1, dropout: 0.2), b = try blobModel(seed: 1, dropout: 0.2)
        #expect(bitwiseEqual(a.weights, b.weights))
        let ha = try a.fit(data, options: options(seed: 5))
        let hb = try b.fit(data, options: options(seed: 5))
        #expect(bitwiseEqual(a.weights, b.weights))
        #expect(a.optimizerState == b.optimizerState)
        #expect(ha.epochs.map(\.loss) == hb.epochs.map(\.loss))
        #expect(!bitwiseEqual(a.weights, try blobModel(seed: 1, dropout: 0.2).weights), "training changed nothing")
    }

    @Test func differentSeedsGiveDifferentWeights() throws {
        let data = try TestData.threeBlobs(perClass: 40)
        // A different shuffling/dropout seed, same initial weights.
        var a = try blobModel(seed: 1, dropout: 0.2), b = try blobModel(seed: 1, dropout: 0.2)
        try a.fit(data, options: options(seed: 5))
        try b.fit(data, options: options(seed: 6))
        #expect(!bitwiseEqual(a.weights, b.weights))
        // A different initialisation seed.
        let c = try blobModel(seed: 2)
        #expect(!bitwiseEqual(try blobModel(seed: 1).weights, c.weights))
    }

    /// Two runs of one epoch, resuming from the saved optimizer state, equal one run of two epochs
    /// (without shuffling, so both see the samples in the same order).
    @Test func resumingContinuesTheOptimizerAndTheEpochCount() throws {
        let data = try TestData.threeBlobs(perClass: 30)
        var o = options(epochs: 2)
        o.shuffle = false
        var once = try blobModel(seed: 3)
        try once.fit(data, options: o)
        o.epochs = 1
        var twice = try blobModel(seed: 3)
        try twice.fit(data, options: o)
        #expect(twice.optimizerState?.iterations == 6)  // 90 samples in batches of 16
        try twice.fit(data, options: o)
        #expect(bitwiseEqual(once.weights, twice.weights))
        #expect(twice.optimizerState?.iterations == 12)
        #expect(twice.metadata.history?.epochs.map(\.epoch) == [1, 2])
        #expect(twice.metadata.loss == "sparse_categorical_crossentropy")
    }

    // MARK: Learning

    struct OptimizerRun: Sendable, CustomTestStringConvertible {
        var name: String
        var config: OptimizerConfig
        var epochs: Int
        var testDescription: String { name }
    }

    static let runs: [OptimizerRun] = [
        OptimizerRun(name: "gd", config: OptimizerConfig(.gd, learningRate: 0.5), epochs: 80),
        OptimizerRun(name: "sgd", config: OptimizerConfig(.sgd, learningRate: 0.1), epochs: 8),
        OptimizerRun(name: "momentum", config: OptimizerConfig(.momentum, learningRate: 0.02), epochs: 8),
        OptimizerRun(name: "nesterov", config: { var c = OptimizerConfig(.momentum, learningRate: 0.02); c.nesterov = true; return c }(),
                     epochs: 8),
        OptimizerRun(name: "adagrad", config: OptimizerConfig(.adagrad, learningRate: 0.1), epochs: 8),
        OptimizerRun(name: "rmsprop", config: OptimizerConfig(.rmsprop, learningRate: 0.01), epochs: 8),
        OptimizerRun(name: "rmsprop with momentum", config: { var c = OptimizerConfig(.rmsprop, learningRate: 0.005); c.momentum = 0.5; return c }(),
                     epochs: 8),
        OptimizerRun(name: "adam", config: OptimizerConfig(.adam, learningRate: 0.01), epochs: 8),
    ]

    /// Three Gaussian blobs (300 points) are learnt to high accuracy on held-out points by every optimizer.
    @Test(arguments: runs)
    func everyOptimizerLearnsThreeBlobs(_ run: OptimizerRun) throws {
        let train = try TestData.threeBlobs(perClass: 100, seed: 7)
        let test = try TestData.threeBlobs(perClass: 50, seed: 8)
        var model = try blobModel(seed: 1)
        let before = try model.evaluate(test)
        let history = try model.fit(train, options: options(run.config, epochs: run.epochs, batchSize: 16))
        let after = try model.evaluate(test)
        #expect(after.accuracy > 0.95, "\(run.name): test accuracy \(after.accuracy) (before \(before.accuracy))")
        #expect(after.loss < before.loss / 2, "\(run.name): loss \(before.loss) → \(after.loss)")
        #expect(history.epochs.count == run.epochs)
        #expect(history.epochs.last!.loss < history.epochs.first!.loss)
    }

    /// Binary classification with one sigmoid output and 0/1 class labels, as in Keras.
    @Test func binaryClassifierWithClassLabels() throws {
        let blobs = try TestData.blobs(centers: [[1.5, 1.5], [-1.5, -1.5]], perClass: 60, spread: 0.6, seed: 3)
        var model = try Sequential(ModelArchitecture(inputShape: [2], layers: [dense("dense", 8, .tanh), dense("out", 1, .sigmoid)]), seed: 2)
        try model.fit(blobs, options: options(epochs: 10, batchSize: 8, loss: .binaryCrossentropy))
        let result = try model.evaluate(blobs)
        #expect(result.lossName == "binary_crossentropy")
        #expect(result.accuracy > 0.95)
        #expect(result.confusion.classCount == 2)
    }

    // MARK: Validation split

    @Test func splitValidationTakesTheLastFraction() throws {
        let data = try TestData.classes((0..<10).map(Float.init), shape: [1], labels: (0..<10).map { Int32($0 % 3) })
        let (train, validation) = data.splitValidation(fraction: 0.25)
        // floor(10 · 0.75) = 7, as Keras's train_validation_split.
        #expect(train.featureTensor().scalars == [0, 1, 2, 3, 4, 5, 6])
        #expect(validation.featureTensor().scalars == [7, 8, 9])
        #expect(validation.labels == .classes([1, 2, 0]))
        let (t2, v2) = data.splitValidation(fraction: 0.33)
        #expect(t2.count == 6 && v2.count == 4)  // floor(6.7)
    }

    /// `fit(validationSplit:)` trains on the first part and reports the loss of the last part.
    @Test func fitValidatesOnTheLastFraction() throws {
        // The last 20 % have their labels rotated, so validation accuracy is poor if (and only if) it uses them.
        let blobs = try TestData.threeBlobs(perClass: 50)
        guard case let .classes(labels) = blobs.labels else { throw TrainingError.dataMismatch("labels") }
        let n = blobs.count, splitAt = Int(Double(n) * 0.8)
        var rotated = labels
        for i in splitAt..<n { rotated[i] = (labels[i] + 1) % 3 }
        var data = blobs
        data.labels = .classes(rotated)

        var model = try blobModel(seed: 1)
        var batchesPerEpoch: [Int] = []
        let history = try model.fit(data, options: options(epochs: 4, batchSize: 10, validationSplit: 0.2)) { event in
            if case let .epochStarted(_, _, batches) = event { batchesPerEpoch.append(batches) }
        }
        #expect(batchesPerEpoch == [12, 12, 12, 12])  // 120 training samples in batches of 10
        let last = try #require(history.epochs.last)
        let validation = try model.evaluate(data.slice(splitAt..<n))
        #expect(close(try #require(last.validationLoss), validation.loss, absolute: 1e-6))
        #expect(last.validationAccuracy == validation.accuracy)
        #expect(try #require(last.validationAccuracy) < 0.2)
        #expect(try #require(last.accuracy) > 0.9)
        #expect(history.series.map(\.name) == ["loss", "accuracy", "val_loss", "val_accuracy", "seconds"])
    }

    @Test func validationDataMustFitTheModel() throws {
        let data = try TestData.threeBlobs(perClass: 10)
        let model = try blobModel(seed: 1)
        let wrongShape = try TestData.classes([1, 2, 3, 4, 5, 6], shape: [3], labels: [0, 1])
        let error = fitError(model, data, options(epochs: 1), validationData: wrongShape)
        guard case let .dataMismatch(message)? = error else {
            Issue.record("expected dataMismatch, got \(String(describing: error))")
            return
        }
        #expect(message.contains("[3]") && message.contains("[2]"), "\(message)")
        let badLabel = try TestData.classes([1, 2, 3, 4], shape: [2], labels: [0, 7])
        #expect(fitError(model, data, options(epochs: 1), validationData: badLabel) != nil)
    }

    // MARK: Failures

    /// Like Keras's TerminateOnNaN: a diverging run stops with the epoch and batch where the loss
    /// stopped being finite.
    @Test func hugeLearningRateStopsWithNonFiniteLoss() throws {
        var rng = SeededGenerator(seed: 4)
        let x = TestData.uniform(40 * 3, scale: 3, &rng)
        let y = TestData.uniform(40 * 2, scale: 10, &rng)
        let data = try TestData.dense(x, shape: [3], targets: y, width: 2)
        var model = try Sequential(ModelArchitecture(inputShape: [3], layers: [dense("dense", 8), dense("out", 2)]), seed: 1)
        var batches = 0
        do {
            try model.fit(data, options: options(OptimizerConfig(.sgd, learningRate: 1e12), epochs: 5, batchSize: 4,
                                                 loss: .meanSquaredError)) { event in
                if case .batchFinished = event { batches += 1 }
            }
            Issue.record("fit did not stop")
        } catch let TrainingError.nonFiniteLoss(epoch, batch, value) {
            #expect(!value.isFinite)
            #expect(epoch == 1 && batch >= 2 && batch <= 10, "stopped at epoch \(epoch) batch \(batch)")
            #expect(batches == batch - 1, "a step ran after the loss went non-finite")
            let message = TrainingError.nonFiniteLoss(epoch: epoch, batch: batch, value: value).description
            #expect(message.contains("learning rate") && !message.contains("--"), "library messages name no CLI flag: \(message)")
        }
        #expect(model.metadata.history?.epochs.isEmpty == true)
        // The failing batch's step is not applied: the model keeps the last (huge but finite) weights.
        #expect(model.weights.allSatisfy { $0.scalars.allSatisfy { $0.isFinite } })
    }

    @Test(arguments: [
        ("epochs", TrainingOptions(epochs: 0)),
        ("epochs", TrainingOptions(epochs: -3)),
        ("batch size", TrainingOptions(batchSize: 0)),
        ("validation split", TrainingOptions(validationSplit: 1)),
        ("validation split", TrainingOptions(validationSplit: -0.1)),
        ("learning rate", TrainingOptions(optimizer: OptimizerConfig(.sgd, learningRate: 0))),
        ("threads", { var o = TrainingOptions(); o.threads = 0; return o }()),
    ])
    func badOptionsAreRefused(_ name: String, _ options: TrainingOptions) throws {
        let data = try TestData.threeBlobs(perClass: 5)
        let model = try blobModel(seed: 1)
        guard case let .invalidOption(option, _, expected)? = fitError(model, data, options) else {
            Issue.record("expected invalidOption(\(name))")
            return
        }
        #expect(option == name)
        #expect(!expected.isEmpty)
    }

    @Test func labelsOutsideTheOutputClassesAreRefused() throws {
        let model = try blobModel(seed: 1)
        for label: Int32 in [3, -1] {
            let data = try TestData.classes([0, 0, 1, 1, 2, 2], shape: [2], labels: [0, label, 1])
            guard case let .dataMismatch(message)? = fitError(model, data, options(epochs: 1)) else { continue }
            #expect(message.contains("label \(label)") && message.contains("sample 1"), "\(message)")
        }
    }

    @Test func samplesOfTheWrongShapeAreRefused() throws {
        let model = try blobModel(seed: 1)
        let data = try TestData.classes([0, 0, 1, 1, 2, 2], shape: [3], labels: [0, 1])
        guard case let .dataMismatch(message)? = fitError(model, data, options(epochs: 1)) else { return }
        #expect(message.contains("[3]") && message.contains("[2]"), "\(message)")
        #expect(throws: TrainingError.self) { try model.predict(Tensor(shape: [2, 3], values: [0, 0, 1, 1, 2, 2])) }
        #expect(throws: TrainingError.self) { try model.evaluate(data) }
    }

    @Test func emptyDatasetsAreRefused() throws {
        let model = try blobModel(seed: 1)
        let empty = try TestData.classes([], shape: [2], labels: [], name: "nothing")
        #expect(fitError(model, empty, options(epochs: 1)) == .emptyDataset("nothing"))
        #expect(throws: TrainingError.emptyDataset("nothing")) { try model.evaluate(empty) }
        // A validation split that leaves nothing to train on.
        let one = try TestData.classes([1, 2], shape: [2], labels: [0], name: "one")
        #expect(fitError(model, one, options(epochs: 1, validationSplit: 0.5)) == .invalidOption(
            name: "validation split", value: "0.5",
            expected: "a fraction that leaves at least one of the 1 samples for training (it leaves none)"))
    }

    @Test func targetsThatDoNotFitTheLossOrModelAreRefused() throws {
        let model = try blobModel(seed: 1)
        let oneHot = try TestData.dense([0, 0, 1, 1], shape: [2], targets: [1, 0, 0, 0, 1, 0], width: 3)
        guard case .incompatibleLoss? = fitError(model, oneHot, options(epochs: 1)) else {
            Issue.record("sparse categorical cross-entropy accepted dense targets")
            return
        }
        let wide = try TestData.dense([0, 0, 1, 1], shape: [2], targets: [1, 0, 0, 0, 0, 1, 0, 0], width: 4)
        #expect(fitError(model, wide, options(epochs: 1, loss: .categoricalCrossentropy)) != nil)
        let unlabelled = try Dataset(name: "x", sampleShape: [2], features: .float32([0, 0]), labels: nil)
        #expect(fitError(model, unlabelled, options(epochs: 1)) != nil)
    }

    // MARK: Full-batch gradient descent and chunking

    /// gd steps once per epoch over the whole set (here 700 samples, more than one 512-sample chunk):
    /// one epoch is exactly `w − η ∇L(all samples)`.
    @Test func gradientDescentStepsOncePerEpochOverTheWholeSet() throws {
        let data = try TestData.threeBlobs(perClass: 234)  // 702 samples
        let model = try blobModel(seed: 9)
        let gradient = try model.lossAndGradients(data, loss: .sparseCategoricalCrossentropy).gradients
        var trained = model
        var events: [Int] = []
        var steps = 0
        try trained.fit(data, options: options(OptimizerConfig(.gd, learningRate: 0.5), epochs: 1, batchSize: 32)) { event in
            if case let .epochStarted(_, _, batches) = event { events.append(batches) }
            if case .batchFinished = event { steps += 1 }
        }
        #expect(events == [1])
        #expect(steps == 1)
        #expect(trained.optimizerState?.iterations == 1)
        for i in model.weights.indices {
            let expected = zip(model.weights[i].scalars, gradient[i].scalars).map { Double($0) - 0.5 * Double($1) }
            expectClose(trained.weights[i].scalars, expected, absolute: 1e-6, relative: 1e-6, "weight \(i)")
        }
    }

    /// The mean gradient over 1100 samples (processed in chunks of 512) equals the sample-weighted
    /// mean of the gradients of three pieces cut elsewhere.
    @Test func chunkedAccumulationEqualsTheWholeBatchGradient() throws {
        let data = try TestData.threeBlobs(perClass: 367).slice(0..<1100)
        let model = try blobModel(seed: 2)
        let loss = Loss.sparseCategoricalCrossentropy
        let whole = try model.lossAndGradients(data, loss: loss)
        var expectedLoss = 0.0
        var expected = model.weights.map { [Double](repeating: 0, count: $0.count) }
        for range in [0..<300, 300..<700, 700..<1100] {
            let part = try model.lossAndGradients(data.slice(range), loss: loss)
            let weight = Double(range.count) / Double(data.count)
            expectedLoss += weight * part.loss
            for i in expected.indices {
                for (j, g) in part.gradients[i].scalars.enumerated() { expected[i][j] += weight * Double(g) }
            }
        }
        #expect(close(whole.loss, expectedLoss, relative: 1e-6))
        for i in expected.indices {
            expectClose(whole.gradients[i].scalars, expected[i], absolute: 1e-7, relative: 1e-4, "weight \(i)")
        }
        #expect(maximumChunk == 512 && data.count > 2 * maximumChunk)
    }

    // MARK: Prediction and evaluation

    @Test func predictAndEvaluateAgree() throws {
        let data = try TestData.threeBlobs(perClass: 20)
        var model = try blobModel(seed: 1)
        try model.fit(data, options: options(epochs: 2))
        let p = try model.predict(data.featureTensor(), batchSize: 7)
        #expect(p.shape == [60, 3])
        let rows = p.scalars
        for r in 0..<60 { #expect(close(Double(rows[r * 3..<r * 3 + 3].reduce(0, +)), 1, absolute: 1e-6)) }
        // Batch sizes 7, 16 and 60 give the same outputs up to rounding: OpenBLAS picks its kernels
        // by the matrix shape (on some CPUs the last rows of a block take another path), so the
        // last bit can differ between batch sizes.
        let evaluation = try model.evaluate(data, batchSize: 16)
        expectClose(evaluation.probabilities.scalars, rows.map(Double.init), absolute: 1e-6, "evaluate vs predict")
        let predicted = (0..<60).map { r in (0..<3).max { rows[r * 3 + $0] < rows[r * 3 + $1] }! }
        #expect(evaluation.predictedClasses == predicted)
        guard case let .classes(labels)? = data.labels else { return }
        let correct = zip(predicted, labels).filter { $0 == Int($1) }.count
        #expect(evaluation.accuracy == Double(correct) / 60)
        #expect(evaluation.confusion.total == 60)
        #expect(evaluation.confusion.accuracy == evaluation.accuracy)
        expectClose(try model.predict(data.featureTensor(), batchSize: 60).scalars, rows.map(Double.init), absolute: 1e-6, "batch 60")
    }
}
