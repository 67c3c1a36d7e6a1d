import ArgumentParser
import NNModel

/// `nnmodel plot model`: the model's layers as a diagram, like Keras's `plot_model(show_shapes=True)`.
struct PlotModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Draw the model's layers top to bottom, with output shapes and parameter counts, as SVG.",
        discussion: """
        Like Keras's plot_model(show_shapes=True): the input and each layer as a box (name, class, \
        activation, output shape, parameters) joined by arrows, under the model's name and total \
        parameters. FILE is any model file `inspect` reads. Checksums are not verified, as with \
        `inspect --no-verify` (of a .nnm file only the header is read).

        Examples:
          nnmodel plot model model.nnm --output model.svg
          nnmodel plot model model.weights.h5 --architecture model.keras -o model.svg
        """
    )

    @Argument(help: ArgumentHelp("The model file.", valueName: "file")) var file: String
    @Option(name: .shortAndLong, help: ArgumentHelp("The SVG file to write.", valueName: "model.svg")) var output: String
    @OptionGroup var architectureOptions: ArchitectureOptions

    func validate() throws {
        guard output.lowercased().hasSuffix(".svg") else {
            throw ValidationError("--output must name an .svg file (model diagrams are drawn as SVG), got '\(output)'")
        }
    }

    func run() throws {
        try runReportingErrors {
            try ModelFile.checkWritable(output)
            let info = try ModelFile.inspect(file, verify: false, architecture: try architectureOptions.load())
            try Pictures.write(try Pictures.modelDiagram(info.architecture), to: output)
            let layers = info.architecture.layers.count
            let (trainable, frozen) = info.parameterCounts
            Console.out("Wrote \(shown(output)) (\(layers) \(layers == 1 ? "layer" : "layers"), \(Formatting.grouped(trainable + frozen)) parameters)")
        }
    }
}
