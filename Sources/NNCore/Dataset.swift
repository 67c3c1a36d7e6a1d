internal import CKernels

/// Samples and their labels, held in memory in their most compact form.
///
/// Image datasets keep their `UInt8` pixels and are converted to Float32 (÷ `divisor`) one batch at
/// a time, which keeps Fashion-MNIST at 47 MB instead of 188 MB.
public struct Dataset: Sendable {
    /// The sample values.
    public enum Features: Sendable {
        /// Bytes divided by `divisor` in Float32 when read (255 for images). For 255 this rounds
        /// exactly as NumPy's float64 `x / 255.0` cast to float32, so inputs match what Keras users
        /// feed their models.
        case uint8([UInt8], divisor: Float)
        /// Float32 values used as they are.
        case float32([Float])
    }

    /// What each sample should produce.
    public enum Labels: Sendable, Equatable {
        /// One class index per sample.
        case classes([Int32])
        /// A row of `width` target values per sample (one-hot, multi-label or regression).
        case dense([Float], width: Int)
    }

    /// A description of where the data came from, for messages.
    public var name: String
    /// The shape of one sample (for Fashion-MNIST `[28, 28]`).
    public internal(set) var sampleShape: [Int]
    /// The sample values, `count × sampleShape.product`, row-major.
    public internal(set) var features: Features
    /// The targets, if known.
    public internal(set) var labels: Labels?
    /// Names of the classes, when the labels are class indices.
    public var classNames: [String]?

    /// Creates a dataset, checking that features and labels agree in size.
    public init(name: String, sampleShape: [Int], features: Features, labels: Labels?, classNames: [String]? = nil)
        throws(TrainingError)
    {
        self.name = name
        self.sampleShape = sampleShape
        self.features = features
        self.labels = labels
        self.classNames = classNames
        guard let perSample = Tensor.checkedCount(of: sampleShape), perSample > 0 else {
            throw .dataMismatch("\(name): invalid sample shape \(sampleShape)")
        }
        let total: Int
        switch features {
        case let .uint8(b, _): total = b.count
        case let .float32(f): total = f.count
        }
        guard total % perSample == 0 else {
            throw .dataMismatch("\(name): \(total) values do not divide into samples of shape \(sampleShape)")
        }
        let n = total / perSample
        switch labels {
        case let .classes(c)?:
            guard c.count == n else { throw .dataMismatch("\(name): \(n) samples but \(c.count) labels") }
        case let .dense(v, width)?:
            guard width > 0, v.count == n * width else {
                throw .dataMismatch("\(name): \(n) samples but \(v.count) target values of width \(width)")
            }
        case nil: break
        }
    }

    /// Values per sample.
    public var sampleSize: Int { sampleShape.reduce(1, *) }

    /// Number of samples.
    public var count: Int {
        switch features {
        case let .uint8(b, _): return b.count / sampleSize
        case let .float32(f): return f.count / sampleSize
        }
    }

    /// The number of classes the labels use (the largest index + 1), or the target width.
    public var labelWidth: Int? {
        switch labels {
        case let .classes(c)?: return Int(c.max() ?? -1) + 1
        case let .dense(_, w)?: return w
        case nil: return nil
        }
    }

    /// Copies the samples at `indices` into `destination` as Float32, one row per index.
    @_spi(Testing) public func gather(_ indices: UnsafeBufferPointer<Int>, into destination: UnsafeMutablePointer<Float>) {
        gather(indices, features: 0..<sampleSize, into: destination)
    }

    /// Writes only the values `features` of each sample (the same columns of `destination`, rows
    /// `sampleSize` apart), so threads can fill disjoint columns of one batch.
    @_spi(Testing) public func gather(_ indices: UnsafeBufferPointer<Int>, features wanted: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        let n = sampleSize
        let columns = wanted.clamped(to: 0..<n)
        guard !columns.isEmpty else { return }
        switch features {
        case let .uint8(bytes, divisor):
            // Float32 division of a byte by 255 rounds exactly as NumPy's float64 x / 255.0 cast
            // to float32 (checked for all 256 values in the tests).
            bytes.withUnsafeBufferPointer { src in
                guard let base = src.baseAddress, let index = indices.baseAddress else { return }
                nn_gather_bytes(destination, base, index, indices.count, n, columns.lowerBound, columns.count, divisor)
            }
        case let .float32(values):
            values.withUnsafeBufferPointer { src in
                guard let base = src.baseAddress else { return }
                for (row, i) in indices.enumerated() {
                    (destination + row * n + columns.lowerBound).update(from: base + i * n + columns.lowerBound, count: columns.count)
                }
            }
        }
    }

    /// The samples in `range`, as a new dataset.
    public func slice(_ range: Range<Int>) -> Dataset {
        let n = sampleSize
        var copy = self
        switch features {
        case let .uint8(b, divisor): copy.features = .uint8(Array(b[range.lowerBound * n..<range.upperBound * n]), divisor: divisor)
        case let .float32(f): copy.features = .float32(Array(f[range.lowerBound * n..<range.upperBound * n]))
        }
        switch labels {
        case let .classes(c)?: copy.labels = .classes(Array(c[range]))
        case let .dense(v, w)?: copy.labels = .dense(Array(v[range.lowerBound * w..<range.upperBound * w]), width: w)
        case nil: break
        }
        return copy
    }

    /// Splits off the last `fraction` of the samples for validation, as Keras's
    /// `validation_split` does (before any shuffling).
    public func splitValidation(fraction: Double) -> (training: Dataset, validation: Dataset) {
        let splitAt = Int(Double(count) * (1 - fraction))
        return (slice(0..<splitAt), slice(splitAt..<count))
    }

    /// The features as one Float32 tensor `[count] + sampleShape`.
    public func featureTensor() -> Tensor {
        switch features {
        case let .float32(f): return Tensor(shape: [count] + sampleShape, values: f)
        case let .uint8(b, divisor):
            return Tensor(shape: [count] + sampleShape, values: b.map { Float($0) / divisor })
        }
    }
}
