import NNFormat
import NNKeras
import NNONNX
import NNSafetensors
import NNSchema
import NNSystem

/// Reads, writes and inspects model files in every supported format, through one registry of
/// codecs.
///
/// A file's format is found from its first bytes, and from its extension only when no format
/// recognises them (so that the reader the extension names can explain what it expected). The
/// output format is decided once, by ``codec(writing:format:dtype:)``: the format asked for, else the
/// one the extension names, else `.nnm`.
public enum ModelFile {
    /// Every format nnmodel knows, in the order they are tried. Adding a format is adding its
    /// codec here.
    public static let codecs: [any ModelCodec] = [
        NNMCodec(),
        KerasHDF5Codec(),
        KerasArchiveCodec(),
        ONNXCodec(),
        SafetensorsCodec(),
    ]

    /// The codec of `format`.
    public static func codec(for format: ModelFormat) throws(CodecError) -> any ModelCodec {
        guard let codec = codecs.first(where: { $0.format == format }) else {
            throw .unknownFormatName(format.rawValue, known: codecs.map(\.format.rawValue))
        }
        return codec
    }

    /// The codec whose extensions include the one `path` ends with, if any.
    public static func codec(forExtensionOf path: String) -> (any ModelCodec)? {
        codecs.first { $0.matchesExtension(of: path) }
    }

    /// The codec that reads the file at `path`, from its first bytes (its extension when no
    /// format recognises them).
    public static func codec(readingFrom path: String) throws -> any ModelCodec {
        let head = try FileReader.prefix(path, count: max(16, codecs.map(\.signatureLength).max() ?? 8))
        if let codec = codecs.first(where: { $0.recognizes(head) }) { return codec }
        if let codec = codec(forExtensionOf: path) { return codec }
        throw CodecError.unknownFormat(path: path, found: describeBytes(head), known: codecs.map(\.name))
    }

    /// The codec that writes `path`: the one of `format` when given, else the one its extension
    /// names. Refuses an extension that names no format (`m.txt`, `model`: a format nobody asked
    /// for would be a surprise), formats nnmodel only reads, and a `dtype` the format cannot store.
    public static func codec(writing path: String, format: ModelFormat? = nil, dtype: DType? = nil) throws(CodecError)
        -> any ModelCodec
    {
        let chosen: any ModelCodec
        if let format {
            chosen = try codec(for: format)
        } else if let byExtension = codec(forExtensionOf: path) {
            chosen = byExtension
        } else {
            throw .unknownExtension(path: path, known: codecs.filter(\.capabilities.canWrite).compactMap(\.fileExtensions.first))
        }
        guard chosen.capabilities.canWrite else {
            throw .readOnlyFormat(path: path, format: chosen.name,
                                  writable: codecs.filter(\.capabilities.canWrite).map(\.format.rawValue))
        }
        if let dtype, !chosen.capabilities.writableDTypes.contains(dtype) {
            throw .unsupportedDType(path: path, format: chosen.name, dtype: dtype, supported: chosen.capabilities.writableDTypes)
        }
        return chosen
    }

    /// Checks, before any work, that a file can be saved at `path`: its folder exists and is
    /// writable, and nothing but a regular file is there (a folder, device, FIFO or symbolic link
    /// is refused).
    public static func checkWritable(_ path: String) throws {
        try AtomicFile.checkTarget(path)
    }

    /// The codec that reads `contents` (a file's bytes), from its first bytes (the extension of
    /// `name` when no format recognises them).
    public static func codec(recognizing contents: [UInt8], name: String) throws -> any ModelCodec {
        let head = Array(contents.prefix(max(16, codecs.map(\.signatureLength).max() ?? 8)))
        if let codec = codecs.first(where: { $0.recognizes(head) }) { return codec }
        if let codec = codec(forExtensionOf: name) { return codec }
        throw CodecError.unknownFormat(path: name, found: describeBytes(head), known: codecs.map(\.name))
    }

    /// Reads a model from a file's bytes held in memory (read from standard input, a network, an
    /// archive); `name` names it in messages and its extension breaks ties.
    public static func open(contents: [UInt8], name: String, verify: Bool = true, architecture: ModelArchitecture? = nil)
        throws -> LoadedModel
    {
        try codec(recognizing: contents, name: name).read(contents: contents, name: name,
                                                          options: ReadOptions(verify: verify, architecture: architecture))
    }

