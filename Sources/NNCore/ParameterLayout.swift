/// Where each weight lives in one flat Float32 buffer, so gradients and optimizer slots can
/// share the layout and an update is a single pass over memory.
struct ParameterLayout {
    let specs: [WeightSpec]
    let ranges: [Range<Int>]
    let total: Int

    /// Weights start at multiples of this many floats (64 bytes): with 64-byte-aligned buffers,
    /// threads updating different weights (or different 64-row blocks of a kernel) never share a
    /// cache line.
    static let alignment = 16

    init(specs: [WeightSpec]) {
        self.specs = specs
        var offset = 0
        var ranges: [Range<Int>] = []
        for spec in specs {
            let n = spec.shape.reduce(1, *)
            ranges.append(offset..<offset + n)
            offset = (offset + n + ParameterLayout.alignment - 1) / ParameterLayout.alignment * ParameterLayout.alignment
        }
        self.ranges = ranges
        total = offset
    }

    /// The ranges of trainable weights, in order.
    var trainableRanges: [Range<Int>] { zip(specs, ranges).filter { $0.0.trainable }.map(\.1) }

    /// The shapes of trainable weights, in order.
    var trainableShapes: [[Int]] { specs.filter(\.trainable).map(\.shape) }
}

/// A rectangle of a flat parameter buffer: `rows` runs of `columns` elements, `stride` apart,
/// starting at `offset` (a block of a row-major kernel, or one contiguous run).
struct ParameterBlock: Equatable {
    var offset: Int
    var rows: Int
    var columns: Int
    var stride: Int

    /// One contiguous run.
    init(range: Range<Int>) {
        offset = range.lowerBound
        rows = 1
        columns = range.count
        stride = range.count
    }

    init(offset: Int, rows: Int, columns: Int, stride: Int) {
        self.offset = offset
        self.rows = rows
        self.columns = columns
        self.stride = stride
    }
}

/// A 64-byte-aligned Float32 buffer that frees itself.
final class FloatBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    /// A buffer of `count` zeros, 64-byte aligned.
    init(count: Int, initialValue: Float = 0) {
        self.count = count
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
            .initializeMemory(as: Float.self, repeating: initialValue, count: max(1, count))
    }

    deinit { pointer.deallocate() }

    /// Pointers to each range of the buffer.
    func pointers(_ ranges: [Range<Int>]) -> [UnsafeMutablePointer<Float>] {
        ranges.map { pointer + $0.lowerBound }
    }
}
