import ArgumentParser
import NNModel

/// `--architecture` and `--config`: where a weights-only Keras file's architecture comes from.
struct ArchitectureOptions: ParsableArguments {
    @Option(help: ArgumentHelp("For weights-only Keras files: take the architecture from this model file (.nnm, .h5, .keras).",
                               valueName: "file"))
    var architecture: String?

    @Option(help: ArgumentHelp("For weights-only Keras files: take the architecture from this Keras model config JSON.",
                               valueName: "model_config.json"))
    var config: String?

    func validate() throws {
        if architecture != nil && config != nil { throw ValidationError("give either --architecture or --config, not both") }
    }

    /// The architecture given, if any.
    func load() throws -> ModelArchitecture? {
        if let architecture { return try ArchitectureSource.model(path: architecture).load() }
        if let config { return try ArchitectureSource.config(path: config).load() }
        return nil
    }
}

extension ModelFormat: ExpressibleByArgument {
    /// A format nnmodel writes, by its short name.
    public init?(argument: String) {
        guard let codec = ModelFile.codecs.first(where: { $0.format.rawValue == argument.lowercased() }),
              codec.capabilities.canWrite else { return nil }
        self = codec.format
    }

    public static var allValueStrings: [String] { ModelFile.codecs.filter(\.capabilities.canWrite).map(\.format.rawValue) }

    /// The formats nnmodel writes, as `nnm|h5`.
    static var writableNames: String { allValueStrings.joined(separator: "|") }
}
