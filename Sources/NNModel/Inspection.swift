import NNCore
import NNFormat
import NNSystem

/// What `nnmodel inspect` reports about a model file, for any supported format.
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
        public var dtype: String
        public var shape: [Int]
        /// Byte offset in the file (or in the data section for `.nnm`), when meaningful.
        public var offset: Int?
        public var byteLength: Int
        public var statistics: Statistics?
    }

    /// The state of the stored checksums.
    public enum Checksums: Sendable, Equatable {
        /// Not checked (`--no-verify`).
        case notChecked
        /// Every tensor's checksum matched.
        case verified(count: Int)
        /// These tensors' checksums did not match.
        case failed([String])
        /// The format stores no checksums.
        case unavailable
    }

    public var path: String
    /// The format's name, such as `nnm 1.0` or `Keras 3 legacy HDF5`.
    public var format: String
    public var fileSize: Int
    public var architecture: ModelArchitecture
    /// The storage dtype of the weights.
    public var storageDType: String?
    public var metadata: ModelMetadata
    public var tensors: [TensorInfo]
    /// The saved optimizer's name, hyperparameters and step count, if any.
    public var optimizer: OptimizerState?
    /// Values held by the optimizer state.
    public var optimizerParameterCount: Int
    public var checksums: Checksums
    /// Format-specific facts (Keras version, layout, ...), in display order.
    public var details: [(key: String, value: String)]

    /// Parameter counts (trainable, non-trainable) from the architecture.
    public var parameterCounts: (trainable: Int, nonTrainable: Int) {
        let specs = (try? architecture.weightSpecs()) ?? []
        let trainable = specs.filter(\.trainable).reduce(0) { $0 + $1.shape.reduce(1, *) }
        let all = specs.reduce(0) { $0 + $1.shape.reduce(1, *) }
        return (trainable, all - trainable)
    }
}

extension Inspection {
    /// Inspects a `.nnm` file: header only unless `verify` or `statistics` ask for the data.
    static func nnm(path: String, verify: Bool, statistics: Bool) throws -> Inspection {
        let header: NNMHeader
        var file: NNMFile?
        if verify || statistics {
            let f = try NNMFile(path: path)
            header = f.header
            file = f
        } else {
            header = try NNMFile.readHeader(path: path)
        }
        var checksums = Checksums.notChecked
        if let file, verify {
            var failures: [String] = []
            for t in header.tensors {
                do { try file.verify(t) } catch { failures.append(t.name) }
            }
            checksums = failures.isEmpty ? .verified(count: header.tensors.count) : .failed(failures)
        }
        let tensors = header.tensors.map { t in
            TensorInfo(name: t.name, dtype: t.dtype.rawValue, shape: t.shape, offset: header.dataOffset + t.offset,
                       byteLength: t.length,
                       statistics: statistics ? file.map { f in f.tensor(t).withUnsafeBufferPointer { Statistics($0) } } : nil)
        }
        let optimizerCount = header.tensors.filter { $0.name.hasPrefix("optimizer/") }.reduce(0) { $0 + $1.count }
        return Inspection(
            path: path, format: "nnm \(header.major).\(header.minor)", fileSize: header.fileSize, architecture: header.architecture,
            storageDType: header.weightDType?.rawValue, metadata: header.metadata, tensors: tensors,
            optimizer: header.optimizer.map { OptimizerState(config: $0.config, iterations: $0.iterations, slots: []) },
            optimizerParameterCount: optimizerCount + (header.optimizer == nil ? 0 : 1), checksums: checksums,
            details: [("header", "\(header.headerLength) bytes, data section at byte \(header.dataOffset)")])
    }
}

extension ModelFile {
    /// Describes the model file at `path`.
    ///
    /// - Parameters:
    ///   - verify: read every tensor and check its checksum (`.nnm`).
    ///   - statistics: compute per-tensor statistics (reads the data).
    ///   - architecture: the architecture for weights-only Keras files.
    public static func inspect(_ path: String, verify: Bool = true, statistics: Bool = false,
                               architecture: ModelArchitecture? = nil) throws -> Inspection {
        let format = try detectFormat(path: path)
        if format == .nnm { return try Inspection.nnm(path: path, verify: verify, statistics: statistics) }
        let loaded = try open(path, verify: verify, architecture: architecture)
        let model = loaded.model
        let dtype = loaded.details.first { $0.key == "weights dtype" }?.value
        let tensors = zip(model.weightSpecs, model.weights).map { spec, tensor in
            Inspection.TensorInfo(name: spec.name, dtype: dtype ?? "float32", shape: spec.shape, offset: nil,
                                  byteLength: tensor.count * (dtype == "float64" ? 8 : dtype == "float16" ? 2 : 4),
                                  statistics: statistics ? tensor.withUnsafeBufferPointer { Inspection.Statistics($0) } : nil)
        }
        let slots = model.optimizerState?.slots.joined().reduce(0) { $0 + $1.count } ?? 0
        return Inspection(
            path: path, format: loaded.formatDescription, fileSize: (try? FileReader.size(of: path)) ?? 0,
            architecture: model.architecture, storageDType: dtype, metadata: model.metadata, tensors: tensors,
            optimizer: model.optimizerState, optimizerParameterCount: slots + (model.optimizerState == nil ? 0 : 1),
            checksums: .unavailable, details: loaded.details.filter { $0.key != "layout" })
    }
}
