import ArgumentParser
import NNModel

/// `nnmodel convert`: read a model in any supported format and write it in another.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a model between .nnm, Keras, ONNX and safetensors files.",
        discussion: """
        Reads .nnm and every Keras layout: Keras 3 and tf_keras model.save('x.h5'), Keras 2 \
        save_weights('x.h5'), Keras 3 / tf_keras save_weights('x.weights.h5'), and model.save('x.keras'); \
        and ONNX models that are a chain of Dense (Gemm, MatMul) layers, channels-last convolutions, pooling, normalization and activations, as PyTorch and \
        tf2onnx export them; and safetensors (nnmodel's own whole, others' weights with --architecture). Writes .nnm, Keras's legacy HDF5 (.h5), which Keras 3 and tf_keras load with \
        keras.models.load_model, Keras 3's .keras archive, which keras.saving.load_model loads with the \
        optimizer state, ONNX (opset 17) for onnxruntime, and safetensors with Keras or PyTorch names \
        (--naming). The output format follows the \
        extension unless --format says otherwise. \
        Weights-only files need the architecture from --architecture or --config.

        Examples:
          nnmodel convert model.keras model.nnm
          nnmodel convert model.nnm model.h5
          nnmodel convert model.nnm model.keras
          nnmodel convert model.keras model.onnx --dtype float16
          nnmodel convert model.nnm model.safetensors --naming torch
          nnmodel convert state_dict.safetensors model.nnm --architecture model.nnm
          nnmodel convert weights.weights.h5 model.nnm --architecture model.keras
          nnmodel convert weights.h5 model.nnm --config model_config.json
          nnmodel convert model.nnm small.nnm --strip-optimizer --dtype float16
          nnmodel convert *.keras --output-dir converted --format nnm
          nnmodel convert model.h5 - --format nnm | gzip > model.nnm.gz
        """
    )

    @Argument(help: ArgumentHelp(
        "The model to read and the file to write ('-': standard output, with --format); with --output-dir, every model to convert.",
        valueName: "in> <out"))
    var paths: [String]
    @Option(help: ArgumentHelp("Output format (default: from the output's extension; required with --output-dir or '-').",
                               valueName: ModelFormat.writableNames))
    var format: ModelFormat?
    @Option(name: .customLong("output-dir"), help: ArgumentHelp(
        "Convert every input into this folder, as <name>.<format's extension>, in parallel over the cores; one failure does not stop the others.",
        valueName: "dir"))
    var outputDirectory: String?
    @Option(help: ArgumentHelp("Storage dtype of the weights (default: the format's; .h5 and .keras store float32 or float64).",
                               valueName: DType.allValueStrings.joined(separator: "|")))
    var dtype: DType?
    @Flag(name: .customLong("strip-optimizer"), help: ArgumentHelp(
        "Leave the optimizer state out (a smaller file for inference; training cannot resume from it)."))
    var stripOptimizer = false
    @OptionGroup var naming: NamingOption
    @OptionGroup var architectureOptions: ArchitectureOptions
    @OptionGroup var verify: VerifyOption
    @Flag(help: "Print a summary of the conversion as JSON.") var json = false

    /// The most files one `--output-dir` run takes (each is one line of the report).
    static let maximumInputs = 100_000

    func validate() throws {
        guard paths.allSatisfy({ !$0.isEmpty }) else { throw ValidationError("the input and output paths must not be empty") }
        if let outputDirectory {
            guard !outputDirectory.isEmpty else { throw ValidationError("--output-dir must not be empty") }
            guard !paths.isEmpty else { throw ValidationError("give the models to convert into \(outputDirectory)") }
            guard paths.count <= Self.maximumInputs else {
                throw ValidationError("at most \(Self.maximumInputs) models in one run, got \(paths.count)")
            }
            guard format != nil else { throw ValidationError("--output-dir needs --format (the outputs' names come from the inputs')") }
            guard !paths.contains("-") else { throw ValidationError("'-' (standard input) cannot be converted with --output-dir") }
        } else {
            guard paths.count == 2 else {
                throw ValidationError("expected an input and an output, got \(paths.count) path(s) (convert many files with --output-dir DIR --format F)")
            }
            if paths[1] == "-", format == nil { throw ValidationError("writing to standard output ('-') needs --format") }
        }
        try naming.check(output: outputDirectory == nil ? paths[1] : "x." + (format?.rawValue ?? ""), format: format)
    }

    func run() throws {
        try runReportingErrors {
            if let outputDirectory {
                try convertMany(into: outputDirectory)
            } else {
                try convert(paths[0], to: paths[1])
            }
        }
    }

    /// What one conversion did, for the report.
    struct Outcome {
        var input: String
        var output: String
        var inputFormat: String
        var outputFormat: ModelFormat
        var dtype: DType
        var layers: Int
        var parameters: Int
        /// The model object of `inspect --json`.
        var model: JSON
        var details: JSON
        var notes: [String]
        /// The optimizer state the output holds (the input had one, the format keeps it, it was not stripped).
        var optimizerState: OptimizerRecord?
    }

    /// Reads `input` and writes it to `output` (a path, or '-' for standard output), streaming the
    /// tensors when both formats can (see `ModelFile.convert`).
    func convertFile(_ input: String, to output: String) throws -> Outcome {
        let writer = try ModelFile.codec(writing: output == "-" ? "-." + (format?.rawValue ?? "") : output, format: format, dtype: dtype)
        let architecture = try architectureOptions.load()
        func convert(to path: String) throws -> Conversion {
            try ModelFile.convert(input, to: path, format: writer.format, dtype: dtype, naming: naming.naming ?? .keras,
                                  verify: !verify.noVerify, architecture: architecture, stripOptimizer: stripOptimizer)
        }
        let done: Conversion
        if output == "-" {
            var result: Conversion?
            try StandardOutputFile.write(extension: writer.fileExtensions.first ?? writer.format.rawValue) { path in
                result = try convert(to: path)
            }
            guard let result else { throw CommandFailure(message: "\(input): nothing was converted") }
            done = result
        } else {
            done = try convert(to: output)
        }
        let architectureWritten = done.architecture
        let written = dtype ?? (writer.format == .nnm || architectureWritten.sourceDType != .float64 ? .float32 : .float64)
        return Outcome(input: input, output: output, inputFormat: done.input.formatName, outputFormat: writer.format, dtype: written,
                       layers: architectureWritten.layers.count,
                       parameters: done.parameterCount.trainable + done.parameterCount.nonTrainable,
                       model: InspectionJSON.model(architectureWritten, parameters: done.parameterCount,
                                                   optimizerParameterCount: done.optimizerValueCount),
                       details: InspectionJSON.details(done.input),
                       notes: done.notes,
                       optimizerState: writer.capabilities.optimizerState ? done.optimizerState : nil)
    }

    /// The JSON members of one conversion: the `convert --json` document, and an entry of `files` with `--output-dir`.
    func summaryMembers(_ o: Outcome) -> [(key: String, value: JSON)] {
        [
            ("input", .string(o.input)), ("input_format", .string(o.inputFormat)),
            ("output", .string(o.output)), ("output_format", .string(o.outputFormat.rawValue)),
            ("dtype", .string(o.dtype.rawValue)), ("model", o.model),
            ("optimizer_state", o.optimizerState.map(InspectionJSON.optimizerState) ?? .null),
            ("details", o.details),
        ]
    }

    func summaryLine(_ o: Outcome) -> String {
        "Converted \(shown(o.input)) (\(shown(o.inputFormat))) to \(shown(o.output)) (\(o.outputFormat.rawValue), \(o.dtype.rawValue)): \(o.layers) \(o.layers == 1 ? "layer" : "layers"), \(Formatting.grouped(o.parameters)) \(o.parameters == 1 ? "parameter" : "parameters")"
    }

    func convert(_ input: String, to output: String) throws {
        let outcome = try convertFile(input, to: output)
        for note in outcome.notes { printError("nnmodel: warning: \(output): \(note)") }
        // With the model on standard output, the report goes to standard error.
        let report = output == "-" ? { (text: String) in Console.errRaw(text + "\n") } : { Console.out($0) }
        report(json ? JSONContract.document(summaryMembers(outcome)).serialized(pretty: true) : summaryLine(outcome))
    }

    /// Converts every input into `folder`, on one thread per core; reports each file in input
    /// order, then a summary. The exit status is the first failure's, or 0.
    func convertMany(into folder: String) throws {
        guard let format else { return }
        let codec = try ModelFile.codec(writing: "x." + format.rawValue, format: format, dtype: dtype)
        let ext = codec.fileExtensions.first ?? format.rawValue
        let outputs = paths.map { folder + "/" + Self.stem($0) + "." + ext }
        var seen: [String: String] = [:]
        for (input, output) in zip(paths, outputs) {
            if let other = seen.updateValue(input, forKey: output) {
                throw CommandFailure(message: "\(other) and \(input) would both be written to \(output)", status: ExitStatus.usage)
            }
        }
        try ModelFile.checkWritable(outputs[0])
        let results = ResultSlots<Result<Outcome, Error>>(count: paths.count)
        let progress = Console.isTerminal(Console.standardError) && Console.capture == nil ? ProgressCounter(total: paths.count) : nil
        let threads = min(paths.count, max(1, Parallel.processorCount))
        Parallel.run(threads: threads, items: paths.count) { i in
            results[i] = Result { try convertFile(paths[i], to: outputs[i]) }
            progress?.step(shown(paths[i]))
        }
        progress?.finish()
        var failures: [Error] = []
        var items: [JSON] = []
        for i in paths.indices {
            switch results[i] {
            case let .success(outcome)?:
                for note in outcome.notes { printError("nnmodel: warning: \(outcome.output): \(note)") }
                if json { items.append(.object(summaryMembers(outcome) + [("ok", .bool(true))])) } else { Console.out(summaryLine(outcome)) }
            case let .failure(error)?:
                failures.append(error)
                let hint = ExitStatus.hint(for: error).map { "; \($0)" } ?? ""
                printError("nnmodel: error: \(error)\(hint)")
                if json {
                    items.append(.object([("input", .string(paths[i])), ("output", .string(outputs[i])), ("ok", .bool(false)),
                                          ("error", .string("\(error)")), ("exit_status", .int(Int(ExitStatus.code(for: error))))]))
                }
            case nil:
                break
            }
        }
        let converted = paths.count - failures.count
        if json {
            JSONContract.print([("converted", .int(converted)), ("failed", .int(failures.count)), ("files", .array(items))])
        } else {
            Console.out("Converted \(converted) of \(paths.count) file(s) into \(shown(folder))"
                        + (failures.isEmpty ? "" : "; \(failures.count) failed"))
        }
        if let first = failures.first { throw ExitCode(ExitStatus.code(for: first)) }
    }

    /// A file name without its folder and last extension (`a/b/model.weights.h5` → `model.weights`).
    static func stem(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }
}
