import NNJSON
import NNSchema
import NNSystem

/// Writes models as safetensors files, streaming the tensors to a temporary file beside the
/// target that replaces it when complete.
enum SafetensorsWriter {
    static func write(_ model: Sequential, to path: String, dtype: DType, naming: TensorNaming, producer: String) throws(SafetensorsError) {
        let specs = model.weightSpecs
        if naming == .torch { try TensorNaming.checkTorchNaming(model.architecture, path: path) }
        let slots = naming.slots(for: model.architecture, specs: specs)
        let head = header(model, slots: slots, dtype: dtype, naming: naming, producer: producer)
        do {
            try AtomicFile.replace(path) { fd throws(FileError) in
                try AtomicFile.writeAll(fd, head, path: path)
                for (tensor, slot) in zip(model.weights, slots) {
                    let stored = slot.transposed ? transpose(tensor) : tensor
                    if dtype == .float32 {
                        var failure: FileError?
                        stored.withUnsafeBufferPointer { values in
                            do throws(FileError) { try AtomicFile.writeAll(fd, UnsafeRawBufferPointer(values), path: path) } catch {
                                failure = error
                            }
                        }
                        if let failure { throw failure }
                    } else {
                        try AtomicFile.writeAll(fd, stored.withUnsafeBufferPointer { dtype.encode($0) }, path: path)
                    }
                }
            }
        } catch { throw .file(error) }
    }

    /// The 8-byte length and the JSON header, padded with spaces so that the data starts at a
    /// multiple of 8 bytes (as the safetensors project's writer aligns it).
    static func header(_ model: Sequential, slots: [TensorSlot], dtype: DType, naming: TensorNaming, producer: String) -> [UInt8] {
        var metadata: [(key: String, value: JSON)] = [
            (SafetensorsCodec.formatVersionKey, .string(SafetensorsCodec.formatVersion)),
            (SafetensorsCodec.namingKey, .string(naming.rawValue)),
            (SafetensorsCodec.architectureKey, .string(KerasConfig.json(for: model.architecture).serialized())),
            (SafetensorsCodec.metadataKey, .string(model.metadata.json.serialized())),
            ("nnmodel.producer", .string(producer)),
        ]
        // Hugging Face's loaders expect the framework named in "format".
        if naming == .torch { metadata.insert(("format", .string("pt")), at: 0) }
        var members: [(key: String, value: JSON)] = [("__metadata__", .object(metadata))]
        var offset = 0
        for (slot, tensor) in zip(slots, model.weights) {
            let length = tensor.count * dtype.byteSize
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

    static func transpose(_ tensor: Tensor) -> Tensor {
        guard tensor.shape.count == 2 else { return tensor }
        let (rows, columns) = (tensor.shape[0], tensor.shape[1])
        var out = [Float](repeating: 0, count: tensor.count)
        tensor.withUnsafeBufferPointer { v in
            for r in 0..<rows { for c in 0..<columns { out[c * rows + r] = v[r * columns + c] } }
        }
        return Tensor(shape: [columns, rows], values: out)
    }
}
