@_spi(Testing) import NNSystem
import NNSchema
import NNSystem

extension NNMWriter {
    /// Saves a streamed model (see ``StreamedModel``) atomically, holding at most `chunkElements`
    /// values (and their encoding) in memory, and writes the bytes ``write(_:to:dtype:producer:includeOptimizer:)``
    /// writes for the same model.
    ///
    /// The header holds every tensor's CRC-32 and comes first, so the checksums are known before
    /// the data is written: from the source when it stores the same float32 bytes and checks them
    /// as they are read, else from a first pass that reads and encodes each tensor without writing.
    /// The second pass computes each checksum again over the bytes it writes, and a tensor whose
    /// checksum differs (a source damaged or changed between the passes, or a stored checksum that
    /// does not match) stops the save: nothing replaces the target.
    package static func writeStreamed(_ model: StreamedModel, to path: String, dtype: DType = .float32, producer: String,
                                      includeOptimizer: Bool = true, chunkElements: Int = StreamingChunk.defaultElements) throws {
        // Checked first, so that nothing is read for a target that cannot be written.
        do { try AtomicFile.checkTarget(path) } catch { throw ModelFileError.file(error) }
        var buffer = ChunkBuffer(elements: chunkElements)
        defer { buffer.deallocate() }

        var tensors: [(name: String, dtype: DType, tensor: StreamedTensor)] = []
        let specs = (try? model.architecture.weightSpecs()) ?? []
        for (spec, tensor) in zip(specs, model.weights) { tensors.append((spec.name, dtype, tensor)) }
        var optimizer: OptimizerRecord?
        if includeOptimizer, let state = model.optimizer {
            let trainable = specs.filter(\.trainable)
            for (slotName, perWeight) in zip(state.config.slotNames, state.slots) {
                for (spec, tensor) in zip(trainable, perWeight) { tensors.append(("optimizer/\(slotName)/\(spec.name)", .float32, tensor)) }
            }
            optimizer = model.optimizerRecord
        }
        var entries: [NNMTensorEntry] = []
        var offset = 0
        for t in tensors {
            let length = t.tensor.count * t.dtype.byteSize
            let crc: UInt32
            if t.dtype == .float32, let known = t.tensor.float32Checksum {
                crc = known
            } else {
                crc = try encodedChecksum(t.tensor, dtype: t.dtype, buffer: &buffer, write: nil)
            }
            entries.append(NNMTensorEntry(name: t.name, dtype: t.dtype, shape: t.tensor.shape, offset: offset, length: length, crc32: crc))
            offset = NNMFormat.aligned(offset + length)
        }
        var metadata = model.metadata
        metadata.producer = producer
        metadata.createdAt = model.metadata.createdAt ?? currentTimestamp()
        let header = NNMHeader.json(architecture: model.architecture, tensors: entries, optimizer: optimizer,
                                    metadata: metadata).serializedBytes()
        let preamble = preamble(header: header)
        try checkReadable(preamble: preamble, entries: entries, path: path)

        do {
            try AtomicFile.replace(path, fillOrFail: { fd, _ in
                try AtomicFile.writeAll(fd, preamble, path: path)
                var position = 0
                for (t, entry) in zip(tensors, entries) {
                    if entry.offset > position {
                        try AtomicFile.writeAll(fd, [UInt8](repeating: 0, count: entry.offset - position), path: path)
                    }
                    let crc = try encodedChecksum(t.tensor, dtype: t.dtype, buffer: &buffer) { (bytes) throws(FileError) in
                        try AtomicFile.writeAll(fd, bytes, path: path)
                    }
                    guard crc == entry.crc32 else {
                        throw ModelFileError.cannotWrite(
                            path: path, reason: "tensor '\(entry.name)' changed while it was written (CRC-32 \(entry.crc32) when first read, \(crc) when written): its source was modified or cannot be read consistently")
                    }
                    position = entry.offset + entry.length
                }
            })
        } catch let error as FileError {
            throw ModelFileError.file(error)
        }
    }

    /// Reads `tensor` through `buffer`, encodes each piece as `dtype` and hands the bytes to `write`
    /// (when given); returns the CRC-32 of all the encoded bytes. The reader's final check runs
    /// after the last piece.
    static func encodedChecksum(_ tensor: StreamedTensor, dtype: DType, buffer: inout ChunkBuffer,
                                write: ((UnsafeRawBufferPointer) throws(FileError) -> Void)?) throws -> UInt32 {
        var crc: UInt32 = 0
        // Without a writer the bytes are only checksummed: in pieces that stay in the core's cache
        // from being read to being checksummed (a 16 MiB piece would be read back from memory).
        try buffer.stream(try tensor.reader(), count: tensor.count, as: dtype,
                          pieceElements: write == nil ? checksumPieceElements : nil) { bytes in
            crc = CRC32.checksum(bytes, continuing: crc)
            try write?(bytes)
        }
        return crc
    }

    /// Values per piece of a checksum-only pass (256 Ki float32 values, 1 MiB).
    static let checksumPieceElements = 1 << 18

    /// ``checkReadable(preamble:items:path:)`` for a tensor table.
    static func checkReadable(preamble: [UInt8], entries: [NNMTensorEntry], path: String) throws(ModelFileError) {
        let fileSize = preamble.count + (entries.last.map { $0.offset + $0.length } ?? 0)
        try checkReadable(preamble: preamble, fileSize: fileSize, path: path)
    }
}
