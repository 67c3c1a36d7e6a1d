@_spi(Testing) import NNSystem
import NNSchema
import NNSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open `.nnm` file: its validated header, and its bytes read on demand.
///
/// Opening checks the preamble, the header (within its cap, CRC-32, UTF-8 JSON, architecture),
/// and every tensor's placement (inside the data section, aligned, no overlaps, lengths that match
/// dtype and shape, no overflow) before anything is trusted. Tensors are read with `pread` into
/// memory the reader owns (a file truncated meanwhile is an error, never a crash), and their
/// checksums are verified as they are read unless asked not to.
package final class NNMFile: @unchecked Sendable {
    /// The path that was opened.
    package let path: String
    /// The validated header.
    package let header: NNMHeader
    fileprivate let source: Source

    /// Where the bytes come from.
    fileprivate enum Source {
        case file(ReadableFile)
        case memory([UInt8])
    }

    /// Opens and validates the file at `path` (reading its preamble and header only).
    package init(path: String) throws(ModelFileError) {
        self.path = path
        let file: ReadableFile
        do { file = try ReadableFile(path: path) } catch { throw .file(error) }
        source = .file(file)
        header = try NNMFile.readHeader(file, path: path)
    }

    /// Validates the bytes of a `.nnm` file held in memory; `path` only names the file in errors.
    package init(contents: [UInt8], path: String) throws(ModelFileError) {
        self.path = path
        source = .memory(contents)
        header = try contents.withUnsafeBufferPointer { (buffer) throws(ModelFileError) in
            try NNMFile.parseHeader(UnsafeRawBufferPointer(buffer), fileSize: contents.count, path: path)
        }
    }

    /// Reads and validates only the preamble and header of the file at `path`: the cost does not
    /// grow with the size of the weights.
    package static func readHeader(path: String) throws(ModelFileError) -> NNMHeader {
        let file: ReadableFile
        do { file = try ReadableFile(path: path) } catch { throw .file(error) }
        return try readHeader(file, path: path)
    }

    /// Reads the preamble, then (after checking its length against the cap and the file) the
    /// header, and validates them.
    static func readHeader(_ file: ReadableFile, path: String) throws(ModelFileError) -> NNMHeader {
        let size = file.size
        let preamble: [UInt8]
        do { preamble = try file.bytes(at: 0, count: min(size, NNMFormat.preambleSize)) } catch { throw .file(error) }
        guard size >= NNMFormat.preambleSize else {
            try checkMagic(preamble, path: path)
            throw .tooShort(path: path, size: size)
        }
        let length = try headerLength(preamble, fileSize: size, path: path)
        let bytes: [UInt8]
        do { bytes = try file.bytes(at: 0, count: NNMFormat.preambleSize + length) } catch { throw .file(error) }
        return try bytes.withUnsafeBufferPointer { (buffer) throws(ModelFileError) in
            try parseHeader(UnsafeRawBufferPointer(buffer), fileSize: size, path: path)
        }
    }

    static func checkMagic(_ bytes: some Collection<UInt8>, path: String) throws(ModelFileError) {
        let head = Array(bytes.prefix(8))
        guard head == NNMFormat.magic else {
            if head.count < 8, NNMFormat.magic.starts(with: head), !head.isEmpty { return }
            throw .notNNM(path: path, found: head.isEmpty ? "an empty file" : describeMagic(head))
        }
    }

    /// The header length from a preamble, after checking magic, version and bounds.
    static func headerLength(_ p: some Collection<UInt8>, fileSize: Int, path: String) throws(ModelFileError) -> Int {
        let b = Array(p.prefix(NNMFormat.preambleSize))
        try checkMagic(b, path: path)
        guard b.count >= NNMFormat.preambleSize else { throw .tooShort(path: path, size: fileSize) }
        let major = Int(b[8]) | Int(b[9]) << 8
        let minor = Int(b[10]) | Int(b[11]) << 8
        guard major == NNMFormat.majorVersion else { throw .unsupportedVersion(path: path, major: major, minor: minor) }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(b[16 + i]) << (8 * UInt64(i)) }
        guard length <= UInt64(NNMFormat.maximumHeaderLength) else {
            throw .headerTooLarge(path: path, length: length, limit: NNMFormat.maximumHeaderLength)
        }
        guard Int(length) <= fileSize - NNMFormat.preambleSize else {
            throw .headerPastEnd(path: path, length: length, fileSize: fileSize)
        }
        return Int(length)
    }

    /// Validates the preamble and header in `bytes` (at least preamble + header long).
    static func parseHeader(_ bytes: UnsafeRawBufferPointer, fileSize: Int, path: String) throws(ModelFileError) -> NNMHeader {
        let b = UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        guard fileSize >= NNMFormat.preambleSize else {
            try checkMagic(b, path: path)
            throw .tooShort(path: path, size: fileSize)
        }
        let length = try headerLength(b, fileSize: fileSize, path: path)
        let major = Int(b[8]) | Int(b[9]) << 8
        let minor = Int(b[10]) | Int(b[11]) << 8
        let storedCRC = UInt32(b[12]) | UInt32(b[13]) << 8 | UInt32(b[14]) << 16 | UInt32(b[15]) << 24
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[NNMFormat.preambleSize..<NNMFormat.preambleSize + length])
        let crc = CRC32.checksum(headerBytes)
        guard crc == storedCRC else { throw .headerChecksumMismatch(path: path, expected: storedCRC, found: crc) }
        let root: JSON
        do { root = try JSON(parsing: UnsafeBufferPointer(rebasing: b[NNMFormat.preambleSize..<NNMFormat.preambleSize + length])) } catch {
            throw .invalidHeader(path: path, reason: error.description)
        }
        let decoded = try NNMHeader.decode(root, path: path)
        let dataOffset = NNMFormat.aligned(NNMFormat.preambleSize + length)
        let header = NNMHeader(
            major: major, minor: minor, headerLength: length, dataOffset: dataOffset, fileSize: fileSize,
            architecture: decoded.architecture, architectureJSON: decoded.architectureJSON, tensors: decoded.tensors,
            optimizer: decoded.optimizer, metadata: decoded.metadata)
        try validatePlacement(header, path: path)
        _ = try requiredTensors(header, path: path)
        return header
    }

    /// The tensors the architecture (and the optimizer state, if any) needs, checked for presence
    /// and shape: the model weights in order, then the slots per optimizer slot.
    static func requiredTensors(_ header: NNMHeader, path: String) throws(ModelFileError)
        -> (weights: [NNMTensorEntry], slots: [[NNMTensorEntry]])
    {
        let specs: [WeightSpec]
        do { specs = try header.architecture.weightSpecs() } catch { throw .invalidArchitecture(path: path, error) }
        var byName: [String: NNMTensorEntry] = [:]
        for t in header.tensors { byName[t.name] = t }
        func find(_ name: String, _ shape: [Int]) throws(ModelFileError) -> NNMTensorEntry {
            guard let entry = byName[name] else { throw .missingTensor(path: path, tensor: name, expectedShape: shape) }
            guard entry.shape == shape else { throw .tensorShapeMismatch(path: path, tensor: name, expected: shape, found: entry.shape) }
            return entry
        }
        var weights: [NNMTensorEntry] = []
        for spec in specs { weights.append(try find(spec.name, spec.shape)) }
        var slots: [[NNMTensorEntry]] = []
        for slot in header.optimizer?.slotNames ?? [] {
            var perWeight: [NNMTensorEntry] = []
            for spec in specs where spec.trainable { perWeight.append(try find("optimizer/\(slot)/\(spec.name)", spec.shape)) }
            slots.append(perWeight)
        }
        return (weights, slots)
    }

    /// Checks that every tensor lies inside the data section, aligned, without overlaps.
    static func validatePlacement(_ header: NNMHeader, path: String) throws(ModelFileError) {
        let dataSize = max(0, header.fileSize - header.dataOffset)
        for t in header.tensors {
            guard t.offset % NNMFormat.alignment == 0 else { throw .misalignedTensor(path: path, tensor: t.name, offset: t.offset) }
            let (end, overflow) = t.offset.addingReportingOverflow(t.length)
            guard !overflow, end <= dataSize else {
                throw .tensorOutOfBounds(path: path, tensor: t.name, offset: t.offset, length: t.length, dataSize: dataSize)
            }
        }
        let sorted = header.tensors.filter { $0.length > 0 }.sorted { $0.offset < $1.offset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.offset + a.length > b.offset {
            throw .tensorsOverlap(path: path, first: a.name, second: b.name)
        }
    }

    /// Reads the stored bytes of a tensor in chunks of at most 4 MiB, handing each to `body` with
    /// its offset inside the tensor.
    private func readStored(_ entry: NNMTensorEntry, chunkSize: Int = 1 << 22,
                            _ body: (UnsafeRawBufferPointer, Int) -> Void) throws(ModelFileError) {
        let start = header.dataOffset + entry.offset
        switch source {
        case let .memory(bytes):
            bytes.withUnsafeBytes { raw in body(UnsafeRawBufferPointer(rebasing: raw[start..<start + entry.length]), 0) }
        case let .file(file):
            do {
                try file.forEachChunk(from: start, count: entry.length, chunkSize: chunkSize) { (chunk, offset) throws(Never) in
                    body(chunk, offset - start)
                }
            } catch {
                if case let .file(e) = error { throw .file(e) }
            }
        }
    }

    /// Checks a tensor's CRC-32 (reading it through a bounded buffer).
    package func verify(_ entry: NNMTensorEntry) throws(ModelFileError) {
        var crc: UInt32 = 0
        // Tensors up to 4 MiB in 64 KiB pieces: the buffer comes from the allocator's heap, so
        // checking them costs no fresh pages (a buffer of the tensor's size was a new mapping,
        // faulted in page by page); bigger ones in 4 MiB pieces, fewer reads.
        try readStored(entry, chunkSize: entry.length <= 1 << 22 ? 1 << 16 : 1 << 22) { chunk, _ in
            crc = CRC32.checksum(chunk, continuing: crc)
        }
        guard crc == entry.crc32 else { throw .checksumMismatch(path: path, tensor: entry.name, expected: entry.crc32, found: crc) }
    }

    /// Checks every tensor's CRC-32.
    package func verifyChecksums() throws(ModelFileError) {
        for t in header.tensors { try verify(t) }
    }

    /// The tensor's values as Float32, read into memory this reader owns (and checked against
    /// its CRC-32 on the way when `verify` is set).
    package func tensor(_ entry: NNMTensorEntry, verify: Bool = false) throws(ModelFileError) -> Tensor {
        var crc: UInt32 = 0
        let dtype = entry.dtype
        if case let .file(file) = source, dtype == .float32, 1.littleEndian == 1, entry.length == 4 * entry.count {
            // Straight into the tensor's memory: no intermediate buffer to fault in and copy from.
            var failure: ModelFileError?
            let storage = TensorStorage(count: entry.count) { out in
                do throws(FileError) {
                    try file.read(into: UnsafeMutableRawBufferPointer(out), at: header.dataOffset + entry.offset)
                } catch {
                    out.initialize(repeating: 0)
                    failure = .file(error)
                }
            }
            if let failure { throw failure }
            if verify {
                crc = CRC32.checksum(UnsafeRawBufferPointer(storage.buffer), continuing: 0)
                guard crc == entry.crc32 else {
                    throw .checksumMismatch(path: path, tensor: entry.name, expected: entry.crc32, found: crc)
                }
            }
            return Tensor(shape: entry.shape, storage: storage)
        }
        let storage = TensorStorage(zeros: entry.count)
        let out = storage.buffer
        try readStored(entry) { chunk, offset in
            if verify { crc = CRC32.checksum(chunk, continuing: crc) }
            guard let base = out.baseAddress else { return }
            if dtype == .float32, 1.littleEndian == 1 {
                UnsafeMutableRawPointer(base).advanced(by: offset).copyMemory(from: chunk.baseAddress!, byteCount: chunk.count)
            } else {
                // Chunks hold whole elements: 4 MiB is a multiple of every dtype size.
                dtype.decode(chunk, count: chunk.count / dtype.byteSize, into: base + offset / dtype.byteSize)
            }
        }
        if verify, crc != entry.crc32 {
            throw .checksumMismatch(path: path, tensor: entry.name, expected: entry.crc32, found: crc)
        }
        return Tensor(shape: entry.shape, storage: storage)
    }

    /// The model: architecture, weights (checked against the architecture), optimizer state and metadata.
    ///
    /// - Parameter verify: check every tensor's CRC-32 while it is read (the default).
    package func model(verify: Bool = true, optimizerState: Bool = true) throws(ModelFileError) -> Sequential {
        let (weightEntries, slotEntries) = try NNMFile.requiredTensors(header, path: path)
        var weights: [Tensor] = []
        for entry in weightEntries { weights.append(try tensor(entry, verify: verify)) }
        var slots: [[Tensor]] = []
        for perWeight in slotEntries {
            guard optimizerState else {
                // Not kept, but still checked when verifying: a damaged file is reported whole.
                if verify { for entry in perWeight { try self.verify(entry) } }
                continue
            }
            var tensors: [Tensor] = []
            for entry in perWeight { tensors.append(try tensor(entry, verify: verify)) }
            slots.append(tensors)
        }
        let state = optimizerState ? header.optimizer.map { OptimizerState(config: $0.config, iterations: $0.iterations, slots: slots) } : nil
        do {
            return try Sequential(architecture: header.architecture, weights: weights, optimizerState: state, metadata: header.metadata)
        } catch {
            throw .invalidHeader(path: path, reason: "\(error)")
        }
    }
}

