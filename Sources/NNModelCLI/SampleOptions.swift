import ArgumentParser
import NNModel

/// Where `evaluate` and `predict` take samples from: a dataset's test split, or NumPy arrays.
struct SampleOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Dataset whose test split to use: 'fashion-mnist', a folder of IDX or CSV files, or a CSV file.",
        valueName: "name|dir|file"))
    var data: String = FashionMNIST.name

    @Option(name: .long, help: ArgumentHelp(
        "Samples as a NumPy .npy array [N, ...] (float32/float64 as is, uint8 scaled to [0, 1]) instead of --data.",
        valueName: "X.npy"))
    var input: String?

    @Option(name: .long, help: ArgumentHelp("Labels for --input: .npy of class indices [N] or targets [N, k].", valueName: "y.npy"))
    var labels: String?

    func validate() throws {
        if labels != nil && input == nil { throw ValidationError("--labels needs --input") }
    }

    /// Loads the samples; `classNames` from the model are used when the data has none.
    func load(classNames: [String]?) throws -> Dataset {
        if let input { return try NPYDataset.load(inputPath: input, labelsPath: labels, classNames: classNames) }
        var data = try DataSource(data).load(.test)
        if data.classNames == nil { data.classNames = classNames }
        return data
    }
}

/// `--no-verify` for commands that load a model.
struct VerifyOption: ParsableArguments {
    @Flag(name: .customLong("no-verify"), help: "Skip checksum verification when loading (faster on large files).")
    var noVerify = false
}

extension Sequential {
    /// Checks that `data` fits the model's input, with a message naming both.
    func checkInput(_ data: Dataset, modelPath: String) throws {
        guard architecture.accepts(sampleShape: data.sampleShape) else {
            throw CommandFailure(message: "\(data.name): samples have shape \(data.sampleShape) (\(data.sampleSize) values), but the model in \(modelPath) expects input of shape \(architecture.inputShape) (the same shape up to axes of size 1, or flat; images channels-last)")
        }
    }
}
