/// A model whose tensors stay in their file until a writer asks for them, a piece at a time, so
/// that converting a model of any size needs memory for one piece rather than for the model.
///
/// A reading codec opens one (checking everything it checks when it reads a model whole: the
/// architecture, every tensor's presence, type and shape, the optimizer state); a writing codec
/// consumes it (see ``StreamingCodec``). The values are the ones a whole read gives, as float32,
/// in the same order, so a streamed conversion writes what reading then saving writes.
package struct StreamedModel: Sendable {
    /// The layers and input shape.
    package var architecture: ModelArchitecture
    /// One tensor per ``WeightSpec`` of the architecture, in the same order.
    package var weights: [StreamedTensor]
    /// The optimizer state: its configuration, step count and `slots[s][w]` as in ``OptimizerState``.
    package var optimizer: (config: OptimizerConfig, iterations: Int, slots: [[StreamedTensor]])?
    /// Class names, history, training configuration and provenance.
    package var metadata: ModelMetadata

    /// A streamed model, checked as ``Sequential/init(architecture:weights:optimizerState:metadata:)``
    /// checks a model in memory (with the same errors).
    package init(architecture: ModelArchitecture, weights: [StreamedTensor],
                 optimizer: (config: OptimizerConfig, iterations: Int, slots: [[StreamedTensor]])?,
                 metadata: ModelMetadata) throws {
        let specs = try architecture.weightSpecs()
        try Sequential.check(shapes: weights.map(\.shape), against: specs)
        if let optimizer {
            try Sequential.check(optimizer: optimizer.config, iterations: optimizer.iterations,
                                 slotShapes: optimizer.slots.map { $0.map(\.shape) }, against: specs)
        }
        self.architecture = architecture
        self.weights = weights
        self.optimizer = optimizer
        self.metadata = metadata
    }

    /// A model in memory, streamed from its tensors.
    package init(_ model: Sequential) {
        architecture = model.architecture
        weights = model.weights.map(StreamedTensor.init)
        optimizer = model.optimizerState.map { ($0.config, $0.iterations, $0.slots.map { $0.map(StreamedTensor.init) }) }
        metadata = model.metadata
    }

    /// The optimizer state's description (no values).
    package var optimizerRecord: OptimizerRecord? {
        optimizer.map { OptimizerRecord(config: $0.config, iterations: $0.iterations, slotNames: $0.config.slotNames) }
    }

    /// Trainable and non-trainable parameter counts, as ``Sequential/parameterCount``.
    package var parameterCount: (trainable: Int, nonTrainable: Int) {
        let specs = (try? architecture.weightSpecs()) ?? []
        var t = 0, n = 0
        for (spec, w) in zip(specs, weights) {
            if spec.trainable { t += w.count } else { n += w.count }
        }
        return (t, n)
    }
}

/// One tensor of a ``StreamedModel``: its shape, and a way to read its values in order.
package struct StreamedTensor: Sendable {
    /// The extent of each axis, outermost first.
    package let shape: [Int]
    /// The number of elements.
    package let count: Int
    /// The CRC-32 of the values stored as little-endian float32, when the source knows it before
    /// reading them and checks it while they are read (``StreamedTensorReader/finish()`` throws on a
    /// mismatch): a writer may then record it before writing the values.
    package let float32Checksum: UInt32?
    private let open: @Sendable () throws -> any StreamedTensorReader

    /// A tensor of `shape` read by the readers `open` makes; `nil` when a dimension is negative or
    /// their product overflows (readers check shapes first and refuse those with their own errors).
    package init?(shape: [Int], float32Checksum: UInt32? = nil,
                  open: @escaping @Sendable () throws -> any StreamedTensorReader) {
        guard let count = Tensor.checkedCount(of: shape) else { return nil }
        self.shape = shape
        self.count = count
        self.float32Checksum = float32Checksum
        self.open = open
    }

    /// A tensor held in memory.
    package init(_ tensor: Tensor) {
        shape = tensor.shape
        count = tensor.count
        float32Checksum = nil
        open = { MemoryTensorReader(tensor) }
    }

    /// A new reader positioned at the first value.
    package func reader() throws -> any StreamedTensorReader { try open() }
}