extension NNMFile {
    /// The model with its tensors left in the file, read a piece at a time by whoever writes it
    /// (see ``StreamedModel``); everything ``model(verify:optimizerState:)`` checks before reading values is
    /// checked here, and each tensor's CRC-32 when its last value is read (unless `verify` is off).
    package func streamed(verify: Bool = true) throws(ModelFileError) -> StreamedModel {
        let (weightEntries, slotEntries) = try NNMFile.requiredTensors(header, path: path)
        let weights = try weightEntries.map { (entry) throws(ModelFileError) in try streamedTensor(entry, verify: verify) }
        var slots: [[StreamedTensor]] = []
        for perWeight in slotEntries {
            slots.append(try perWeight.map { (entry) throws(ModelFileError) in try streamedTensor(entry, verify: verify) })
        }
        let optimizer = header.optimizer.map { (config: $0.config, iterations: $0.iterations, slots: slots) }
        do {
            return try StreamedModel(architecture: header.architecture, weights: weights, optimizer: optimizer, metadata: header.metadata)
        } catch {
            throw .invalidHeader(path: path, reason: "\(error)")
        }
    }

    /// One tensor read through `pread` from its place in the file.
    func streamedTensor(_ entry: NNMTensorEntry, verify: Bool) throws(ModelFileError) -> StreamedTensor {
        let source: StoredBytes
        switch self.source {
        case let .file(file): source = .file(file)
        case let .memory(bytes): source = .memory(bytes)
        }
        let start = header.dataOffset + entry.offset
        let path = self.path
        // The stored CRC-32 is the one of the float32 bytes a writer would write, and it is
        // checked as they are read: a writer may record it first.
        let known = verify && entry.dtype == .float32 && 1.littleEndian == 1 ? entry.crc32 : nil
        guard let tensor = StreamedTensor(shape: entry.shape, float32Checksum: known, open: {
            NNMTensorReader(source: source, start: start, entry: entry, verify: verify, path: path)
        }) else {
            throw .invalidTensorShape(path: path, tensor: entry.name, reason: "shape \(entry.shape) has more elements than can be addressed")
        }
        return tensor
    }
}

