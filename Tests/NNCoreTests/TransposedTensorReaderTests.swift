import Testing
@testable import NNSchema

/// ``TransposedTensorReader`` serves the transpose in order whatever the block width and the
/// piece sizes, reads its source once per block (checking it each time) and refuses to read past
/// the end.
@Suite struct TransposedTensorReaderTests {
    /// Counts the readers opened and finished.
    final class Counter: @unchecked Sendable {
        var opened = 0, finished = 0
    }

    final class CountingReader: StreamedTensorReader {
        let inner: MemoryTensorReader
        let counter: Counter
        init(_ tensor: Tensor, _ counter: Counter) {
            inner = MemoryTensorReader(tensor)
            self.counter = counter
            counter.opened += 1
        }
        func read(into buffer: UnsafeMutableBufferPointer<Float>) throws { try inner.read(into: buffer) }
        func finish() throws { counter.finished += 1 }
    }

    /// Blocks of several columns, of one (a tiny budget: then an eighth of the columns), rows longer
    /// than the budget (read in pieces), one row or column (passed through), tiles of 64 rows.
    @Test(arguments: [(7, 13, 20), (7, 13, 1), (7, 13, 1000), (1, 9, 4), (9, 1, 4), (64, 48, 64 * 16), (5, 40, 12),
                      (130, 3, 200)])
    func servesTheTranspose(rows: Int, columns: Int, budget: Int) throws {
        let values = (0..<(rows * columns)).map { Float($0) * 0.5 - 3 }
        let source = Tensor(shape: [rows, columns], values: values)
        let passThrough = rows == 1 || columns == 1
        let width = min(columns, max(budget / rows, (columns + 7) / 8))
        for piece in [1, 5, 11, rows * columns] {
            let counter = Counter()
            let reader = try TransposedTensorReader(rows: rows, columns: columns, budget: budget, name: "t") { CountingReader(source, counter) }
            var got: [Float] = []
            var buffer = [Float](repeating: .nan, count: piece)
            while got.count < values.count {
                let n = min(piece, values.count - got.count)
                try buffer.withUnsafeMutableBufferPointer { try reader.read(into: UnsafeMutableBufferPointer(rebasing: $0[0..<n])) }
                got += buffer[0..<n]
            }
            try reader.finish()
            let expected = (0..<columns).flatMap { c in (0..<rows).map { r in values[r * columns + c] } }
            #expect(got == expected, "\(rows)×\(columns), budget \(budget), pieces of \(piece)")
            let blocks = passThrough ? 1 : (columns + width - 1) / width
            #expect(counter.opened == blocks && counter.finished == blocks)
            #expect(blocks <= TransposedTensorReader.maximumPasses)
            #expect(throws: TransposeError.self) {
                try buffer.withUnsafeMutableBufferPointer { try reader.read(into: UnsafeMutableBufferPointer(rebasing: $0[0..<1])) }
            }
        }
    }

    /// A shape whose size overflows, or whose block memory cannot be had, is an error when the
    /// reader is made, never a crash.
    @Test func impossibleShapesAreErrors() {
        let empty = Tensor(shape: [1], values: [0])
        #expect(throws: TransposeError.self) {
            try TransposedTensorReader(rows: 1 << 40, columns: 1 << 40, name: "overflow") { MemoryTensorReader(empty) }
        }
        #expect(throws: TransposeError.self) {
            try TransposedTensorReader(rows: 1 << 40, columns: 1 << 20, name: "huge") { MemoryTensorReader(empty) }
        }
    }
}
