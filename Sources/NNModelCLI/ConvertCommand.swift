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
        and ONNX models that are a chain of Dense (Gemm, MatMul) layers and activations, as PyTorch and \
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
          nnmodel convert weights.h5 model.nnm --config model_config.json --dtype float16
        """
    )

    @Argument(help: ArgumentHelp("The model to read.", valueName: "in")) var input: String
    @Argument(help: ArgumentHelp("The file to write.", valueName: "out")) var output: String
    @Option(help: ArgumentHelp("Output format (default: from the extension, else nnm).", valueName: ModelFormat.writableNames))
    var format: ModelFormat?
    @Option(help: ArgumentHelp("Storage dtype of the weights (default: the format's; .h5 and .keras store float32 or float64).",
                               valueName: DType.allValueStrings.joined(separator: "|")))
    var dtype: DType?
    @OptionGroup var naming: NamingOption
    @OptionGroup var architectureOptions: ArchitectureOptions
    @OptionGroup var verify: VerifyOption
    @Flag(help: "Print a summary of the conversion as JSON.") var json = false

    func validate() throws {
        guard !input.isEmpty, !output.isEmpty else { throw ValidationError("the input and output paths must not be empty") }
        try naming.check(output: output, format: format)
    }

    func run() throws {
        try runReportingErrors {
            let writer = try ModelFile.codec(writing: output, format: format, dtype: dtype)
            let loaded = try ModelFile.open(input, verify: !verify.noVerify, architecture: try architectureOptions.load())
            try ModelFile.save(loaded.model, to: output, format: writer.format, dtype: dtype, naming: naming.naming ?? .keras)
            let written = dtype ?? (writer.format == .nnm || loaded.model.architecture.sourceDType != .float64 ? .float32 : .float64)
            for note in ModelFile.compatibilityNotes(loaded.model, path: output, format: writer.format) {
                printError("nnmodel: warning: \(output): \(note)")
            }
            let model = loaded.model
            let parameters = model.parameterCount.trainable + model.parameterCount.nonTrainable
            if json {
                Console.out(JSON.object([
                    ("input", .string(input)), ("input_format", .string(loaded.file.formatName)),
                    ("output", .string(output)), ("output_format", .string(writer.format.rawValue)),
                    ("dtype", .string(written.rawValue)),
                    ("layers", .int(model.architecture.layers.count)), ("parameters", .int(parameters)),
                    ("details", InspectionJSON.details(loaded.file)),
                ]).serialized(pretty: true))
            } else {
                Console.out("Converted \(shown(input)) (\(shown(loaded.file.formatName))) to \(shown(output)) (\(writer.format.rawValue), \(written.rawValue)): \(model.architecture.layers.count) layers, \(Formatting.grouped(parameters)) parameters")
            }
        }
    }
}