    /// Describes a model file's bytes held in memory (see ``inspect(_:verify:statistics:architecture:)``).
    public static func inspect(contents: [UInt8], name: String, verify: Bool = true, statistics: Bool = false,
                               architecture: ModelArchitecture? = nil) throws -> Inspection {
        try codec(recognizing: contents, name: name).inspect(
            contents: contents, name: name, options: InspectOptions(verify: verify, statistics: statistics, architecture: architecture))
    }

    /// The format of the file at `path` (see ``codec(readingFrom:)``).
    public static func detectFormat(path: String) throws -> ModelFormat {
        try codec(readingFrom: path).format
    }

    /// Reads a model and describes its file.
    ///
    /// - Parameters:
    ///   - path: the model file, in any supported format.
    ///   - verify: check stored checksums (formats that have them).
    ///   - architecture: the architecture for weights-only Keras files (and instead of a Keras file's own).
    ///   - optimizerState: also keep the optimizer state; `false` for inference (faster for `.nnm`
    ///     files, whose slots are then only checked, when `verify`), and the model has none.
    public static func open(_ path: String, verify: Bool = true, architecture: ModelArchitecture? = nil,
                            optimizerState: Bool = true) throws -> LoadedModel {
        var loaded = try codec(readingFrom: path).read(path, options: ReadOptions(verify: verify, architecture: architecture,
                                                                                   optimizerState: optimizerState))
        if !optimizerState { loaded.model.optimizerState = nil }
        return loaded
    }

    /// Reads a model (see ``open(_:verify:architecture:optimizerState:)``).
    public static func load(_ path: String, verify: Bool = true, architecture: ModelArchitecture? = nil,
                            optimizerState: Bool = true) throws -> Sequential {
        try open(path, verify: verify, architecture: architecture, optimizerState: optimizerState).model
    }

    /// Describes the model file at `path`.
    ///
    /// - Parameters:
    ///   - path: the model file, in any supported format.
    ///   - verify: read every tensor and check its checksum (formats that have them).
    ///   - statistics: compute per-tensor statistics (reads the data).
    ///   - architecture: the architecture for weights-only Keras files.
    public static func inspect(_ path: String, verify: Bool = true, statistics: Bool = false,
                               architecture: ModelArchitecture? = nil) throws -> Inspection {
        try codec(readingFrom: path).inspect(path, options: InspectOptions(verify: verify, statistics: statistics,
                                                                           architecture: architecture))
    }

    /// Describes the file at `path`: in full when nnmodel can run the model in it, else what the
    /// file holds and why nnmodel cannot run it.
    ///
    /// Like ``inspect(_:verify:statistics:architecture:)``, except that a file nnmodel reads but
    /// cannot run (a Keras model with layers it does not support, weights without an architecture,
    /// an ONNX graph that is not a plain chain, an HDF5 file that is not a model) is listed, as a
    /// `FileListing`, instead of refused. A missing or damaged file is refused with the error
    /// `inspect` gives.
    ///
    /// - Parameters:
    ///   - path: the file, in any format nnmodel reads.
    ///   - verify: read every tensor and check its checksum (formats that have them).
    ///   - statistics: compute per-tensor statistics (reads the data).
    ///   - architecture: the architecture for weights-only files.
    public static func describe(_ path: String, verify: Bool = true, statistics: Bool = false,
                                architecture: ModelArchitecture? = nil) throws -> FileReport {
        let codec = try codec(readingFrom: path)
        let options = InspectOptions(verify: verify, statistics: statistics, architecture: architecture)
        do {
            return .model(try codec.inspect(path, options: options))
        } catch {
            // A file that cannot be listed either is refused for the reason loading it gives.
            guard let listing = (try? codec.listing(path, options: options, after: error)) ?? nil else { throw error }
            return .listing(listing)
        }
    }

    /// Describes a file's bytes held in memory (see ``describe(_:verify:statistics:architecture:)``).
    public static func describe(contents: [UInt8], name: String, verify: Bool = true, statistics: Bool = false,
                                architecture: ModelArchitecture? = nil) throws -> FileReport {
        let codec = try codec(recognizing: contents, name: name)
        let options = InspectOptions(verify: verify, statistics: statistics, architecture: architecture)
        do {
            return .model(try codec.inspect(contents: contents, name: name, options: options))
        } catch {
            guard let listing = (try? codec.listing(contents: contents, name: name, options: options, after: error)) ?? nil else {
                throw error
            }
            return .listing(listing)
        }
    }

