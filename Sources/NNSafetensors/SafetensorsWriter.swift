import NNJSON
import NNSchema
import NNSystem

/// Writes models as safetensors files, streaming the tensors to a temporary file beside the
/// target that replaces it when complete.
enum SafetensorsWriter {
    /// Writes `model` to `path`, moving at most `chunkElements` values at a time through memory
    /// (and a block of columns of a kernel stored transposed, in PyTorch's `[out, in]`).
    ///
    /// A model in memory is written through ``StreamedModel/init(_:)``; a conversion streams the
    /// tensors from the file it reads, so the same bytes come out either way.
    static func write(_ model: StreamedModel, to path: String, dtype: DType, naming: TensorNaming, producer: String,
                      chunkElements: Int = StreamingChunk.defaultElements) throws {
        // Checked first, so that nothing is read for a target that cannot be written.
        do { try AtomicFile.checkTarget(path) } catch { throw SafetensorsError.file(error) }
        let specs: [WeightSpec]
        do { specs = try model.architecture.weightSpecs() } catch { throw SafetensorsError.weightsMismatch(path: path, reason: error.description) }
        if naming == .torch { try TensorNaming.checkTorchNaming(model.architecture, path: path) }
        let slots = naming.slots(for: model.architecture, specs: specs)
        let head = header(architecture: model.architecture, metadata: model.metadata, counts: model.weights.map(\.count),
                          slots: slots, dtype: dtype, naming: naming, producer: producer)
        var buffer = ChunkBuffer(elements: chunkElements)
        defer { buffer.deallocate() }
        do {
            try AtomicFile.replace(path, fillOrFail: { fd, _ in
                try AtomicFile.writeAll(fd, head, path: path)
                for (tensor, slot) in zip(model.weights, slots) {
                    // A kernel stored transposed (PyTorch's [out, in]) is read a block of columns at a time.
                    let reader: any StreamedTensorReader = slot.transposed && tensor.shape.count == 2
                        ? try TransposedTensorReader(rows: tensor.shape[0], columns: tensor.shape[1], name: slot.key) { try tensor.reader() }
                        : try tensor.reader()
                    try buffer.stream(reader, count: tensor.count, as: dtype) { try AtomicFile.writeAll(fd, $0, path: path) }
                }
            })
        } catch let error as FileError {
            throw SafetensorsError.file(error)
        }
    }

    /// The 8-byte length and the JSON header, padded with spaces so that the data starts at a
    /// multiple of 8 bytes (as the safetensors project's writer aligns it).
    static func header(architecture: ModelArchitecture, metadata model: ModelMetadata, counts: [Int], slots: [TensorSlot],
                       dtype: DType, naming: TensorNaming, producer: String) -> [UInt8] {
        var metadata: [(key: String, value: JSON)] = [
            (SafetensorsCodec.formatVersionKey, .string(SafetensorsCodec.formatVersion)),
            (SafetensorsCodec.namingKey, .string(naming.rawValue)),
            (SafetensorsCodec.architectureKey, .string(KerasConfig.json(for: architecture).serialized())),
            (SafetensorsCodec.metadataKey, .string(model.json.serialized())),
            ("nnmodel.producer", .string(producer)),
        ]
        // Hugging Face's loaders expect the framework named in "format".
        if naming == .torch { metadata.insert(("format", .string("pt")), at: 0) }
        var members: [(key: String, value: JSON)] = [("__metadata__", .object(metadata))]
        var offset = 0
        for (slot, count) in zip(slots, counts) {
            let length = count * dtype.byteSize
            members.append((slot.key, .object([
                ("dtype", .string(SafetensorsDType(dtype).rawValue)),
                ("shape", .array(slot.storedShape.map { .number(Double($0)) })),
                ("data_offsets", .array([.number(Double(offset)), .number(Double(offset + length))])),
            ])))
            offset += length
        }
        var text = JSON.object(members).serializedBytes()
        while (8 + text.count) % 8 != 0 { text.append(UInt8(ascii: " ")) }
        let length = UInt64(text.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + text
    }
}
