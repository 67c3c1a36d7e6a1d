import ArgumentParser
import NNModel

/// `nnmodel`: train, inspect, evaluate, predict and convert small neural-network models.
public struct NNModelCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "nnmodel",
        abstract: "Train, inspect, evaluate, predict with and convert small neural-network models.",
        discussion: """
        Exit status: 0 success; 1 the command ran but the answer is negative (models differ, a \
        checksum failed, training diverged); 64 bad usage; 65 invalid or unsupported input \
        (a damaged file, an unsupported layer, data that does not fit the model); 66 an input \
        file is missing; 73 an output file cannot be created; 74 another I/O error.
        """,
        version: NNModelVersion.string,
        subcommands: [TrainCommand.self, InspectCommand.self, EvaluateCommand.self, PredictCommand.self]
    )
}
