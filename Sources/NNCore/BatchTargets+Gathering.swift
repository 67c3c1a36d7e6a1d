/// Copies the targets of chosen samples into preallocated buffers, in the form a loss needs:
/// class indices, one-hot rows built from class indices, or dense rows.
final class TargetGatherer {
    enum Mode { case classes, oneHot, dense }

    let mode: Mode
    let width: Int
    private let labels: Dataset.Labels
    private let classes: UnsafeMutablePointer<Int32>
    private let dense: UnsafeMutablePointer<Float>

    /// Prepares buffers for up to `capacity` samples, checking labels against the model output.
    init(labels: Dataset.Labels, loss: Loss, outputWidth: Int, capacity: Int, datasetName: String) throws(TrainingError) {
        self.labels = labels
        width = outputWidth
        switch labels {
        case let .classes(c):
            // One output with binary cross-entropy: the labels are the 0/1 targets themselves.
            let classCount = outputWidth == 1 && loss == .binaryCrossentropy ? 2 : outputWidth
            if let bad = c.firstIndex(where: { $0 < 0 || Int($0) >= classCount }) {
                throw .dataMismatch("\(datasetName): label \(c[bad]) of sample \(bad) is outside the model's \(classCount) classes (0...\(classCount - 1))")
            }
            if outputWidth == 1, loss == .binaryCrossentropy {
                mode = .dense  // 0/1 labels are the targets themselves
            } else {
                mode = loss.usesClassTargets ? .classes : .oneHot
            }
        case let .dense(_, w):
            guard !loss.usesClassTargets else {
                throw .incompatibleLoss(loss: loss.rawValue, reason: "it needs integer class labels, \(datasetName) has rows of \(w) target values (use categorical_crossentropy)")
            }
            guard w == outputWidth else {
                throw .dataMismatch("\(datasetName): targets have \(w) values per sample, the model outputs \(outputWidth)")
            }
            mode = .dense
        }
        classes = .allocate(capacity: max(1, capacity))
        dense = .allocate(capacity: max(1, capacity * outputWidth))
        dense.initialize(repeating: 0, count: max(1, capacity * outputWidth))
    }

    deinit {
        classes.deallocate()
        dense.deallocate()
    }

    /// The targets of `indices`, valid until the next call.
    func gather(_ indices: UnsafeBufferPointer<Int>) -> BatchTargets {
        switch (mode, labels) {
        case let (.classes, .classes(c)):
            for (row, i) in indices.enumerated() { classes[row] = c[i] }
            return .classes(classes)
        case let (.oneHot, .classes(c)):
            dense.update(repeating: 0, count: indices.count * width)
            for (row, i) in indices.enumerated() { dense[row * width + Int(c[i])] = 1 }
            return .dense(dense)
        case let (.dense, .classes(c)):
            for (row, i) in indices.enumerated() { dense[row] = Float(c[i]) }
            return .dense(dense)
        case let (_, .dense(values, w)):
            values.withUnsafeBufferPointer { src in
                guard let base = src.baseAddress else { return }
                for (row, i) in indices.enumerated() { (dense + row * w).update(from: base + i * w, count: w) }
            }
            return .dense(dense)
        }
    }

    /// How many of `rows` predictions match their targets: the arg-max class for several outputs,
    /// a 0.5 threshold for a single output (Keras's binary accuracy).
    static func correctCount(predictions p: UnsafePointer<Float>, targets: BatchTargets, rows: Int, columns: Int) -> Int {
        var correct = 0
        for r in 0..<rows {
            let row = p + r * columns
            switch targets {
            case let .classes(labels):
                if argmax(row, columns) == Int(labels[r]) { correct += 1 }
            case let .dense(y):
                let t = y + r * columns
                if columns == 1 {
                    if (row[0] > 0.5) == (t[0] > 0.5) { correct += 1 }
                } else if argmax(row, columns) == argmax(t, columns) {
                    correct += 1
                }
            }
        }
        return correct
    }
}

/// The index of the largest of `n` values (the first on ties, NaN never wins).
@inline(__always) func argmax(_ values: UnsafePointer<Float>, _ n: Int) -> Int {
    var best = 0
    var bestValue = -Float.infinity
    for j in 0..<n where values[j] > bestValue {
        best = j
        bestValue = values[j]
    }
    return best
}
