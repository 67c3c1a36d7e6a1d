import NNJSON
import NNSchema
import NNSystem

/// Where a safetensors file's bytes come from: a file read at positions, or memory.
enum TensorSource {
    case file(ReadableFile)
    case memory([UInt8])

    var size: Int {
        switch self {
        case let .file(f): return f.size
        case let .memory(b): return b.count
        }
    }

    /// `count` bytes at `offset` (checked against the size by the caller).
    func bytes(at offset: Int, count: Int, path: String) throws(SafetensorsError) -> [UInt8] {
        switch self {
        case let .file(f):
            do { return try f.bytes(at: offset, count: count) } catch { throw .file(error) }
        case let .memory(b):
            guard offset >= 0, count >= 0, offset <= b.count, count <= b.count - offset else {
                throw .invalidHeaderLength(path: path, declared: UInt64(max(0, offset + count)), fileSize: b.count)
            }
            return Array(b[offset..<offset + count])
        }
    }

    /// Decodes `count` elements of `dtype` at `offset` into `out`.
    func decode(_ dtype: DType, count: Int, at offset: Int, into out: UnsafeMutableBufferPointer<Float>, path: String)
        throws(SafetensorsError)
    {
        guard count > 0, let base = out.baseAddress else { return }
        let length = count * dtype.byteSize
        switch self {
        case let .memory(b):
            guard offset >= 0, offset <= b.count, length <= b.count - offset else {
                throw .invalidLayout(path: path, reason: "a tensor runs past the end of the data")
            }
            b.withUnsafeBytes { raw in dtype.decode(UnsafeRawBufferPointer(rebasing: raw[offset..<offset + length]), count: count, into: base) }
        case let .file(f):
            if dtype == .float32 {
                // Little-endian float32 is the host's layout (nnmodel runs on little-endian Linux): read in place.
                do { try f.read(into: UnsafeMutableRawBufferPointer(out), at: offset) } catch { throw .file(error) }
                return
            }
            var done = 0
            do {
                try f.forEachChunk(from: offset, count: length, chunkSize: 1 << 22) { (chunk: UnsafeRawBufferPointer, _: Int) in
                    let n = chunk.count / dtype.byteSize
                    dtype.decode(chunk, count: n, into: base + done)
                    done += n
                }
            } catch {
                if case let .file(e) = error { throw .file(e) }
            }
        }
    }
}

/// Reads safetensors files into models.
enum SafetensorsReader {
    /// What the header says, matched to an architecture.
    struct Plan {
        var header: SafetensorsHeader
        var architecture: ModelArchitecture
        var metadata: ModelMetadata
        var naming: TensorNaming
        /// One per weight spec: the entry holding it and how it is stored.
        var entries: [(entry: SafetensorsHeader.Entry, slot: TensorSlot, dtype: DType)]
        var ownFile: Bool
        var architectureGiven: Bool
    }

    static func header(_ source: TensorSource, path: String) throws(SafetensorsError) -> SafetensorsHeader {
        let prefix = try source.bytes(at: 0, count: min(8, source.size), path: path)
        let length = try SafetensorsHeader.headerLength(prefix, fileSize: source.size, path: path)
        let text = try source.bytes(at: 8, count: length, path: path)
        return try SafetensorsHeader(header: text[...], fileSize: source.size, path: path)
    }