    /// Notes on how other tools will treat a model saved to `path` (in `format`, else the one
    /// ``codec(writing:format:dtype:)`` picks), for example activations tf_keras defines differently;
    /// empty when there is nothing to say.
    public static func compatibilityNotes(_ model: Sequential, path: String, format: ModelFormat? = nil) -> [String] {
        (try? codec(writing: path, format: format))?.compatibilityNotes(for: model) ?? []
    }

    /// Writes a model atomically, in `format` or the one the extension names (default `.nnm`).
    ///
    /// - Parameters:
    ///   - model: the model to write.
    ///   - path: the file to write; a temporary file beside it is renamed over it when complete.
    ///   - format: the format; `nil` for the one the extension names, else `.nnm`.
    ///   - dtype: the dtype to store the weights in; `nil` for the format's default (float32 for
    ///     `.nnm`; for Keras files, float64 when the model's source was float64). A dtype the
    ///     format cannot store is refused.
    ///   - naming: how safetensors files name and lay out the weights (other formats have one way).
    public static func save(_ model: Sequential, to path: String, format: ModelFormat? = nil, dtype: DType? = nil,
                            naming: TensorNaming = .keras) throws {
        try codec(writing: path, format: format).write(model, to: path,
                                                       options: WriteOptions(dtype: dtype, producer: NNModelVersion.producer, naming: naming))
    }

    /// Reads the model in `input` and writes it to `output`, streaming the tensors when both
    /// formats can: then memory holds one piece of a tensor at a time (16 MiB of values), whatever
    /// the model's size, and each tensor is read from the input while it is written.
    ///
    /// Streamed or not, the output is the file ``save(_:to:format:dtype:naming:)`` writes for the
    /// model ``open(_:verify:architecture:optimizerState:)`` reads, written atomically: a failure at any point (a
    /// checksum that differs in the last tensor, a full disk) leaves no file under `output`.
    /// Conversions that stream: between `.nnm`, Keras `.h5` (every HDF5 layout) and safetensors
    /// (kernels in PyTorch's `[out, in]` are transposed a block of columns at a time), and from
    /// those to ONNX (a Conv2D kernel is held whole while it is permuted). Others (from `.keras`
    /// archives and ONNX files, to `.keras`) read the model whole.
    ///
    /// - Parameters:
    ///   - input: the model file, in any supported format.
    ///   - output: the file to write; its format is `format`, else the one its extension names.
    ///   - format: the output's format, when not the one its extension names.
    ///   - dtype: the dtype to store the weights in (see ``save(_:to:format:dtype:naming:)``).
    ///   - naming: how safetensors files name and lay out the weights.
    ///   - verify: check the input's stored checksums (formats that have them).
    ///   - architecture: the architecture for weights-only files (and instead of a Keras file's own).
    ///   - stripOptimizer: leave the optimizer state out.
    @discardableResult
    public static func convert(_ input: String, to output: String, format: ModelFormat? = nil, dtype: DType? = nil,
                               naming: TensorNaming = .keras, verify: Bool = true, architecture: ModelArchitecture? = nil,
                               stripOptimizer: Bool = false) throws -> Conversion {
        try convert(input, to: output, format: format, dtype: dtype, naming: naming, verify: verify, architecture: architecture,
                    stripOptimizer: stripOptimizer, chunkElements: StreamingChunk.defaultElements)
    }

