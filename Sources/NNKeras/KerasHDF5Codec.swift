import NNSchema
import NNSystem

extension ModelFormat {
    /// Keras's HDF5 layouts: legacy `model.save(".h5")` models, Keras 2 `save_weights(".h5")`,
    /// and `.weights.h5` stores (read); the legacy model layout (written).
    public static let h5 = ModelFormat(rawValue: "h5")
}

/// Keras HDF5 files: every layout Keras 2 and 3 write, read by content; written in the legacy
/// `model.save("x.h5")` layout that Keras 3 and tf_keras load.
///
/// Weights are written as float32, or float64 for a model whose source computed in float64 (or
/// when asked); nnmodel's metadata and optimizer state go where Keras ignores them.
public struct KerasHDF5Codec: ModelCodec {
    public init() {}

    public var format: ModelFormat { .h5 }
    public var name: String { "Keras HDF5" }
    public var fileExtensions: [String] { ["h5", "hdf5", "hdf"] }
    public var capabilities: FormatCapabilities {
        FormatCapabilities(canWrite: true, writableDTypes: [.float32, .float64], architecture: .sometimes, optimizerState: true,
                           checksums: false)
    }

    public func recognizes(_ head: [UInt8]) -> Bool { head.starts(with: KerasReader.hdf5Signature) }

    public func read(_ path: String, options: ReadOptions) throws -> LoadedModel {
        try KerasReader.load(path, options: options)
    }

    public func read(contents: [UInt8], name: String, options: ReadOptions) throws -> LoadedModel {
        try KerasReader.load(contents: contents, name: name, options: options)
    }

    public func write(_ model: Sequential, to path: String, options: WriteOptions) throws {
        let source = model.architecture.sourceDType
        let dtype = try dtype(for: options, path: path, fallback: source == .float64 ? .float64 : .float32)
        try KerasHDF5Writer.write(model, to: path, dtype: options.dtype == nil ? nil : dtype, producer: options.producer)
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

    public func compatibilityNotes(for model: Sequential) -> [String] {
        KerasHDF5Writer.compatibilityNotes(for: model.architecture)
    }
}

extension KerasReader {
    /// Reads the Keras file at `path` (any layout) with its facts as every format reports them.
    static func load(_ path: String, options: ReadOptions) throws(KerasImportError) -> LoadedModel {
        let (model, info) = try read(path, architecture: options.architecture)
        return LoadedModel(model: model, file: info.description(givenArchitecture: options.architecture != nil))
    }

    /// Reads a Keras file's bytes held in memory; `name` names it in messages.
    static func load(contents: [UInt8], name: String, options: ReadOptions) throws(KerasImportError) -> LoadedModel {
        let (model, info) = try read(contents: contents, path: name, architecture: options.architecture)
        var file = info.description(givenArchitecture: options.architecture != nil)
        file.fileSize = contents.count
        return LoadedModel(model: model, file: file)
    }
}

extension KerasFileInfo {
    /// The file's facts as every format reports them.
    func description(givenArchitecture: Bool) -> FileDescription {
        FileDescription(path: path, format: layout == .archive ? .keras : .h5, layout: layout.rawValue,
                        fileSize: (try? FileReader.size(of: path)) ?? 0, weightsDType: weightsDType, kerasVersion: kerasVersion,
                        backend: backend, writtenByNNModel: writtenByNNModel, producer: producer,
                        architectureGivenSeparately: givenArchitecture || !layout.hasArchitecture)
    }
}

extension KerasHDF5Codec: StreamingCodec {
    /// Every HDF5 layout streams (the weights are read through hyperslab selections); a `.keras`
    /// archive given to this codec does not.
    package func openStreamed(_ path: String, options: ReadOptions) throws -> (model: StreamedModel, file: FileDescription)? {
        guard let (model, info) = try KerasReader.openStreamed(path, architecture: options.architecture) else { return nil }
        return (model, info.description(givenArchitecture: options.architecture != nil))
    }

    package func writesStreamed(options: WriteOptions) -> Bool { true }

    package func writeStreamed(_ model: StreamedModel, to path: String, options: WriteOptions, chunkElements: Int) throws {
        let source = model.architecture.sourceDType
        let dtype = try dtype(for: options, path: path, fallback: source == .float64 ? .float64 : .float32)
        try KerasHDF5Writer.writeStreamed(model, to: path, dtype: options.dtype == nil ? nil : dtype, producer: options.producer,
                                          chunkElements: chunkElements)
    }

    package func compatibilityNotes(for model: StreamedModel) -> [String] {
        KerasHDF5Writer.compatibilityNotes(for: model.architecture)
    }
}
