/// Where each weight lives in one flat Float32 buffer, so gradients and optimizer slots can
/// share the layout and an update is a single pass over memory.
struct ParameterLayout {
    let specs: [WeightSpec]
    let ranges: [Range<Int>]
    let total: Int

    init(specs: [WeightSpec]) {
        self.specs = specs
        var offset = 0
        var ranges: [Range<Int>] = []
        for spec in specs {
            let n = spec.shape.reduce(1, *)
            ranges.append(offset..<offset + n)
            offset += n
        }
        self.ranges = ranges
        total = offset
    }

    /// The ranges of trainable weights, in order.
    var trainableRanges: [Range<Int>] { zip(specs, ranges).filter { $0.0.trainable }.map(\.1) }

    /// The shapes of trainable weights, in order.
    var trainableShapes: [[Int]] { specs.filter(\.trainable).map(\.shape) }
}

/// A zero-initialised Float32 buffer that frees itself.
final class FloatBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
    }

    deinit { pointer.deallocate() }

    /// Pointers to each range of the buffer.
    func pointers(_ ranges: [Range<Int>]) -> [UnsafeMutablePointer<Float>] {
        ranges.map { pointer + $0.lowerBound }
    }
}