    /// ``convert(_:to:format:dtype:naming:verify:architecture:stripOptimizer:)`` moving at most
    /// `chunkElements` values at a time (tests make it small to cross piece boundaries), or never
    /// streaming when `streaming` is false.
    @discardableResult
    package static func convert(_ input: String, to output: String, format: ModelFormat? = nil, dtype: DType? = nil,
                                naming: TensorNaming = .keras, verify: Bool = true, architecture: ModelArchitecture? = nil,
                                stripOptimizer: Bool = false, chunkElements: Int, streaming: Bool = true) throws -> Conversion {
        let writer = try codec(writing: output, format: format, dtype: dtype)
        let reader = try codec(readingFrom: input)
        let writeOptions = WriteOptions(dtype: dtype, producer: NNModelVersion.producer, naming: naming)
        let readOptions = ReadOptions(verify: verify, architecture: architecture)
        if streaming, let streamingWriter = writer as? any StreamingCodec, streamingWriter.writesStreamed(options: writeOptions),
           let streamingReader = reader as? any StreamingCodec,
           let (opened, file) = try streamingReader.openStreamed(input, options: readOptions) {
            var model = opened
            if stripOptimizer { model.optimizer = nil }
            try streamingWriter.writeStreamed(model, to: output, options: writeOptions, chunkElements: chunkElements)
            let optimizerValues = model.optimizer.map { $0.slots.joined().reduce(1) { $0 + $1.count } } ?? 0
            return Conversion(input: file, outputFormat: writer.format, architecture: model.architecture, metadata: model.metadata,
                              parameterCount: model.parameterCount, optimizerState: model.optimizerRecord,
                              optimizerValueCount: optimizerValues, notes: streamingWriter.compatibilityNotes(for: model), streamed: true)
        }
        let loaded = try reader.read(input, options: readOptions)
        var model = loaded.model
        if stripOptimizer { model.optimizerState = nil }
        try writer.write(model, to: output, options: writeOptions)
        let optimizerValues = model.optimizerState.map { $0.slots.joined().reduce(1) { $0 + $1.count } } ?? 0
        return Conversion(input: loaded.file, outputFormat: writer.format, architecture: model.architecture, metadata: model.metadata,
                          parameterCount: model.parameterCount, optimizerState: model.optimizerState.map(OptimizerRecord.init),
                          optimizerValueCount: optimizerValues, notes: writer.compatibilityNotes(for: model), streamed: false)
    }

    /// The first bytes of a file in hex, for messages.
    static func describeBytes(_ head: [UInt8]) -> String {
        if head.isEmpty { return "an empty file" }
        // Text (a CSV, a README, a JSON config given by mistake) is shown as text.
        if head.allSatisfy({ (0x20..<0x7F).contains($0) || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return "text starting \"" + String(decoding: head.prefix(16), as: UTF8.self) + "\""
        }
        return "the bytes " + head.prefix(8).map { b -> String in
            let s = String(b, radix: 16, uppercase: true)
            return s.count == 1 ? "0" + s : s
        }.joined(separator: " ")
    }
}

/// What ``ModelFile/convert(_:to:format:dtype:naming:verify:architecture:stripOptimizer:)`` read and wrote.
public struct Conversion: Sendable {
    /// What the input file said about itself.
    public var input: FileDescription
    /// The format written.
    public var outputFormat: ModelFormat
    /// The model's layers and input shape.
    public var architecture: ModelArchitecture
    /// The model's metadata as read.
    public var metadata: ModelMetadata
    /// Trainable and non-trainable parameters.
    public var parameterCount: (trainable: Int, nonTrainable: Int)
    /// The optimizer state converted (`nil` when the input had none or it was stripped); whether
    /// the output keeps it depends on its format (`FormatCapabilities.optimizerState`).
    public var optimizerState: OptimizerRecord?
    /// The optimizer state's values plus its step counter (0 without a state).
    public var optimizerValueCount: Int
    /// Notes on how other tools treat the file written (see ``ModelFile/compatibilityNotes(_:path:format:)``).
    public var notes: [String]
    /// Whether the tensors were streamed (read a piece at a time while written) rather than read whole.
    public var streamed: Bool
}

/// Where a model's architecture comes from when its file holds only weights.
public enum ArchitectureSource: Sendable {
    /// A Keras model config JSON file (the `model_config` Keras writes, or a `.keras` `config.json`).
    case config(path: String)
    /// Another model file of any supported format whose architecture to use.
    case model(path: String)

    /// Loads the architecture.
    public func load() throws -> ModelArchitecture {
        switch self {
        case let .config(path):
            let bytes = try FileReader.bytes(path, limit: 64 << 20)
            do { return try KerasConfig.architecture(fromJSON: bytes) } catch {
                throw KerasImportError.invalidConfig(path: path, error)
            }
        case let .model(path):
            return try ModelFile.open(path, verify: false).model.architecture
        }
    }
}
