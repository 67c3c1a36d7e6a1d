import ArgumentParser
import NNModel

/// `--data` and `--test-data`: where samples come from.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Dataset: 'fashion-mnist' (Debian's files), a folder of MNIST-style IDX or CSV files, or a CSV file (label first).",
        valueName: "name|dir|file"))
    var data: String = FashionMNIST.name

    @Option(name: .customLong("test-data"), help: ArgumentHelp(
        "Data to test on, when it is not the test split of --data.", valueName: "dir|file"))
    var testData: String?

    /// The test split: `--test-data`, else the test split of `--data` (none for a single CSV file).
    func testSet() throws -> Dataset? {
        if let testData { return try DataSource(testData).load(.test) }
        let source = try DataSource(data)
        if case .csvFile = source.layout { return nil }
        if case let .csvDirectory(_, test) = source.layout, test == nil { return nil }
        return try source.load(.test)
    }
}

extension Activation: ExpressibleByArgument {
    public init?(argument: String) { self.init(kerasName: argument) }
    public static var allValueStrings: [String] { Activation.supportedNames }
}

extension Loss: ExpressibleByArgument {
    public init?(argument: String) { self.init(kerasName: argument) }
    public static var allValueStrings: [String] { Loss.allCases.map(\.rawValue) }
}

extension OptimizerConfig.Kind: ExpressibleByArgument {}

/// Parses `--hidden 256,128`.
struct LayerSizes: ExpressibleByArgument {
    var sizes: [Int]

    init?(argument: String) {
        if argument == "none" {
            sizes = []
            return
        }
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
        var sizes: [Int] = []
        for p in parts {
            guard let n = Int(p.trimmingCharacters(in: " ")), n > 0 else { return nil }
            sizes.append(n)
        }
        self.sizes = sizes
    }

    init(_ sizes: [Int]) { self.sizes = sizes }
}

extension Substring {
    func trimmingCharacters(in c: Character) -> String {
        String(drop { $0 == c }.reversed().drop { $0 == c }.reversed())
    }
}

extension DType: ExpressibleByArgument {}

extension TensorNaming: ExpressibleByArgument {}

/// `--naming`: how a safetensors file names and lays out the weights.
struct NamingOption: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Tensor names in a .safetensors output: keras (dense/kernel as [in, out], the default) or torch (the equivalent nn.Sequential's state_dict: 1.weight as [out, in]).",
        valueName: TensorNaming.allValueStrings.joined(separator: "|")))
    var naming: TensorNaming?

    /// Refuses `--naming` for an output that is not safetensors.
    func check(output: String?, format: ModelFormat?) throws {
        guard naming != nil else { return }
        guard let output, (try? ModelFile.codec(writing: output, format: format))?.format == .safetensors else {
            throw ValidationError("--naming applies to a safetensors output (.safetensors, or --format safetensors)")
        }
    }
}

/// Checks `--threads`: 1 to four per core (more only make the threads wait for each other).
func validateThreads(_ threads: Int?) throws {
    guard let threads else { return }
    let limit = TrainingOptions.maximumThreads
    guard (1...limit).contains(threads) else {
        throw ValidationError("--threads must be 1 to \(limit) (four per core), got \(threads)")
    }
}
