import NNSchema
import NNSystem

extension ModelFormat {
    /// nnmodel's own format (`Spec/FORMAT.md`).
    public static let nnm = ModelFormat(rawValue: "nnm")
}

/// The `.nnm` format: reads with every check of `Spec/FORMAT.md` §5, writes atomically.
///
/// Weights are stored in float32 unless another dtype is asked for; optimizer slots always in
/// float32. Inspection reads only the header unless checksums or statistics need the data.
public struct NNMCodec: ModelCodec {
    public init() {}

    public var format: ModelFormat { .nnm }
    public var name: String { "nnm" }
    public var fileExtensions: [String] { [NNMFormat.fileExtension] }
    public var capabilities: FormatCapabilities {
        FormatCapabilities(canWrite: true, writableDTypes: [.float32, .float16, .bfloat16, .float64], architecture: .always,
                           optimizerState: true, checksums: true)
    }

    public func recognizes(_ head: [UInt8]) -> Bool { head.starts(with: NNMFormat.magic) }

    public func read(_ path: String, options: ReadOptions) throws -> LoadedModel {
        let file = try NNMFile(path: path)
        return LoadedModel(model: try file.model(verify: options.verify, optimizerState: options.optimizerState),
                           file: description(of: file.header, path: path))
    }

    public func read(contents: [UInt8], name: String, options: ReadOptions) throws -> LoadedModel {
        let file = try NNMFile(contents: contents, path: name)
        return LoadedModel(model: try file.model(verify: options.verify, optimizerState: options.optimizerState),
                           file: description(of: file.header, path: name))
    }

    public func write(_ model: Sequential, to path: String, options: WriteOptions) throws {
        let dtype = try dtype(for: options, path: path, fallback: .float32)
        try NNMWriter.write(model, to: path, dtype: dtype, producer: options.producer, includeOptimizer: options.includeOptimizer)
    }

    public func inspect(_ path: String, options: InspectOptions) throws -> Inspection {
        if options.verify || options.statistics { return try inspect(try NNMFile(path: path), options: options) }
        let header = try NNMFile.readHeader(path: path)
        return try inspect(header, file: nil, path: path, options: options)
    }

    public func inspect(contents: [UInt8], name: String, options: InspectOptions) throws -> Inspection {
        try inspect(try NNMFile(contents: contents, path: name), options: options)
    }

    func inspect(_ file: NNMFile, options: InspectOptions) throws(ModelFileError) -> Inspection {
        try inspect(file.header, file: file, path: file.path, options: options)
    }

    func inspect(_ header: NNMHeader, file: NNMFile?, path: String, options: InspectOptions) throws(ModelFileError) -> Inspection {
        var checksums = Inspection.Checksums.notChecked
        if let file, options.verify {
            var failures: [String] = []
            for t in header.tensors {
                do { try file.verify(t) } catch { failures.append(t.name) }
            }
            checksums = failures.isEmpty ? .verified(count: header.tensors.count) : .failed(failures)
        }
        var tensors: [Inspection.TensorInfo] = []
        for t in header.tensors {
            var statistics: Inspection.Statistics?
            if options.statistics, let file { statistics = try file.tensor(t).withUnsafeBufferPointer { Inspection.Statistics($0) } }
            tensors.append(Inspection.TensorInfo(name: t.name, dtype: t.dtype, shape: t.shape, offset: header.dataOffset + t.offset,
                                                 byteLength: t.length, statistics: statistics))
        }
        let optimizerCount = header.tensors.filter { $0.name.hasPrefix("optimizer/") }.reduce(0) { $0 + $1.count }
        return Inspection(file: description(of: header, path: path), architecture: header.architecture, metadata: header.metadata,
                          tensors: tensors, optimizer: header.optimizer,
                          optimizerParameterCount: optimizerCount + (header.optimizer == nil ? 0 : 1), checksums: checksums)
    }

    func description(of header: NNMHeader, path: String) -> FileDescription {
        FileDescription(path: path, format: .nnm, formatVersion: "\(header.major).\(header.minor)", fileSize: header.fileSize,
                        weightsDType: header.weightDType, headerLength: header.headerLength, dataOffset: header.dataOffset)
    }
}

extension NNMCodec: StreamingCodec {
    /// Every `.nnm` file streams: the header is validated, the tensors are read (and their
    /// checksums checked) as the writer asks for them.
    package func openStreamed(_ path: String, options: ReadOptions) throws -> (model: StreamedModel, file: FileDescription)? {
        let file = try NNMFile(path: path)
        return (try file.streamed(verify: options.verify), description(of: file.header, path: path))
    }

    package func writesStreamed(options: WriteOptions) -> Bool { true }

    package func compatibilityNotes(for model: StreamedModel) -> [String] { [] }

    package func writeStreamed(_ model: StreamedModel, to path: String, options: WriteOptions, chunkElements: Int) throws {
        let dtype = try dtype(for: options, path: path, fallback: .float32)
        try NNMWriter.writeStreamed(model, to: path, dtype: dtype, producer: options.producer,
                                    includeOptimizer: options.includeOptimizer, chunkElements: chunkElements)
    }
}