/// Where a streamed tensor's bytes are.
enum StoredBytes: @unchecked Sendable {
    case file(ReadableFile)
    case memory([UInt8])
}

/// Reads one tensor of a `.nnm` file in order, decoding its dtype and checking its CRC-32 at the end.
final class NNMTensorReader: StreamedTensorReader {
    let source: StoredBytes
    let start: Int
    let entry: NNMTensorEntry
    let verify: Bool
    let path: String
    private var position = 0
    private var crc: UInt32 = 0
    private var scratch = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    init(source: StoredBytes, start: Int, entry: NNMTensorEntry, verify: Bool, path: String) {
        self.source = source
        self.start = start
        self.entry = entry
        self.verify = verify
        self.path = path
    }

    deinit { scratch.deallocate() }

    func read(into buffer: UnsafeMutableBufferPointer<Float>) throws {
        let dtype = entry.dtype
        let count = buffer.count
        guard count > 0, let base = buffer.baseAddress else { return }
        precondition(position + count <= entry.count, "reading past the end of a tensor")
        let offset = start + position * dtype.byteSize
        let byteCount = count * dtype.byteSize
        let raw: UnsafeRawBufferPointer
        if dtype == .float32, 1.littleEndian == 1 {
            let target = UnsafeMutableRawBufferPointer(buffer)
            try fill(target, at: offset)
            raw = UnsafeRawBufferPointer(target)
        } else {
            if scratch.count < byteCount {
                scratch.deallocate()
                scratch = .allocate(byteCount: byteCount, alignment: 64)
            }
            let piece = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<byteCount])
            try fill(piece, at: offset)
            raw = UnsafeRawBufferPointer(piece)
            dtype.decode(raw, count: count, into: base)
        }
        if verify { crc = CRC32.checksum(raw, continuing: crc) }
        position += count
    }

    private func fill(_ target: UnsafeMutableRawBufferPointer, at offset: Int) throws(ModelFileError) {
        switch source {
        case let .file(file):
            do { try file.read(into: target, at: offset) } catch { throw .file(error) }
        case let .memory(bytes):
            bytes.withUnsafeBytes { all in target.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[offset..<offset + target.count])) }
        }
    }

    func finish() throws {
        guard verify, position == entry.count else { return }
        guard crc == entry.crc32 else {
            throw ModelFileError.checksumMismatch(path: path, tensor: entry.name, expected: entry.crc32, found: crc)
        }
    }
}

/// A short description of a file's first bytes, naming well-known formats.
func describeMagic(_ head: [UInt8]) -> String {
    let hex = head.prefix(8).map { b -> String in
        let s = String(b, radix: 16, uppercase: true)
        return s.count == 1 ? "0" + s : s
    }.joined(separator: " ")
    if head.starts(with: [0x89, 0x48, 0x44, 0x46]) { return "\(hex) (an HDF5 file)" }
    if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return "\(hex) (a zip archive, such as a .keras file)" }
    if head.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) { return "\(hex) (a NumPy .npy file)" }
    return hex
}
