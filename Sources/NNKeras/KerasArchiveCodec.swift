import NNSchema

extension ModelFormat {
    /// Keras 3's `.keras` zip archive.
    public static let keras = ModelFormat(rawValue: "keras")
}

/// Keras 3 (and tf_keras 2.13+) `.keras` archives: a zip of `metadata.json`, `config.json` and
/// `model.weights.h5`; read in both producers' layouts, written in Keras 3's.
///
/// Weights are written as float32, or float64 for a model whose source computed in float64 (or
/// when asked), as the `.h5` writer does. The optimizer state goes where Keras 3 keeps it, so
/// `keras.saving.load_model` resumes from it; nnmodel's metadata goes where Keras ignores it.
public struct KerasArchiveCodec: ModelCodec {
    public init() {}

    public var format: ModelFormat { .keras }
    public var name: String { "Keras archive" }
    public var fileExtensions: [String] { ["keras"] }
    public var capabilities: FormatCapabilities {
        FormatCapabilities(canWrite: true, writableDTypes: [.float32, .float64], architecture: .always, optimizerState: true,
                           checksums: false)
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
        let source = model.architecture.sourceDType
        let dtype = try dtype(for: options, path: path, fallback: source == .float64 ? .float64 : .float32)
        try KerasArchiveWriter.write(model, to: path, dtype: options.dtype == nil ? nil : dtype, producer: options.producer,
                                     includeOptimizer: options.includeOptimizer)
    }

    public func inspect(_ path: String, options: InspectOptions) throws -> Inspection {
        try inspectByReading(path, options: options)
    }

    public func inspect(contents: [UInt8], name: String, options: InspectOptions) throws -> Inspection {
        try inspectByReading(contents: contents, name: name, options: options)
    }

    /// The layers as written and every stored array of a Keras file whose layers nnmodel does not
    /// run or that holds weights alone, or the arrays and root attributes of an HDF5 file that is
    /// not a Keras model (see `FileListing`).
    public func listing(_ path: String, options: InspectOptions, after error: any Error) throws -> FileListing? {
        try KerasListing.listing(path, options: options, after: error)
    }

    public func listing(contents: [UInt8], name: String, options: InspectOptions, after error: any Error) throws -> FileListing? {
        try KerasListing.listing(contents: contents, name: name, options: options, after: error)
    }

    /// None: Keras 3 loads every model nnmodel writes and computes what nnmodel computes (the
    /// `.h5` notes on hard_sigmoid and hard_silu concern tf_keras, which cannot load archives in
    /// Keras 3's layout at all).
    public func compatibilityNotes(for model: Sequential) -> [String] { [] }
}
