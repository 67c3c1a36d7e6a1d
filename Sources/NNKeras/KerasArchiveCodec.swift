import NNSchema

extension ModelFormat {
    /// Keras 3's `.keras` zip archive.
    public static let keras = ModelFormat(rawValue: "keras")
}

/// Keras 3 (and tf_keras 2.13+) `.keras` archives: a zip of `config.json`, `metadata.json` and
/// `model.weights.h5`. Read only.
public struct KerasArchiveCodec: ModelCodec {
    public init() {}

    public var format: ModelFormat { .keras }
    public var name: String { "Keras archive" }
    public var fileExtensions: [String] { ["keras"] }
    public var capabilities: FormatCapabilities {
        FormatCapabilities(canWrite: false, writableDTypes: [], architecture: .always, optimizerState: false, checksums: false)
    }

    public func recognizes(_ head: [UInt8]) -> Bool {
        head.starts(with: KerasReader.zipLocalHeader) || head.starts(with: KerasReader.zipEmptyArchive)
    }

    public func read(_ path: String, options: ReadOptions) throws -> LoadedModel {
        try KerasReader.load(path, options: options)
    }

    public func read(contents: [UInt8], name: String, options: ReadOptions) throws -> LoadedModel {
        try KerasReader.load(contents: contents, name: name, options: options)
    }

    public func write(_ model: Sequential, to path: String, options: WriteOptions) throws {
        throw KerasImportError.cannotExport(path: path, reason: "writing .keras archives is not supported; save as .h5 (Keras loads it with keras.models.load_model) or .nnm")
    }

    public func inspect(_ path: String, options: InspectOptions) throws -> Inspection {
        try inspectByReading(path, options: options)
    }

    public func inspect(contents: [UInt8], name: String, options: InspectOptions) throws -> Inspection {
        try inspectByReading(contents: contents, name: name, options: options)
    }
}
