import ArgumentParser
import CSignals
import NNModel

/// `nnmodel train`: the seed job by default, any supported architecture with `--config`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model (by default the Fashion-MNIST seed model) and test it.",
        discussion: """
        With no options this runs the classic exercise: Flatten(28x28) -> Dense(128, relu) -> \
        Dense(10, softmax), Adam, sparse categorical cross-entropy, 5 epochs of batch 32 on \
        Fashion-MNIST, then test loss, accuracy and the confusion matrix.

        Examples:
          nnmodel train
          nnmodel train --epochs 10 --hidden 256,128 --optimizer rmsprop
          nnmodel train --config model_config.json --history history.csv --json
          nnmodel train --plot curves.svg
          nnmodel train --validation-split 0.1 --output model.keras
          nnmodel train --resume model.nnm --epochs 2 --output model.nnm
        """
    )

    @OptionGroup var dataOptions: DataOptions

    @Option(help: "Passes over the training data.") var epochs = 5
    @Option(name: .customLong("batch-size"), help: "Samples per gradient step (ignored by gd).") var batchSize = 32
    @Option(help: ArgumentHelp("Optimizer (default adam, or the saved one with --resume).",
                               valueName: OptimizerConfig.Kind.allCases.map(\.rawValue).joined(separator: "|")))
    var optimizer: OptimizerConfig.Kind?
    @Option(name: .customLong("learning-rate"), help: "Step size (default: Keras's default for the optimizer).")
    var learningRate: Double?
    @Option(help: "Momentum for momentum (default 0.9) and rmsprop (default 0).") var momentum: Double?
    @Flag(help: "Use Nesterov momentum with --optimizer momentum.") var nesterov = false
    @Option(help: ArgumentHelp("The model to train: 'mlp' (Flatten, Dense hidden layers, Dense softmax: the seed) or 'cnn' (Conv2D(32, 3) → MaxPooling2D → Conv2D(64, 3) → MaxPooling2D → Flatten → Dense(128) → Dense softmax, the Keras tutorial CNN).",
                               valueName: "mlp|cnn"))
    var model: ModelPreset?
    @Option(help: ArgumentHelp("Hidden layer sizes, comma-separated ('none' for no hidden layer).", valueName: "n,n,..."))
    var hidden: LayerSizes?
    @Option(help: "Activation of the hidden layers.") var activation: Activation?
    @Option(help: ArgumentHelp("Loss (default sparse_categorical_crossentropy, or the saved one with --resume).",
                               valueName: Loss.allCases.map(\.rawValue).joined(separator: "|")))
    var loss: Loss?
    @Option(help: "Seed for weights, shuffling and dropout.") var seed: UInt64 = TrainingOptions.defaultSeed
    @Option(name: .customLong("validation-split"), help: "Fraction of the training data held out for validation.")
    var validationSplit: Double = 0
    @Option(name: .customLong("train-samples"), help: ArgumentHelp(
        "Train on the first N training samples only (default: all); for quick runs and benchmarks.", valueName: "N"))
    var trainSamples: Int?
    @Option(help: ArgumentHelp("A Keras model config JSON (the model_config Keras writes) to train instead of the seed model.",
                               valueName: "file"))
    var config: String?
    @Option(help: ArgumentHelp("Write the per-epoch history to this file (.json or .csv).", valueName: "file"))
    var history: String?
    @Option(help: "Threads sharing the large Dense layers (default: one per core; at most 4 per core, and more than 4 add nothing; the result is the same for any count).") var threads: Int?
    @Option(name: .shortAndLong, help: ArgumentHelp("Save the trained model (.nnm; .h5 or .keras for Keras, .onnx, .safetensors).", valueName: "file"))
    var output: String?
    @Option(help: ArgumentHelp("Storage dtype of the saved weights (default: float32).",
                               valueName: DType.allValueStrings.joined(separator: "|")))
    var dtype: DType?
    @OptionGroup var naming: NamingOption
    @Option(help: ArgumentHelp("Continue training a saved model, with its optimizer state and history.", valueName: "file"))
    var resume: String?
    @Option(help: ArgumentHelp("Draw the training curves (loss and accuracy per epoch) to this SVG file.", valueName: "curves.svg"))
    var plot: String?
    @Option(name: .customLong("checkpoint-every"), help: ArgumentHelp(
        "Save the model to --output every N epochs while training (atomically, with the optimizer state).", valueName: "N"))
    var checkpointEvery: Int?
    @Flag(help: "Print the final report as JSON on stdout (progress goes to stderr).") var json = false
    @Flag(name: .shortAndLong, help: "Print no progress.") var quiet = false

    func validate() throws {
        try naming.check(output: output, format: nil)
        if output?.isEmpty == true { throw ValidationError("--output must not be empty") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        if let trainSamples, trainSamples < 1 { throw ValidationError("--train-samples must be at least 1, got \(trainSamples)") }
        guard (0..<1).contains(validationSplit) else {
            throw ValidationError("--validation-split must be in [0, 1), got \(validationSplit)")
        }
        if let learningRate, !(learningRate > 0 && learningRate.isFinite) {
            throw ValidationError("--learning-rate must be a positive number, got \(learningRate)")
        }
        if let momentum, !(0..<1).contains(momentum) { throw ValidationError("--momentum must be in [0, 1), got \(momentum)") }
        if nesterov && optimizer != .momentum { throw ValidationError("--nesterov needs --optimizer momentum") }
        if resume != nil && (config != nil || hidden != nil || activation != nil) {
            throw ValidationError("--resume continues the saved model; do not combine it with --config, --hidden or --activation")
        }
        if config != nil && (hidden != nil || activation != nil || model != nil) {
            throw ValidationError("--config gives the whole architecture; do not combine it with --model, --hidden or --activation")
        }
        if resume != nil && model != nil {
            throw ValidationError("--resume continues the saved model; do not combine it with --model")
        }
        if model == .cnn && (hidden != nil || activation != nil) {
            throw ValidationError("--model cnn is a fixed architecture; --hidden and --activation apply to --model mlp")
        }
        try validateThreads(threads)
        if let plot, !plot.lowercased().hasSuffix(".svg") { throw ValidationError("--plot must name an .svg file, got '\(plot)'") }
        if let checkpointEvery {
            guard checkpointEvery >= 1 else { throw ValidationError("--checkpoint-every must be at least 1, got \(checkpointEvery)") }
            guard output != nil else { throw ValidationError("--checkpoint-every needs --output (the file to save to)") }
        }
        if let history, !(history.hasSuffix(".json") || history.hasSuffix(".csv")) {
            throw ValidationError("--history must end in .json or .csv, got '\(history)'")
        }
    }

    func run() throws {
        try runReportingErrors {
            // Every file this run writes is checked first: no training is lost to a bad path.
            if let output {
                _ = try ModelFile.codec(writing: output, dtype: dtype)
                try ModelFile.checkWritable(output)
            }
            for path in [history, plot].compactMap({ $0 }) { try ModelFile.checkWritable(path) }
            let source = try DataSource(dataOptions.data)
            var trainingData = try source.load(.train)
            if let trainSamples, trainSamples < trainingData.count { trainingData = trainingData.slice(0..<trainSamples) }
            let testData = try dataOptions.testSet()
            let classNames = trainingData.classNames ?? testData?.classNames

            var model: Sequential
            var options: TrainingOptions
            if let resume {
                model = try ModelFile.load(resume)
                options = trainingOptions(model.optimizerState?.config, savedLoss: model.metadata.loss)
            } else {
                let architecture = try makeArchitecture(data: trainingData)
                options = trainingOptions(nil, savedLoss: nil)
                // Checked before the weights are created: a model too large to train is refused at once.
                try Sequential.checkTrainingMemory(architecture, options: options, samples: trainingData.count)
                model = try Sequential(architecture, seed: seed)
            }
            for layer in model.architecture.layers where !layer.ignoredOptions.isEmpty {
                printError("nnmodel: warning: layer '\(layer.name)' sets \(layer.ignoredOptions.joined(separator: ", ")), which nnmodel does not apply")
            }
            if let checkpointEvery, let output {
                options.checkpointEvery = checkpointEvery
                let dtype = dtype
                let naming = naming.naming ?? .keras
                options.checkpoint = { snapshot in try ModelFile.save(snapshot, to: output, dtype: dtype, naming: naming) }
            }
            // Ctrl-C or SIGTERM: finish the step, save what was learned, exit 130 (a second one stops at once).
            _ = nn_interrupts_install()
            defer { nn_interrupts_restore() }
            options.shouldStop = { nn_interrupts_requested() != 0 }

            let progress = ProgressPrinter(quiet: quiet, toStandardError: json)
            let clock = ContinuousClock()
            let start = clock.now
            let trainingHistory: History
            do {
                trainingHistory = try model.fit(trainingData, options: options, progress: progress.handle)
            } catch let TrainingError.interrupted(epoch, batch, of) {
                progress.finishLine()
                model.metadata.interruption = Interruption(epoch: epoch, batch: batch, batches: of)
                if model.metadata.classNames == nil { model.metadata.classNames = classNames }
                try saveOutputs(model, history: model.metadata.history ?? History())
                let saved = output.map { "; saved the model to \($0) (continue with --resume \($0))" } ?? "; nothing saved (no --output)"
                printError("nnmodel: interrupted after step \(batch) of \(of) in epoch \(epoch)\(saved)")
                throw ExitCode(ExitStatus.interrupted)
            }
            let trainSeconds = seconds(clock.now - start)
            if model.metadata.classNames == nil { model.metadata.classNames = classNames }
            try saveOutputs(model, history: trainingHistory)
            if let plot { try Pictures.write(try Pictures.trainingCurves(trainingHistory), to: plot) }
            let evaluation = try testData.map { try model.evaluate($0, loss: options.loss) }
            try report(model: model, history: trainingHistory, evaluation: evaluation, trainSeconds: trainSeconds,
                       classNames: classNames ?? [])
        }
    }

    /// The options of this run; with `--resume`, the saved optimizer and loss unless others are named.
    func trainingOptions(_ savedOptimizer: OptimizerConfig?, savedLoss: String?) -> TrainingOptions {
        let chosenLoss = loss ?? savedLoss.flatMap(Loss.init(kerasName:)) ?? .sparseCategoricalCrossentropy
        var options = TrainingOptions(epochs: epochs, batchSize: batchSize, optimizer: optimizerConfig(saved: savedOptimizer),
                                      loss: chosenLoss, seed: seed, validationSplit: validationSplit)
        options.threads = threads
        return options
    }

    /// Writes `--history` and `--output`.
    func saveOutputs(_ model: Sequential, history trainingHistory: History) throws {
        if let history {
            let text = history.hasSuffix(".csv") ? trainingHistory.csv : trainingHistory.json.serialized(pretty: true) + "\n"
            try AtomicFile.write(Array(text.utf8), to: history)
        }
        if let output {
            try ModelFile.save(model, to: output, dtype: dtype, naming: naming.naming ?? .keras)
            for note in ModelFile.compatibilityNotes(model, path: output) { printError("nnmodel: warning: \(output): \(note)") }
        }
    }

    func makeArchitecture(data: Dataset) throws -> ModelArchitecture {
        if let config {
            let bytes = try FileReader.bytes(config, limit: 64 << 20)
            do {
                return try KerasConfig.architecture(fromJSON: bytes)
            } catch {
                throw CommandFailure(message: "\(config): \(error)")
            }
        }
        let classes = max(data.labelWidth ?? 10, data.classNames?.count ?? 0)
        if model == .cnn {
            guard (2...3).contains(data.sampleShape.count), data.sampleShape.count == 2 || data.sampleShape.last == 1 else {
                throw CommandFailure(message: "\(data.name): --model cnn needs grey images (height, width) or (height, width, 1), found samples of shape \(data.sampleShape)")
            }
            let architecture = ModelArchitecture.convolutional(inputShape: data.sampleShape, classes: classes)
            do { _ = try architecture.validated() } catch { throw CommandFailure(message: "\(data.name): --model cnn: \(error)") }
            return architecture
        }
        let outputActivation: Activation = loss == .binaryCrossentropy ? .sigmoid : .softmax
        return .multilayerPerceptron(inputShape: data.sampleShape, hidden: hidden?.sizes ?? [128],
                                     activation: activation ?? .relu, outputs: classes, outputActivation: outputActivation)
    }

    /// The optimizer from the options; with `--resume`, the saved one unless another is named.
    func optimizerConfig(saved: OptimizerConfig?) -> OptimizerConfig {
        var c: OptimizerConfig
        if let saved, optimizer == nil || optimizer == saved.kind {
            c = saved
            if let learningRate { c.learningRate = learningRate }
        } else {
            c = OptimizerConfig(optimizer ?? .adam, learningRate: learningRate)
        }
        if let momentum { c.momentum = momentum }
        if nesterov { c.nesterov = true }
        return c
    }

    func report(model: Sequential, history: History, evaluation: Evaluation?, trainSeconds: Double, classNames: [String]) throws {
        if json {
            // The model and history objects are those of `inspect --json`.
            var members: [(key: String, value: JSON)] = [
                ("model", InspectionJSON.model(model)),
                ("training_seconds", .number(trainSeconds)),
                ("history", InspectionJSON.history(history)),
            ]
            if let evaluation { members.append(("test", .object(Report.members(evaluation, classNames: classNames)))) }
            JSONContract.print(members)
            return
        }
        Console.out("Trained in \(fixed(trainSeconds, 2)) s")
        if let output { Console.out("Saved the model to \(shown(output))") }
        guard let evaluation else { return }
        Console.out("Test loss: \(fixed(evaluation.loss, 4)) - Test accuracy: \(fixed(evaluation.accuracy, 4)) (\(evaluation.trueClasses.count) samples)")
        Console.out()
        Console.out(Report.confusionMatrix(evaluation.confusion, classNames: classNames))
        Console.out()
        Console.out(Report.classificationReport(evaluation.confusion.report, classNames: classNames))
    }
}

/// The architectures `train --model` names.
enum ModelPreset: String, ExpressibleByArgument, CaseIterable {
    /// The seed multilayer perceptron (shaped by `--hidden` and `--activation`).
    case mlp
    /// ``ModelArchitecture/convolutional(inputShape:classes:dropout:)``.
    case cnn
}
