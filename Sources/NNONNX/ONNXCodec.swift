import NNJSON
import NNSchema
import NNSystem

extension ModelFormat {
    /// ONNX models (`.onnx`): a protocol buffer `ModelProto` with its weights inside.
    public static let onnx = ModelFormat(rawValue: "onnx")
}

/// ONNX files: written for onnxruntime and every ONNX tool (IR 8, opset 17), read from the chains
/// of operators that `torch.onnx.export`, `tf2onnx` and nnmodel write for the models nnmodel runs.
///
/// A file nnmodel wrote carries the architecture (layer names, dropout, initializers) and the
/// metadata in its `metadata_props`, so reading it back gives the model that was saved; the
/// optimizer state is not kept (ONNX describes inference). Any other file is read from its graph
/// alone, and its layers get Keras's default names (`dense`, `dense_1`, ...).
public struct ONNXCodec: ModelCodec {
    public init() {}

    /// The largest ONNX file read: protocol buffers cannot describe a larger message.
    public static let maximumFileSize = Int(Int32.max)

    public var format: ModelFormat { .onnx }
    public var name: String { "ONNX" }
    public var fileExtensions: [String] { ["onnx"] }
    public var capabilities: FormatCapabilities {
        FormatCapabilities(canWrite: true, writableDTypes: [.float32, .float16], architecture: .always, optimizerState: false,
                           checksums: false)
    }
    public var signatureLength: Int { 3 }

    /// ONNX has no magic number. Every serializer writes fields in number order, so a model starts
    /// with `ir_version` (field 1, a small varint) followed by the producer, domain or graph field.
    public func recognizes(_ head: [UInt8]) -> Bool {
        guard head.count >= 3, head[0] == 0x08, (3...64).contains(head[1]) else { return false }
        return [0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42].contains(head[2])
    }

    public func read(_ path: String, options: ReadOptions) throws -> LoadedModel {
        let bytes: [UInt8]
        do { bytes = try FileReader.bytes(path, limit: Self.maximumFileSize) } catch { throw ONNXError.file(error) }
        var loaded = try read(contents: bytes, name: path, options: options)
        loaded.file.fileSize = bytes.count
        return loaded
    }

    public func read(contents: [UInt8], name: String, options: ReadOptions) throws -> LoadedModel {
        guard contents.count <= Self.maximumFileSize else {
            throw ONNXError.tooLarge(path: name, what: "bytes", count: contents.count, limit: Self.maximumFileSize)
        }
        let onnx = try ONNXModel(bytes: contents, path: name)
        let imported = try ONNXImport.model(onnx, path: name)
        let ownFile = onnx.producerName == "nnmodel"
        var architecture = imported.architecture
        if !onnx.graphName.isEmpty { architecture.name = onnx.graphName }
        var metadata = ModelMetadata()
        if let given = options.architecture {
            architecture = given
        } else if ownFile, let stored = Self.storedArchitecture(onnx), Self.computes(stored, like: imported.architecture) {
            architecture = stored
        }
        for key in [ONNXExport.architectureKey, ONNXExport.metadataKey] {
            if let text = onnx.metadataValue(key), text.utf8.count > ONNXModel.maximumMetadataValue {
                throw ONNXError.tooLarge(path: name, what: "bytes of '\(key)'", count: text.utf8.count, limit: ONNXModel.maximumMetadataValue)
            }
        }
        if ownFile, let text = onnx.metadataValue(ONNXExport.metadataKey) {
            do { metadata = try ModelMetadata(json: try JSON(parsing: Array(text.utf8), maximumValues: maximumEmbeddedJSONValues)) } catch {
                throw ONNXError.invalidModel(path: name, reason: "its nnmodel metadata is invalid: \(error)")
            }
        }
        if architecture != imported.architecture, !Self.computes(architecture, like: imported.architecture) {
            throw ONNXError.architectureMismatch(path: name, reason: "the graph computes \(Self.computation(of: imported.architecture).joined(separator: " → ")); the architecture given computes \(Self.computation(of: architecture).joined(separator: " → "))")
        }
        let model: Sequential
        do { model = try Sequential(architecture: architecture, weights: imported.weights, metadata: metadata) } catch {
            if options.architecture != nil { throw ONNXError.architectureMismatch(path: name, reason: "\(error)") }
            throw ONNXError.invalidModel(path: name, reason: "its weights do not chain: \(error)")
        }
        let file = FileDescription(path: name, format: .onnx, formatVersion: "IR \(onnx.irVersion), opset \(onnx.opsetVersion)",
                                   layout: nil, fileSize: contents.count, weightsDType: imported.weightsDType,
                                   writtenByNNModel: ownFile, producer: Self.producer(of: onnx),
                                   architectureGivenSeparately: options.architecture != nil)
        return LoadedModel(model: model, file: file)
    }

