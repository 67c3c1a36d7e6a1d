import NNBase

/// Reads the transpose of a matrix that is read in row-major order, in row-major order, holding
/// a block of its columns at a time rather than the matrix.
///
/// Each block is `budget / rows` of the source's columns (at least one, and at least an eighth of
/// them): the source is read once per block, a few rows at a time, and the block's columns kept in
/// column-major order, so that the transpose's rows are served as they are. A 4096 × 4096 matrix
/// with the default budget (4 Mi values) is read in 4 passes and holds 16 MiB; no matrix takes
/// more than 8 passes (a larger one holds an eighth of itself instead), so the time stays linear
/// in its size. A matrix of one row or one column is its own transpose in this order and passes
/// straight through. Every pass ends with the source's own check (``StreamedTensorReader/finish()``),
/// and memory that cannot be had is an error, not a crash.
package final class TransposedTensorReader: StreamedTensorReader {
    private let open: () throws -> any StreamedTensorReader
    /// The source's rows and columns, and its values in all.
    private let rows: Int, columns: Int, total: Int
    /// Source columns per block.
    private let width: Int
    /// The block: source column `blockStart + c` at `c * rows` (empty when passing through).
    private let block: UnsafeMutableBufferPointer<Float>
    /// Whole rows of the source (`tileHeight` of them), or a piece of one row when a row is longer
    /// than the budget (`tileHeight` 0).
    private let tile: UnsafeMutableBufferPointer<Float>
    private let tileHeight: Int
    /// The source itself, for a one-row or one-column matrix.
    private var passThrough: (any StreamedTensorReader)?
    private var blockStart = -1
    /// Values of the transpose served so far.
    private var position = 0

    /// The most times the source is read.
    package static let maximumPasses = 8
    /// Source rows read and spread into the block at a time, at most.
    static let tileRows = 64

    /// A reader of the transpose of the `rows` × `columns` matrix that `open` reads (each call a
    /// new reader from its first value); `name` is the tensor's, for errors.
    package init(rows: Int, columns: Int, budget: Int = StreamingChunk.defaultElements, name: String,
                 open: @escaping () throws -> any StreamedTensorReader) throws {
        self.open = open
        self.rows = max(0, rows)
        self.columns = max(0, columns)
        let (product, overflow) = self.rows.multipliedReportingOverflow(by: self.columns)
        guard !overflow else { throw TransposeError.tooLarge(tensor: name, rows: rows, columns: columns) }
        total = product
        let budget = max(1, budget)
        if self.rows <= 1 || self.columns <= 1 {
            width = 0
            tileHeight = 0
            block = UnsafeMutableBufferPointer(start: nil, count: 0)
            tile = UnsafeMutableBufferPointer(start: nil, count: 0)
            return
        }
        let fewestColumns = (self.columns + Self.maximumPasses - 1) / Self.maximumPasses
        width = min(self.columns, max(budget / self.rows, fewestColumns))
        tileHeight = min(Self.tileRows, self.rows, budget / self.columns)
        guard let block = FallibleAllocation.floats(width * self.rows) else {
            throw TransposeError.outOfMemory(tensor: name, values: width * self.rows)
        }
        let tileCount = tileHeight > 0 ? tileHeight * self.columns : budget
        guard let tile = FallibleAllocation.floats(tileCount) else {
            FallibleAllocation.free(block)
            throw TransposeError.outOfMemory(tensor: name, values: tileCount)
        }
        self.block = block
        self.tile = tile
    }

    deinit {
        if block.baseAddress != nil { FallibleAllocation.free(block) }
        if tile.baseAddress != nil { FallibleAllocation.free(tile) }
    }

    package func read(into buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard buffer.count <= total - position else { throw TransposeError.readPastTheEnd(elements: total) }
        if width == 0 {
            if passThrough == nil { passThrough = try open() }
            try passThrough?.read(into: buffer)
            position += buffer.count
            return
        }
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

    package func finish() throws {
        try passThrough?.finish()
    }

    /// Reads the source once, keeping its columns `start ..< start + width`.
    ///
    /// Whole rows ``tileRows`` at a time, so that each column of the block gets a cache line of
    /// values at once (one value per row would touch a page per column for every row); a row
    /// longer than the budget in pieces.
    private func load(from start: Int) throws {
        let w = min(width, columns - start)
        let reader = try open()
        guard let source = tile.baseAddress, let target = block.baseAddress else { return }
        if tileHeight > 0 {
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
        } else {
            for r in 0..<rows {
                var c0 = 0
                while c0 < columns {
                    let n = min(tile.count, columns - c0)
                    try reader.read(into: UnsafeMutableBufferPointer(rebasing: tile[0..<n]))
                    let low = max(c0, start), high = min(c0 + n, start + w)
                    if low < high { for c in low..<high { target[(c - start) * rows + r] = source[c - c0] } }
                    c0 += n
                }
            }
        }
        try reader.finish()
        blockStart = start
    }
}

/// Why a ``TransposedTensorReader`` cannot read.
package enum TransposeError: Error, CustomStringConvertible {
    case readPastTheEnd(elements: Int)
    case tooLarge(tensor: String, rows: Int, columns: Int)
    case outOfMemory(tensor: String, values: Int)

    package var description: String {
        switch self {
        case let .readPastTheEnd(n): return "a transposed tensor was read past its \(n) elements"
        case let .tooLarge(tensor, rows, columns):
            return "tensor '\(Excerpt.quote(tensor, limit: 64))': \(rows) × \(columns) values are more than memory can address"
        case let .outOfMemory(tensor, values):
            return "tensor '\(Excerpt.quote(tensor, limit: 64))': cannot allocate \(values) float32 values (\(values / (1 << 18)) MiB) to transpose it (PyTorch's [out, in] layout)"
        }
    }
}
