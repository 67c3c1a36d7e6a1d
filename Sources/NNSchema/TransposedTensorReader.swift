/// Reads the transpose of a matrix that is read in row-major order, in row-major order, holding
/// a block of its columns at a time rather than the matrix.
///
/// Each block is `budget / rows` of the source's columns (at least one): the source is read once
/// per block, a few rows at a time, and the block's columns kept in column-major order, so that the
/// transpose's rows are served as they are. A 4096 × 4096 matrix with the default budget (4 Mi
/// values) is read in 4 passes and holds 16 MiB (one pass holding 64 MiB was no faster). Every pass ends with the source's own check
/// (``StreamedTensorReader/finish()``).
package final class TransposedTensorReader: StreamedTensorReader {
    private let open: () throws -> any StreamedTensorReader
    /// The source's rows and columns.
    private let rows: Int, columns: Int
    /// Source columns per block.
    private let width: Int
    /// The block: source column `blockStart + c` at `c * rows`.
    private let block: UnsafeMutableBufferPointer<Float>
    /// `tileHeight` rows of the source (``tileRows``, or one for rows too long to hold that many).
    private let tile: UnsafeMutableBufferPointer<Float>
    private let tileHeight: Int
    private var blockStart = -1
    /// Values of the transpose served so far, and in all.
    private var position = 0
    private let total: Int

    /// A reader of the transpose of the `rows` × `columns` matrix that `open` reads (each call a
    /// new reader from its first value).
    package init(rows: Int, columns: Int, budget: Int = StreamingChunk.defaultElements,
                 open: @escaping () throws -> any StreamedTensorReader) {
        self.open = open
        self.rows = max(0, rows)
        self.columns = max(0, columns)
        let (product, overflow) = self.rows.multipliedReportingOverflow(by: self.columns)
        total = overflow ? 0 : product
        width = max(1, min(self.columns, max(1, budget) / max(1, self.rows)))
        block = .allocate(capacity: max(1, width * self.rows))
        tileHeight = self.columns > Int.max / Self.tileRows ? 1 : Self.tileRows
        tile = .allocate(capacity: max(1, self.columns * tileHeight))
    }

    deinit {
        block.deallocate()
        tile.deallocate()
    }

    package func read(into buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard buffer.count <= total - position else { throw TransposeError.readPastTheEnd(elements: total) }
        guard let out = buffer.baseAddress, let held = block.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            // The transpose's row is the source's column.
            let column = position / rows, within = position % rows
            if blockStart < 0 || column < blockStart || column >= blockStart + width { try load(from: column - column % width) }
            let n = min(buffer.count - done, rows - within)
            let start = (column - blockStart) * rows + within
            (out + done).update(from: held + start, count: n)
            done += n
            position += n
        }
    }

    package func finish() throws {}

    /// Reads the source once, keeping its columns `start ..< start + width`.
    ///
    /// ``tileRows`` rows at a time, so that each column of the block gets a cache line of values
    /// at once (one value per row would touch a page per column for every row).
    private func load(from start: Int) throws {
        let w = min(width, columns - start)
        let reader = try open()
        guard let source = tile.baseAddress, let target = block.baseAddress else { return }
        var r0 = 0
        while r0 < rows {
            let t = min(tileHeight, rows - r0)
            try reader.read(into: UnsafeMutableBufferPointer(rebasing: tile[0..<t * columns]))
            for c in 0..<w {
                let column = target + c * rows + r0, from = source + start + c
                for k in 0..<t { column[k] = from[k * columns] }
            }
            r0 += t
        }
        try reader.finish()
        blockStart = start
    }

    /// Source rows read and spread into the block at a time.
    static let tileRows = 64
}

/// A misuse of ``TransposedTensorReader``.
package enum TransposeError: Error, CustomStringConvertible {
    case readPastTheEnd(elements: Int)

    package var description: String {
        switch self {
        case let .readPastTheEnd(n): return "a transposed tensor was read past its \(n) elements"
        }
    }
}
