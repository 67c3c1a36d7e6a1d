import ArgumentParser
import NNModel

/// `nnmodel evaluate`: loss, accuracy, confusion matrix and per-class report of a saved model.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a saved model on labelled data (the test split by default).",
        discussion: """
        Examples:
          nnmodel evaluate model.nnm
          nnmodel evaluate model.h5 --input x_test.npy --labels y_test.npy --json
          nnmodel evaluate model.nnm --plot confusion.svg
        """
    )

    @Argument(help: ArgumentHelp("The model file (.nnm, or a Keras .h5/.keras file).", valueName: "file")) var file: String
    @OptionGroup var samples: SampleOptions
    @OptionGroup var verify: VerifyOption
    @OptionGroup var architectureOptions: ArchitectureOptions
    @Option(help: ArgumentHelp("Loss to report (default: the loss the model was trained with).", valueName: "name"))
    var loss: Loss?
    @Option(name: .customLong("batch-size"), help: "Samples per inference batch (each thread's buffers hold one).") var batchSize = 256
    @Option(help: "Threads sharing the samples (default: one per core; at most 4 per core).") var threads: Int?
    @Option(help: ArgumentHelp("Draw the confusion matrix as a heatmap to this SVG file.", valueName: "confusion.svg"))
    var plot: String?
    @Flag(name: .customLong("all-classes"), help: ArgumentHelp(
        "Report every class of the model, also those absent from the data and never predicted (by default, as scikit-learn's classification_report, only the classes among the true or predicted ones are reported and averaged)."))
    var allClasses = false
    @Flag(help: "Print the results as JSON.") var json = false

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        try validateThreads(threads)
        if let plot, !plot.lowercased().hasSuffix(".svg") { throw ValidationError("--plot must name an .svg file, got '\(plot)'") }
    }

    func run() throws {
        try runReportingErrors {
            let model = try ModelFile.load(file, verify: !verify.noVerify, architecture: try architectureOptions.load(),
                                           // Not used here (still checked unless --no-verify).
                                           optimizerState: false)
            let data = try samples.load(classNames: model.metadata.classNames)
            guard data.labels != nil else {
                throw CommandFailure(message: "\(data.name): no labels to evaluate against (give --labels)", status: ExitStatus.usage)
            }
            try model.checkInput(data, modelPath: file)
            let clock = ContinuousClock()
            let start = clock.now
            let evaluation = try model.evaluate(data, loss: loss, batchSize: batchSize, threads: threads)
            warnAboutNonFiniteOutputs(evaluation.probabilities, modelPath: file)
            let elapsed = seconds(clock.now - start)
            let names = model.metadata.classNames ?? data.classNames ?? []
            if let plot {
                try Pictures.write(try Pictures.confusionMatrix(evaluation.confusion, classNames: names,
                                                                title: "Confusion matrix (accuracy \(fixed(evaluation.accuracy, 4)))"), to: plot)
            }
            if json {
                JSONContract.print([("file", .string(file)), ("data", .string(data.name))]
                                   + Report.members(evaluation, classNames: names, allClasses: allClasses)
                                   + [("seconds", .number(elapsed))])
                return
            }
            Console.out("\(data.count) samples from \(shown(data.name))")
            Console.out("Test loss: \(fixed(evaluation.loss, 4)) (\(evaluation.lossName)) - Test accuracy: \(fixed(evaluation.accuracy, 4))")
            Console.out()
            Console.out(Report.confusionMatrix(evaluation.confusion, classNames: names))
            Console.out()
            Console.out(Report.classificationReport(allClasses ? evaluation.confusion.reportOverAllClasses : evaluation.confusion.report,
                                                    classNames: names))
        }
    }
}
