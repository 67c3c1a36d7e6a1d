import NNCore

/// Builds datasets from NumPy arrays, the way scripts hand data to nnmodel.
public enum NPYDataset {
    /// Samples from `inputPath` (`[N, ...]`, float32/float64 used as is, uint8 scaled to [0, 1]),
    /// with labels from `labelsPath` when given (`[N]` integers for classes, `[N, k]` for dense targets).
    public static func load(inputPath: String, labelsPath: String?, classNames: [String]? = nil) throws(DataError) -> Dataset {
        let x = try NPYArray(path: inputPath)
        guard x.shape.count >= 2 else {
            throw .mismatch(path: inputPath, reason: "expected an array of shape [N, ...] (one row per sample), found shape \(x.shape)")
        }
        let features: Dataset.Features
        switch x.values {
        case let .uint8(b): features = .uint8(b, divisor: 255)
        default: features = .float32(x.floats)
        }
        var labels: Dataset.Labels?
        if let labelsPath {
            let y = try NPYArray(path: labelsPath)
            guard y.shape.first == x.shape[0] else {
                throw .mismatch(path: labelsPath, reason: "\(y.shape.first ?? 0) labels for \(x.shape[0]) samples in \(inputPath)")
            }
            switch y.shape.count {
            case 1:
                var classes: [Int32] = []
                classes.reserveCapacity(y.count)
                switch y.values {
                case let .int64(v):
                    for (i, l) in v.enumerated() {
                        guard l >= 0, l < 1_000_000 else { throw .labelOutOfRange(path: labelsPath, index: i, label: Int(clamping: l), classes: classNames?.count ?? 1_000_000) }
                        classes.append(Int32(l))
                    }
                case let .uint8(v): classes = v.map(Int32.init)
                default:
                    for (i, f) in y.floats.enumerated() {
                        guard f.isFinite, f == f.rounded(), f >= 0, f < 1_000_000 else {
                            throw .mismatch(path: labelsPath, reason: "label \(f) of sample \(i) is not a class index (a non-negative integer)")
                        }
                        classes.append(Int32(f))
                    }
                }
                labels = .classes(classes)
            case 2:
                labels = .dense(y.floats, width: y.shape[1])
            default:
                throw .mismatch(path: labelsPath, reason: "expected labels of shape [N] (classes) or [N, k] (targets), found \(y.shape)")
            }
        }
        do {
            return try Dataset(name: inputPath, sampleShape: Array(x.shape.dropFirst()), features: features, labels: labels,
                               classNames: classNames)
        } catch {
            throw .mismatch(path: inputPath, reason: error.description)
        }
    }
}
