import NNJSON
import NNSchema
import NNSystem

extension ModelFormat {
    /// safetensors files (`.safetensors`): a JSON header and the raw tensors.
    public static let safetensors = ModelFormat(rawValue: "safetensors")
}

/// safetensors files, as the safetensors project specifies them: an 8-byte little-endian header
/// length, a JSON header mapping names to dtype, shape and data offsets (plus a `__metadata__`
/// map of strings), then the tensors' bytes back to back.
///
/// nnmodel writes the architecture, metadata and naming into `__metadata__`, so it reads its own
/// files back as complete models; the tensors are named as Keras names weights (`dense/kernel`,
/// `[inputs, units]`) or, with ``TensorNaming/torch``, as the equivalent PyTorch `nn.Sequential`'s
/// `state_dict` (`1.weight`, `[units, inputs]`). Files from other tools hold weights alone: they are
/// read into a given architecture, with the naming detected from the keys and every shape checked.
/// The optimizer state is not stored.
public struct SafetensorsCodec: ModelCodec {
    public init() {}

    /// `__metadata__` keys of nnmodel's own files.
    static let architectureKey = "nnmodel.architecture"
    static let metadataKey = "nnmodel.metadata"
    static let namingKey = "nnmodel.naming"
    static let formatVersionKey = "nnmodel.format_version"
    static let formatVersion = "1"

    public var format: ModelFormat { .safetensors }
    public var name: String { "safetensors" }
    public var fileExtensions: [String] { ["safetensors"] }
    public var capabilities: FormatCapabilities {
        FormatCapabilities(canWrite: true, writableDTypes: [.float32, .float16, .bfloat16, .float64], architecture: .sometimes,
                           optimizerState: false, checksums: false)
    }
    public var signatureLength: Int { 9 }

    /// A header length under the format's limit followed by `{`.
    public func recognizes(_ head: [UInt8]) -> Bool {
        guard head.count >= 9, head[8] == UInt8(ascii: "{") else { return false }
        let length = (0..<8).reduce(UInt64(0)) { $0 | UInt64(head[$1]) << (8 * UInt64($1)) }
        return length >= 2 && length <= UInt64(SafetensorsHeader.maximumHeaderLength)
    }

    public func read(_ path: String, options: ReadOptions) throws -> LoadedModel {
        let file: ReadableFile
        do { file = try ReadableFile(path: path) } catch { throw SafetensorsError.file(error) }
        let source = TensorSource.file(file)
        return try SafetensorsReader.read(source, path: path, options: options)
    }

    public func read(contents: [UInt8], name: String, options: ReadOptions) throws -> LoadedModel {
        try SafetensorsReader.read(.memory(contents), path: name, options: options)
    }

    public func write(_ model: Sequential, to path: String, options: WriteOptions) throws {
        let dtype = try dtype(for: options, path: path, fallback: .float32)
        try SafetensorsWriter.write(StreamedModel(model), to: path, dtype: dtype, naming: options.naming, producer: options.producer)
    }

    public func inspect(_ path: String, options: InspectOptions) throws -> Inspection {
        let file: ReadableFile
        do { file = try ReadableFile(path: path) } catch { throw SafetensorsError.file(error) }
        return try SafetensorsReader.inspect(.file(file), path: path, options: options)
    }

    public func inspect(contents: [UInt8], name: String, options: InspectOptions) throws -> Inspection {
        try SafetensorsReader.inspect(.memory(contents), path: name, options: options)
    }

    /// The tensors of a file of weights alone read without an architecture (see ``FileListing``).
    public func listing(_ path: String, options: InspectOptions, after error: any Error) throws -> FileListing? {
        guard case SafetensorsError.architectureRequired = error else { return nil }
        let file: ReadableFile
        do { file = try ReadableFile(path: path) } catch { throw SafetensorsError.file(error) }
        return try SafetensorsReader.listing(.file(file), path: path, options: options, reason: "\(error)")
    }