    static func plan(_ source: TensorSource, path: String, given: ModelArchitecture?) throws(SafetensorsError) -> Plan {
        let header = try header(source, path: path)
        var architecture = given
        let stored = header.metadata(SafetensorsCodec.architectureKey)
        if architecture == nil, let stored {
            do { architecture = try KerasConfig.architecture(from: try JSON(parsing: Array(stored.utf8), maximumValues: maximumEmbeddedJSONValues)) } catch {
                throw .invalidHeader(path: path, reason: "its nnmodel architecture is invalid: \(error)")
            }
        }
        guard let architecture else { throw .architectureRequired(path: path, tensors: header.entries.count) }
        var metadata = ModelMetadata()
        if stored != nil, let text = header.metadata(SafetensorsCodec.metadataKey) {
            do { metadata = try ModelMetadata(json: try JSON(parsing: Array(text.utf8), maximumValues: maximumEmbeddedJSONValues)) } catch {
                throw .invalidHeader(path: path, reason: "its nnmodel metadata is invalid: \(error)")
            }
        }
        let specs: [WeightSpec]
        do { specs = try architecture.weightSpecs() } catch { throw .weightsMismatch(path: path, reason: error.description) }
        let (naming, slots) = try TensorNaming.detect(keys: header.entries.map(\.name), architecture: architecture, specs: specs, path: path)
        var byName: [String: SafetensorsHeader.Entry] = [:]
        for e in header.entries { byName[e.name] = e }
        var entries: [(SafetensorsHeader.Entry, TensorSlot, DType)] = []
        for (spec, slot) in zip(specs, slots) {
            guard let entry = byName[slot.key] else {
                throw .weightsMismatch(path: path, reason: "no tensor '\(Excerpt.quote(slot.key, limit: 64))' for '\(spec.name)'")
            }
            guard let dtype = entry.dtype.weightDType else {
                throw .invalidTensor(path: path, tensor: entry.name, reason: "dtype \(entry.dtype.rawValue) is not a floating-point type nnmodel reads (F32, F16, BF16, F64)")
            }
            guard entry.shape == slot.storedShape else {
                throw .weightsMismatch(path: path, reason: "tensor '\(Excerpt.quote(entry.name, limit: 64))' has shape \(entry.shape), '\(spec.name)' needs \(slot.storedShape)\(slot.transposed ? " (PyTorch's [out, in])" : "")")
            }
            entries.append((entry, slot, dtype))
        }
        return Plan(header: header, architecture: architecture, metadata: metadata, naming: naming, entries: entries,
                    ownFile: stored != nil, architectureGiven: given != nil)
    }

    static func tensor(_ item: (entry: SafetensorsHeader.Entry, slot: TensorSlot, dtype: DType), source: TensorSource,
                       header: SafetensorsHeader, path: String) throws(SafetensorsError) -> Tensor {
        let count = item.entry.count
        var values = [Float](repeating: 0, count: count)
        var failure: SafetensorsError?
        values.withUnsafeMutableBufferPointer { out in
            do throws(SafetensorsError) {
                try source.decode(item.dtype, count: count, at: header.dataOffset + item.entry.begin, into: out, path: path)
            } catch { failure = error }
        }
        if let failure { throw failure }
        guard item.slot.transposed, item.entry.shape.count == 2 else { return Tensor(shape: item.entry.shape, values: values) }
        let (rows, columns) = (item.entry.shape[0], item.entry.shape[1])
        var transposed = [Float](repeating: 0, count: count)
        for r in 0..<rows { for c in 0..<columns { transposed[c * rows + r] = values[r * columns + c] } }
        return Tensor(shape: [columns, rows], values: transposed)
    }

    static func description(_ plan: Plan, path: String, size: Int) -> FileDescription {
        FileDescription(path: path, format: .safetensors, layout: plan.naming == .keras ? "safetensors (Keras names)" : "safetensors (PyTorch names)",
                        fileSize: size, weightsDType: plan.entries.first?.dtype, writtenByNNModel: plan.ownFile,
                        architectureGivenSeparately: plan.architectureGiven || !plan.ownFile,
                        headerLength: plan.header.headerLength, dataOffset: plan.header.dataOffset)
    }

    static func read(_ source: TensorSource, path: String, options: ReadOptions) throws(SafetensorsError) -> LoadedModel {
        let plan = try plan(source, path: path, given: options.architecture)
        var weights: [Tensor] = []
        weights.reserveCapacity(plan.entries.count)
        for item in plan.entries { weights.append(try tensor(item, source: source, header: plan.header, path: path)) }
        let model: Sequential
        do { model = try Sequential(architecture: plan.architecture, weights: weights, metadata: plan.metadata) } catch {
            throw .weightsMismatch(path: path, reason: "\(error)")
        }
        return LoadedModel(model: model, file: description(plan, path: path, size: source.size))
    }

    static func inspect(_ source: TensorSource, path: String, options: InspectOptions) throws(SafetensorsError) -> Inspection {
        let plan = try plan(source, path: path, given: options.architecture)
        var tensors: [Inspection.TensorInfo] = []
        for item in plan.entries {
            var statistics: Inspection.Statistics?
            if options.statistics {
                statistics = try tensor(item, source: source, header: plan.header, path: path).withUnsafeBufferPointer { Inspection.Statistics($0) }
            }
            tensors.append(Inspection.TensorInfo(name: item.entry.name, dtype: item.dtype, shape: item.entry.shape,
                                                 offset: plan.header.dataOffset + item.entry.begin,
                                                 byteLength: item.entry.end - item.entry.begin, statistics: statistics))
        }
        return Inspection(file: description(plan, path: path, size: source.size), architecture: plan.architecture,
                          metadata: plan.metadata, tensors: tensors, optimizer: nil, optimizerParameterCount: 0, checksums: .unavailable)
    }
}