    public func write(_ model: Sequential, to path: String, options: WriteOptions) throws {
        let dtype = try dtype(for: options, path: path, fallback: .float32)
        let words = options.producer.split(separator: " ", maxSplits: 1).map(String.init)
        try ONNXExport.encode(StreamedModel(model), dtype: dtype, producer: words.first ?? "nnmodel",
                              producerVersion: words.count > 1 ? words[1] : "", path: path)
            .write(to: path, chunkElements: StreamingChunk.defaultElements)
    }

    public func inspect(_ path: String, options: InspectOptions) throws -> Inspection {
        try inspectByReading(path, options: options)
    }

    public func inspect(contents: [UInt8], name: String, options: InspectOptions) throws -> Inspection {
        try inspectByReading(contents: contents, name: name, options: options)
    }

    public func compatibilityNotes(for model: Sequential) -> [String] {
        model.optimizerState == nil ? [] : ["ONNX keeps no optimizer state: training cannot resume from the file"]
    }

    /// The program that wrote the file (`producer_name` and `producer_version`), when named.
    static func producer(of onnx: ONNXModel) -> String? {
        guard !onnx.producerName.isEmpty else { return nil }
        return onnx.producerVersion.isEmpty ? onnx.producerName : "\(onnx.producerName) \(onnx.producerVersion)"
    }

    /// The architecture nnmodel stored beside the graph, if it parses.
    static func storedArchitecture(_ onnx: ONNXModel) -> ModelArchitecture? {
        guard let text = onnx.metadataValue(ONNXExport.architectureKey),
              let json = try? JSON(parsing: Array(text.utf8), maximumValues: maximumEmbeddedJSONValues) else { return nil }
        return try? KerasConfig.architecture(from: json)
    }

    /// Whether two architectures compute the same function (names, dropout, initializers and a
    /// Dense layer's activation written as a layer of its own aside).
    static func computes(_ a: ModelArchitecture, like b: ModelArchitecture) -> Bool {
        a.inputShape == b.inputShape && computation(of: a) == computation(of: b)
    }

    /// The operations an architecture computes at inference, in order (see ``ONNXComputation``).
    static func computation(of architecture: ModelArchitecture) -> [String] {
        ONNXComputation.steps(of: architecture)
    }
}

extension ONNXCodec: StreamingCodec {
    /// ONNX files are read whole (the graph and its initializers are one protocol buffer message).
    package func openStreamed(_ path: String, options: ReadOptions) throws -> (model: StreamedModel, file: FileDescription)? {
        nil
    }

    package func writesStreamed(options: WriteOptions) -> Bool { true }

    /// Writes the graph with each weight's raw data read from `model` as it is written.
    package func writeStreamed(_ model: StreamedModel, to path: String, options: WriteOptions, chunkElements: Int) throws {
        let dtype = try dtype(for: options, path: path, fallback: .float32)
        let words = options.producer.split(separator: " ", maxSplits: 1).map(String.init)
        try ONNXExport.encode(model, dtype: dtype, producer: words.first ?? "nnmodel",
                              producerVersion: words.count > 1 ? words[1] : "", path: path)
            .write(to: path, chunkElements: chunkElements)
    }

    package func compatibilityNotes(for model: StreamedModel) -> [String] {
        model.optimizer == nil ? [] : ["ONNX keeps no optimizer state: training cannot resume from the file"]
    }
}
