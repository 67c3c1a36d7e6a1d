/// One model file format: how to recognise, read, write and inspect it.
///
/// Every format nnmodel supports is one type conforming to this protocol and one line in the
/// registry (`ModelFile.codecs` in NNModel); conversion is a read by one codec followed by a
/// write by another, through ``Sequential``. Errors thrown conform to `NNError` and name the file.
public protocol ModelCodec: Sendable {
    /// The format's identity.
    var format: ModelFormat { get }
    /// A short human name (`"Keras HDF5"`).
    var name: String { get }
    /// File-name extensions that name the format, lowercase, without the dot, preferred first.
    var fileExtensions: [String] { get }
    /// What files of the format can hold.
    var capabilities: FormatCapabilities { get }
    /// How many leading bytes ``recognizes(_:)`` needs.
    var signatureLength: Int { get }

    /// Whether `head`, the first bytes of a file (up to ``signatureLength``), marks this format.
    func recognizes(_ head: [UInt8]) -> Bool
    /// Reads the model in the file at `path`.
    func read(_ path: String, options: ReadOptions) throws -> LoadedModel
    /// Reads the model in a file's bytes held in memory; `name` names it in messages.
    func read(contents: [UInt8], name: String, options: ReadOptions) throws -> LoadedModel
    /// Writes `model` to `path` atomically (a temporary file beside it, flushed, renamed).
    func write(_ model: Sequential, to path: String, options: WriteOptions) throws
    /// Describes the file at `path`: format facts, architecture, tensors and checksums.
    func inspect(_ path: String, options: InspectOptions) throws -> Inspection
    /// Describes a file's bytes held in memory; `name` names it in messages.
    func inspect(contents: [UInt8], name: String, options: InspectOptions) throws -> Inspection
    /// What saving `model` in this format loses, or what other tools will do differently with
    /// it; empty when they load it and compute what nnmodel computes.
    func compatibilityNotes(for model: Sequential) -> [String]
    /// Lists what the file at `path` holds when ``inspect(_:options:)`` failed with `error`
    /// only because nnmodel cannot run the file (layers it does not support, weights without an
    /// architecture, a file that is not a model); nil when `error` is another failure (a damaged
    /// or missing file), which the caller reports as it is.
    func listing(_ path: String, options: InspectOptions, after error: any Error) throws -> FileListing?
    /// ``listing(_:options:after:)`` for a file's bytes held in memory; `name` names it in messages.
    func listing(contents: [UInt8], name: String, options: InspectOptions, after error: any Error) throws -> FileListing?
}

extension ModelCodec {
    public var signatureLength: Int { 8 }

    public func compatibilityNotes(for model: Sequential) -> [String] { [] }

    /// None: a format whose files nnmodel either runs or refuses as damaged.
    public func listing(_ path: String, options: InspectOptions, after error: any Error) throws -> FileListing? { nil }

    /// None (see ``listing(_:options:after:)``).
    public func listing(contents: [UInt8], name: String, options: InspectOptions, after error: any Error) throws -> FileListing? {
        nil
    }

    /// Whether the file name's extension is one of the format's.
    public func matchesExtension(of path: String) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: ".") else { return false }
        return fileExtensions.contains(name[name.index(after: dot)...].lowercased())
    }

    /// Inspects by reading the whole model: one tensor per weight and optimizer slot, no
    /// checksums. Formats with a table of stored tensors override this.
    public func inspectByReading(_ path: String, options: InspectOptions) throws -> Inspection {
        let loaded = try read(path, options: ReadOptions(verify: options.verify, architecture: options.architecture))
        return Inspection(loaded: loaded, statistics: options.statistics)
    }

    /// ``inspectByReading(_:options:)`` for bytes held in memory.
    public func inspectByReading(contents: [UInt8], name: String, options: InspectOptions) throws -> Inspection {
        let loaded = try read(contents: contents, name: name,
                              options: ReadOptions(verify: options.verify, architecture: options.architecture))
        return Inspection(loaded: loaded, statistics: options.statistics)
    }

    /// The dtype to write with `options`: the one asked for, checked against what the format can
    /// store, or `fallback`.
    public func dtype(for options: WriteOptions, path: String, fallback: DType) throws(CodecError) -> DType {
        guard let dtype = options.dtype else { return fallback }
        guard capabilities.writableDTypes.contains(dtype) else {
            throw .unsupportedDType(path: path, format: name, dtype: dtype, supported: capabilities.writableDTypes)
        }
        return dtype
    }
}

/// The most JSON values nnmodel parses from one architecture or metadata string embedded in a
/// model file (safetensors' `__metadata__`, ONNX's `metadata_props`): about a million, far beyond
/// any model's (the seed model's architecture has about 150), so a forged string costs bounded
/// memory (about 40 bytes per value) rather than gigabytes.
package let maximumEmbeddedJSONValues = 1 << 20