    public func listing(contents: [UInt8], name: String, options: InspectOptions, after error: any Error) throws -> FileListing? {
        guard case SafetensorsError.architectureRequired = error else { return nil }
        return try SafetensorsReader.listing(.memory(contents), path: name, options: options, reason: "\(error)")
    }

    public func compatibilityNotes(for model: Sequential) -> [String] {
        model.optimizerState == nil ? [] : ["safetensors keeps no optimizer state: training cannot resume from the file"]
    }
}

extension SafetensorsCodec: StreamingCodec {
    /// Every safetensors file streams: the header is checked and matched to the architecture, and
    /// the tensors are read from their offsets as the writer asks for them (a tensor stored in
    /// PyTorch's `[out, in]` through a ``TransposedTensorReader``, in blocks of columns).
    package func openStreamed(_ path: String, options: ReadOptions) throws -> (model: StreamedModel, file: FileDescription)? {
        let file: ReadableFile
        do { file = try ReadableFile(path: path) } catch { throw SafetensorsError.file(error) }
        let source = TensorSource.file(file)
        let plan = try SafetensorsReader.plan(source, path: path, given: options.architecture)
        var weights: [StreamedTensor] = []
        for item in plan.entries {
            let header = plan.header
            let shape = item.slot.transposed && item.entry.shape.count == 2 ? [item.entry.shape[1], item.entry.shape[0]] : item.entry.shape
            let stored = item.entry.shape
            guard let tensor = StreamedTensor(shape: shape, open: {
                let open = {
                    SafetensorsTensorReader(source: source, dtype: item.dtype, offset: header.dataOffset + item.entry.begin,
                                            count: item.entry.count, name: item.entry.name, path: path)
                }
                guard item.slot.transposed, stored.count == 2 else { return open() }
                return try TransposedTensorReader(rows: stored[0], columns: stored[1], name: item.entry.name, open: open)
            }) else {
                throw SafetensorsError.invalidTensor(path: path, tensor: item.entry.name, reason: "shape \(item.entry.shape) has too many elements")
            }
            weights.append(tensor)
        }
        let model: StreamedModel
        do { model = try StreamedModel(architecture: plan.architecture, weights: weights, optimizer: nil, metadata: plan.metadata) } catch {
            throw SafetensorsError.weightsMismatch(path: path, reason: "\(error)")
        }
        return (model, SafetensorsReader.description(plan, path: path, size: source.size))
    }

    package func writesStreamed(options: WriteOptions) -> Bool { true }

    package func writeStreamed(_ model: StreamedModel, to path: String, options: WriteOptions, chunkElements: Int) throws {
        let dtype = try dtype(for: options, path: path, fallback: .float32)
        try SafetensorsWriter.write(model, to: path, dtype: dtype, naming: options.naming, producer: options.producer,
                                    chunkElements: chunkElements)
    }

    package func compatibilityNotes(for model: StreamedModel) -> [String] {
        model.optimizer == nil ? [] : ["safetensors keeps no optimizer state: training cannot resume from the file"]
    }
}

/// Reads one tensor of a safetensors file in order, a piece at a time, from its offset.
final class SafetensorsTensorReader: StreamedTensorReader {
    private let source: TensorSource
    private let dtype: DType
    private let offset: Int
    private let count: Int
    private let name: String
    private let path: String
    private var position = 0

    init(source: TensorSource, dtype: DType, offset: Int, count: Int, name: String, path: String) {
        self.source = source
        self.dtype = dtype
        self.offset = offset
        self.count = count
        self.name = name
        self.path = path
    }

    func read(into buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard buffer.count <= count - position else {
            throw SafetensorsError.invalidTensor(path: path, tensor: name, reason: "read past its \(count) elements")
        }
        try source.decode(dtype, count: buffer.count, at: offset + position * dtype.byteSize, into: buffer, path: path)
        position += buffer.count
    }

    func finish() throws {}
}
