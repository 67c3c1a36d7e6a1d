@_spi(Testing) import NNSystem
import NNSchema
import NNSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes models as `.nnm` files (see `Spec/FORMAT.md`).
package enum NNMWriter {
    /// One tensor to write: its entry (offset and CRC filled in by the writer) and its bytes.
    struct Item {
        var entry: NNMTensorEntry
        /// Converted bytes for non-float32 dtypes; `nil` means "write the tensor's memory as is".
        var encoded: [UInt8]?
        var tensor: Tensor
    }

    /// Saves `model` to `path` atomically: a temporary file in the same folder is written, flushed
    /// with `fsync` and renamed over `path`, so an interrupted save never leaves a partial file
    /// under the target name.
    ///
    /// - Parameters:
    ///   - dtype: storage dtype of the weights (optimizer slots are always float32).
    ///   - producer: recorded as `metadata.producer`.
    ///   - includeOptimizer: also save the optimizer state, so training can resume.
    package static func write(_ model: Sequential, to path: String, dtype: DType = .float32,
                              producer: String, includeOptimizer: Bool = true) throws(ModelFileError) {
        let (preamble, items) = prepare(model, dtype: dtype, producer: producer, includeOptimizer: includeOptimizer)
        // What is written must be what the reader accepts (Spec/FORMAT.md §6): the header is checked
        // as a reader checks it before anything replaces the target.
        try checkReadable(preamble: preamble, items: items, path: path)
        do throws(FileError) {
            try AtomicFile.replace(path) { (fd: Int32) throws(FileError) in
                try AtomicFile.writeAll(fd, preamble, path: path)
                var position = 0
                for item in items {
                    if item.entry.offset > position {
                        try AtomicFile.writeAll(fd, [UInt8](repeating: 0, count: item.entry.offset - position), path: path)
                    }
                    if let encoded = item.encoded {
                        try AtomicFile.writeAll(fd, encoded, path: path)
                    } else {
                        var failure: FileError?
                        item.tensor.withUnsafeBufferPointer { b in
                            do throws(FileError) { try AtomicFile.writeAll(fd, UnsafeRawBufferPointer(b), path: path) } catch {
                                failure = error
                            }
                        }
                        if let failure { throw failure }
                    }
                    position = item.entry.offset + item.entry.length
                }
            }
        } catch {
            throw .file(error)
        }
    }

    /// Refuses to write a file the reader would refuse: the header parsed and validated as
    /// ``NNMFile`` does, against the size the file will have.
    static func checkReadable(preamble: [UInt8], items: [Item], path: String) throws(ModelFileError) {
        try checkReadable(preamble: preamble, fileSize: preamble.count + (items.last.map { $0.entry.offset + $0.entry.length } ?? 0),
                          path: path)
    }

    /// Refuses a preamble and header the reader would refuse in a file of `fileSize` bytes.
    static func checkReadable(preamble: [UInt8], fileSize: Int, path: String) throws(ModelFileError) {
        let headerLength = preamble.count >= NNMFormat.preambleSize
            ? preamble[16..<24].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) } : 0
        guard headerLength <= NNMFormat.maximumHeaderLength else {
            throw .cannotWrite(path: path, reason: "its header would be \(headerLength) bytes, more than the \(NNMFormat.maximumHeaderLength)-byte limit readers accept (a very long training history or metadata?)")
        }
        do {
            _ = try preamble.withUnsafeBufferPointer { (buffer) throws(ModelFileError) in
                try NNMFile.parseHeader(UnsafeRawBufferPointer(buffer), fileSize: fileSize, path: path)
            }
        } catch {
            throw .cannotWrite(path: path, reason: "the file would not read back: \(error)")
        }
    }

    /// The complete file as bytes (for small models, tests and the spec's worked example).
    ///
    /// - Parameter createdAt: the creation time to record (default: the model's own, else now).
    package static func encode(_ model: Sequential, dtype: DType = .float32, producer: String,
                              includeOptimizer: Bool = true, createdAt: String? = nil) -> [UInt8] {
        let (preamble, items) = prepare(model, dtype: dtype, producer: producer, includeOptimizer: includeOptimizer,
                                        createdAt: createdAt)
        var out = preamble
        for item in items {
            out += [UInt8](repeating: 0, count: preamble.count + item.entry.offset - out.count)
            out += item.encoded ?? item.tensor.withUnsafeBufferPointer { Array(UnsafeRawBufferPointer($0)) }
        }
        return out
    }

    /// Builds the tensor table and the preamble + header + padding bytes.
    static func prepare(_ model: Sequential, dtype: DType, producer: String, includeOptimizer: Bool,
                        createdAt: String? = nil) -> (preamble: [UInt8], items: [Item])
    {
        var items: [Item] = []
        var offset = 0
        func add(_ name: String, _ tensor: Tensor, _ dtype: DType) {
            let nativeLittleEndian = dtype == .float32 && 1.littleEndian == 1
            let encoded: [UInt8]? = nativeLittleEndian ? nil : tensor.withUnsafeBufferPointer { dtype.encode($0) }
            let length = tensor.count * dtype.byteSize
            let crc = encoded.map { CRC32.checksum($0) }
                ?? tensor.withUnsafeBufferPointer { CRC32.checksum(UnsafeRawBufferPointer($0)) }
            items.append(Item(entry: NNMTensorEntry(name: name, dtype: dtype, shape: tensor.shape, offset: offset,
                                                    length: length, crc32: crc),
                              encoded: encoded, tensor: tensor))
            offset = NNMFormat.aligned(offset + length)
        }
        let specs = model.weightSpecs
        for (spec, tensor) in zip(specs, model.weights) { add(spec.name, tensor, dtype) }
        var optimizer: OptimizerRecord?
        if includeOptimizer, let state = model.optimizerState {
            let trainable = specs.filter(\.trainable)
            for (slotName, perWeight) in zip(state.config.slotNames, state.slots) {
                for (spec, tensor) in zip(trainable, perWeight) { add("optimizer/\(slotName)/\(spec.name)", tensor, .float32) }
            }
            optimizer = OptimizerRecord(state)
        }
        var metadata = model.metadata
        metadata.producer = producer
        metadata.createdAt = createdAt ?? model.metadata.createdAt ?? currentTimestamp()
        let header = NNMHeader.json(architecture: model.architecture, tensors: items.map(\.entry), optimizer: optimizer,
                                    metadata: metadata).serializedBytes()
        return (preamble(header: header), items)
    }

    /// Magic, version, header CRC and length, the header, then zero padding to the data section.
    static func preamble(header: [UInt8]) -> [UInt8] {
        var out = NNMFormat.magic
        func le(_ v: UInt64, _ bytes: Int) { for i in 0..<bytes { out.append(UInt8((v >> (8 * UInt64(i))) & 0xFF)) } }
        le(UInt64(NNMFormat.majorVersion), 2)
        le(UInt64(NNMFormat.minorVersion), 2)
        le(UInt64(CRC32.checksum(header)), 4)
        le(UInt64(header.count), 8)
        out += header
        out += [UInt8](repeating: 0, count: NNMFormat.aligned(out.count) - out.count)
        return out
    }
}
