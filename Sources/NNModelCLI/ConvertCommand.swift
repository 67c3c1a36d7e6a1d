import ArgumentParser
import NNModel

/// `nnmodel convert`: read a model in any supported format and write it in another.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a model between .nnm and Keras formats.",
        discussion: """
        Reads .nnm and every Keras layout: Keras 3 and tf_keras model.save('x.h5'), Keras 2 \
        save_weights('x.h5'), Keras 3 / tf_keras save_weights('x.weights.h5'), and model.save('x.keras'). \
        Writes .nnm, or Keras's legacy HDF5 (.h5), which Keras 3 and tf_keras load with \
        keras.models.load_model. The output format follows the extension unless --format says otherwise. \
        Weights-only files need the architecture from --architecture or --config.

        Examples:
          nnmodel convert model.keras model.nnm
          nnmodel convert model.nnm model.h5
          nnmodel convert weights.weights.h5 model.nnm --architecture model.keras
          nnmodel convert weights.h5 model.nnm --config model_config.json --dtype float16
        """
    )

    @Argument(help: ArgumentHelp("The model to read.", valueName: "in")) var input: String
    @Argument(help: ArgumentHelp("The file to write.", valueName: "out")) var output: String
    @Option(help: ArgumentHelp("Output format (default: from the extension, else nnm).", valueName: "nnm|h5"))
    var format: ModelFormat?
    @Option(help: ArgumentHelp("Storage dtype of the weights in .nnm output.", valueName: "float32|float16|bfloat16"))
    var dtype: DType = .float32
    @OptionGroup var architectureOptions: ArchitectureOptions
    @OptionGroup var verify: VerifyOption
    @Flag(help: "Print a summary of the conversion as JSON.") var json = false

    func validate() throws {
        if format == .keras || (format == nil && ModelFormat(pathExtension: output) == .keras) {
            throw ValidationError("writing .keras archives is not supported; write .h5 (Keras loads it) or .nnm")
        }
        if dtype == .float64 { throw ValidationError("--dtype float64 is not offered for saving; use float32, float16 or bfloat16") }
    }

    func run() throws {
        try runReportingErrors {
            let loaded = try ModelFile.open(input, verify: !verify.noVerify, architecture: try architectureOptions.load())
            let outputFormat = format ?? ModelFormat(pathExtension: output) ?? .nnm
            try ModelFile.save(loaded.model, to: output, format: outputFormat, dtype: dtype)
            for note in ModelFile.compatibilityNotes(loaded.model, path: output, format: outputFormat) {
                printError("nnmodel: warning: \(output): \(note)")
            }
            let model = loaded.model
            let parameters = model.parameterCount.trainable + model.parameterCount.nonTrainable
            if json {
                Console.out(JSON.object([
                    ("input", .string(input)), ("input_format", .string(loaded.formatDescription)),
                    ("output", .string(output)), ("output_format", .string(outputFormat.rawValue)),
                    ("dtype", .string(outputFormat == .nnm ? dtype.rawValue : model.architecture.sourceDType.rawValue)),
                    ("layers", .int(model.architecture.layers.count)), ("parameters", .int(parameters)),
                    ("details", .object(loaded.details.map { ($0.key, .string($0.value)) })),
                ]).serialized(pretty: true))
            } else {
                Console.out("Converted \(input) (\(loaded.formatDescription)) to \(output) (\(outputFormat.rawValue)\(outputFormat == .nnm ? ", \(dtype.rawValue)" : "")): \(model.architecture.layers.count) layers, \(Formatting.grouped(parameters)) parameters")
            }
        }
    }
}
