/// What a model file holds, for any format: the file's facts, the architecture, every stored
/// tensor and the state of the checksums. `nnmodel inspect` renders it as text or JSON.
public struct Inspection: Sendable {
    /// Statistics of a tensor's values.
    public struct Statistics: Sendable, Equatable {
        public var minimum: Double
        public var maximum: Double
        public var mean: Double
        public var standardDeviation: Double
        public var nanCount: Int
        public var infinityCount: Int

        /// Computes statistics over the finite values, counting NaN and infinities separately.
        public init(_ values: UnsafeBufferPointer<Float>) {
            var lo = Double.infinity, hi = -Double.infinity, sum = 0.0, sumSquares = 0.0
            var n = 0, nan = 0, inf = 0
            for v in values {
                if v.isNaN { nan += 1; continue }
                if v.isInfinite { inf += 1; continue }
                let d = Double(v)
                lo = min(lo, d); hi = max(hi, d); sum += d; sumSquares += d * d; n += 1
            }
            let mean = n > 0 ? sum / Double(n) : 0
            minimum = n > 0 ? lo : 0
            maximum = n > 0 ? hi : 0
            self.mean = mean
            standardDeviation = n > 0 ? max(0, sumSquares / Double(n) - mean * mean).squareRoot() : 0
            nanCount = nan
            infinityCount = inf
        }
    }

    /// One stored tensor.
    public struct TensorInfo: Sendable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        /// Byte offset of the first element in the file, when the format places tensors at fixed offsets.
        public var offset: Int?
        public var byteLength: Int
        public var statistics: Statistics?

        public init(name: String, dtype: DType, shape: [Int], offset: Int?, byteLength: Int, statistics: Statistics?) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.offset = offset
            self.byteLength = byteLength
            self.statistics = statistics
        }
    }

    /// The state of the stored checksums.
    public enum Checksums: Sendable, Equatable {
        /// Not checked (the caller asked not to).
        case notChecked
        /// Every tensor's checksum matched.
        case verified(count: Int)
        /// These tensors' checksums did not match.
        case failed([String])
        /// The format stores no checksums.
        case unavailable
    }

    /// The file's format, version, storage dtype and provenance.
    public var file: FileDescription
    public var architecture: ModelArchitecture
    public var metadata: ModelMetadata
    /// Every stored tensor: weights first, then optimizer slots.
    public var tensors: [TensorInfo]
    /// The saved optimizer state's hyperparameters and step count, if any.
    public var optimizer: OptimizerRecord?
    /// Values held by the optimizer state (its slot tensors and the step counter).
    public var optimizerParameterCount: Int
    public var checksums: Checksums

    public init(file: FileDescription, architecture: ModelArchitecture, metadata: ModelMetadata, tensors: [TensorInfo],
                optimizer: OptimizerRecord?, optimizerParameterCount: Int, checksums: Checksums) {
        self.file = file
        self.architecture = architecture
        self.metadata = metadata
        self.tensors = tensors
        self.optimizer = optimizer
        self.optimizerParameterCount = optimizerParameterCount
        self.checksums = checksums
    }

    /// The inspection of a model read whole from a format without a tensor table or checksums.
    public init(loaded: LoadedModel, statistics: Bool) {
        let model = loaded.model
        let dtype = loaded.file.weightsDType ?? .float32
        var tensors = zip(model.weightSpecs, model.weights).map { spec, tensor in
            TensorInfo(name: spec.name, dtype: dtype, shape: spec.shape, offset: nil, byteLength: tensor.count * dtype.byteSize,
                       statistics: statistics ? tensor.withUnsafeBufferPointer { Statistics($0) } : nil)
        }
        var slotValues = 0
        if let state = model.optimizerState {
            let trainable = model.weightSpecs.filter(\.trainable)
            for (slot, perWeight) in zip(state.config.slotNames, state.slots) {
                for (spec, tensor) in zip(trainable, perWeight) {
                    slotValues += tensor.count
                    tensors.append(TensorInfo(name: "optimizer/\(slot)/\(spec.name)", dtype: .float32, shape: tensor.shape,
                                              offset: nil, byteLength: tensor.count * 4,
                                              statistics: statistics ? tensor.withUnsafeBufferPointer { Statistics($0) } : nil))
                }
            }
        }
        self.init(file: loaded.file, architecture: model.architecture, metadata: model.metadata, tensors: tensors,
                  optimizer: model.optimizerState.map(OptimizerRecord.init), optimizerParameterCount: slotValues + (model.optimizerState == nil ? 0 : 1),
                  checksums: .unavailable)
    }

    /// The file inspected.
    public var path: String { file.path }

    /// Parameter counts (trainable, non-trainable) from the architecture.
    public var parameterCounts: (trainable: Int, nonTrainable: Int) {
        let specs = (try? architecture.weightSpecs()) ?? []
        let trainable = specs.filter(\.trainable).reduce(0) { $0 + $1.shape.reduce(1, *) }
        let all = specs.reduce(0) { $0 + $1.shape.reduce(1, *) }
        return (trainable, all - trainable)
    }
}