/// Reads one tensor's values in row-major order, a piece at a time.
package protocol StreamedTensorReader: AnyObject {
    /// Reads the next `buffer.count` values as float32 (converted as a whole read converts them).
    func read(into buffer: UnsafeMutableBufferPointer<Float>) throws
    /// Checks, after the last value was read, what needs every value (a stored checksum).
    func finish() throws
}

/// Reads a tensor held in memory.
final class MemoryTensorReader: StreamedTensorReader {
    private let tensor: Tensor
    private var position = 0

    init(_ tensor: Tensor) { self.tensor = tensor }

    func read(into buffer: UnsafeMutableBufferPointer<Float>) throws {
        let end = position + buffer.count
        precondition(end <= tensor.count, "reading past the end of a tensor")
        tensor.withUnsafeBufferPointer { values in
            _ = buffer.initialize(from: values[position..<end])
        }
        position = end
    }

    func finish() throws {}
}

/// The size of the pieces streamed conversions move (see ``StreamedModel``).
package enum StreamingChunk {
    /// Elements per piece by default: 4 Mi float32 values (16 MiB; 32 MiB of float64 once encoded).
    package static let defaultElements = 4 << 20

    /// Calls `body` with consecutive pieces of at most `chunk` elements covering `count` elements:
    /// the offset of the piece and its length.
    package static func forEach(count: Int, chunk: Int, _ body: (_ offset: Int, _ length: Int) throws -> Void) rethrows {
        let step = max(1, chunk)
        var offset = 0
        while offset < count {
            let n = min(step, count - offset)
            try body(offset, n)
            offset += n
        }
    }
}

/// The memory a streamed write moves values through: `elements` float32 values and room for
/// them encoded in any dtype.
package struct ChunkBuffer {
    /// How many values one piece holds.
    package let elements: Int
    /// The values of the current piece.
    package let values: UnsafeMutableBufferPointer<Float>
    private var encoded: UnsafeMutableRawBufferPointer

    package init(elements: Int) {
        self.elements = max(1, elements)
        values = .allocate(capacity: self.elements)
        values.initialize(repeating: 0)
        encoded = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    }

    package func deallocate() {
        values.deallocate()
        encoded.deallocate()
    }

    /// `values` stored as `dtype` (little-endian): the values' own memory for float32 on a
    /// little-endian machine, else an encoding in the buffer's second half.
    package mutating func encode(_ values: UnsafeBufferPointer<Float>, as dtype: DType) -> UnsafeRawBufferPointer {
        if dtype == .float32, 1.littleEndian == 1 { return UnsafeRawBufferPointer(values) }
        let byteCount = values.count * dtype.byteSize
        if encoded.count < byteCount {
            encoded.deallocate()
            encoded = .allocate(byteCount: elements * dtype.byteSize, alignment: 64)
        }
        let target = UnsafeMutableRawBufferPointer(rebasing: encoded[0..<byteCount])
        dtype.encode(values, into: target)
        return UnsafeRawBufferPointer(target)
    }

    /// Reads `count` values from `reader` in pieces of at most `pieceElements` (all the buffer's by
    /// default), hands each piece stored as `dtype` to `output`, then runs the reader's final check.
    package mutating func stream(_ reader: any StreamedTensorReader, count: Int, as dtype: DType, pieceElements: Int? = nil,
                                 _ output: (UnsafeRawBufferPointer) throws -> Void) throws {
        try StreamingChunk.forEach(count: count, chunk: min(elements, pieceElements ?? elements)) { _, n in
            let piece = UnsafeMutableBufferPointer(rebasing: values[0..<n])
            try reader.read(into: piece)
            try output(encode(UnsafeBufferPointer(piece), as: dtype))
        }
        try reader.finish()
    }

    /// `values` converted to Double (exactly), in the buffer's second half.
    package mutating func widened(_ values: UnsafeBufferPointer<Float>) -> UnsafeBufferPointer<Double> {
        let byteCount = values.count * MemoryLayout<Double>.stride
        if encoded.count < byteCount {
            encoded.deallocate()
            encoded = .allocate(byteCount: elements * MemoryLayout<Double>.stride, alignment: 64)
        }
        let doubles = UnsafeMutableRawBufferPointer(rebasing: encoded[0..<byteCount]).bindMemory(to: Double.self)
        for (i, v) in values.enumerated() { doubles[i] = Double(v) }
        return UnsafeBufferPointer(doubles)
    }
}
