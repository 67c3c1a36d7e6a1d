import ArgumentParser
import NNModel

/// `nnmodel plot`: draw pictures from saved results.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw pictures from saved models and history files.",
        discussion: """
        Other pictures come with the commands that compute them: `train --plot curves.svg`, \
        `evaluate --plot confusion.svg`, `predict --grid samples.png`.

        Examples:
          nnmodel plot history model.nnm --output curves.svg
          nnmodel plot history history.csv -o curves.svg
          nnmodel plot model model.nnm --output model.svg
        """,
        subcommands: [PlotHistoryCommand.self, PlotModelCommand.self]
    )
}

/// `nnmodel plot history`: training curves from a saved model or a history file.
struct PlotHistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Draw loss and accuracy per epoch (training and validation) as SVG.",
        discussion: """
        FILE is a model file that records its training history (.nnm, or .h5 / .keras written by nnmodel), \
        or a history file written by `nnmodel train --history` (.json or .csv; Keras's CSVLogger \
        files work too).

        Examples:
          nnmodel plot history model.nnm --output curves.svg
          nnmodel plot history history.csv -o curves.svg
        """
    )

    @Argument(help: ArgumentHelp("A model file or a history .json/.csv file.", valueName: "file")) var file: String
    @Option(name: .shortAndLong, help: ArgumentHelp("The SVG file to write.", valueName: "curves.svg")) var output: String
    @Option(help: "A title over the charts.") var title: String?

    func validate() throws {
        guard output.lowercased().hasSuffix(".svg") else { throw ValidationError("--output must name an .svg file, got '\(output)'") }
    }

    func run() throws {
        try runReportingErrors {
            let history = try loadHistory(file)
            guard !history.epochs.isEmpty else {
                throw CommandFailure(message: "\(file): the training history has no epochs")
            }
            try Pictures.write(try Pictures.trainingCurves(history, title: title), to: output)
            Console.out("Wrote \(shown(output)) (\(history.epochs.count) epochs)")
        }
    }

    func loadHistory(_ path: String) throws -> History {
        let lower = path.lowercased()
        if lower.hasSuffix(".json") || lower.hasSuffix(".csv") {
            let text = String(decoding: try FileReader.bytes(path, limit: 64 << 20), as: UTF8.self)
            do {
                if lower.hasSuffix(".csv") { return try History(csv: text) }
                return try History(json: try JSON(parsing: text))
            } catch {
                throw CommandFailure(message: "\(path): not a training history: \(error)")
            }
        }
        let model = try ModelFile.load(path, verify: false)
        guard let history = model.metadata.history else {
            throw CommandFailure(message: "\(path): the model records no training history")
        }
        return history
    }
}
