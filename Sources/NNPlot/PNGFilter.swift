/// The five PNG scanline filters (PNG spec, section 9) and the usual
/// heuristic for choosing one per row.
enum PNGFilter: UInt8, CaseIterable {
    case none = 0, sub = 1, up = 2, average = 3, paeth = 4

    /// Appends filter byte + filtered bytes of `row` to `output`.
    ///
    /// - Parameters:
    ///   - row: the raw bytes of this scanline.
    ///   - previous: the raw bytes of the scanline above (all zero for the first row).
    ///   - bytesPerPixel: distance to the corresponding byte of the pixel on the left.
    func apply(row: ArraySlice<UInt8>, previous: ArraySlice<UInt8>, bytesPerPixel: Int,
               into output: inout [UInt8]) {
        output.append(rawValue)
        let start = row.startIndex, above = previous.startIndex
        for offset in 0..<row.count {
            let x = row[start + offset]
            let a = offset >= bytesPerPixel ? row[start + offset - bytesPerPixel] : 0
            let b = previous[above + offset]
            let c = offset >= bytesPerPixel ? previous[above + offset - bytesPerPixel] : 0
            let predictor: UInt8
            switch self {
            case .none: predictor = 0
            case .sub: predictor = a
            case .up: predictor = b
            case .average: predictor = UInt8((Int(a) + Int(b)) / 2)
            case .paeth: predictor = PNGFilter.paeth(a, b, c)
            }
            output.append(x &- predictor)
        }
    }

    /// The Paeth predictor: whichever of left, above, upper-left is closest to `a + b - c`.
    static func paeth(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
        let estimate = Int(a) + Int(b) - Int(c)
        let distanceA = abs(estimate - Int(a))
        let distanceB = abs(estimate - Int(b))
        let distanceC = abs(estimate - Int(c))
        if distanceA <= distanceB && distanceA <= distanceC { return a }
        if distanceB <= distanceC { return b }
        return c
    }

    /// Filters all rows of an image into the byte stream that goes into IDAT.
    ///
    /// With `adaptive`, each row uses the filter whose output has the smallest
    /// sum of absolute values (bytes read as signed), the heuristic the PNG
    /// specification recommends; otherwise every row uses filter type 0.
    static func filterImage(_ raw: [UInt8], rowLength: Int, rowCount: Int, bytesPerPixel: Int,
                            adaptive: Bool) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity((rowLength + 1) * rowCount)
        let zeroRow = [UInt8](repeating: 0, count: rowLength)
        var candidate: [UInt8] = []
        candidate.reserveCapacity(rowLength + 1)
        for rowIndex in 0..<rowCount {
            let row = raw[(rowIndex * rowLength)..<((rowIndex + 1) * rowLength)]
            let previous = rowIndex == 0
                ? zeroRow[...]
                : raw[((rowIndex - 1) * rowLength)..<(rowIndex * rowLength)]
            guard adaptive else {
                PNGFilter.none.apply(row: row, previous: previous, bytesPerPixel: bytesPerPixel,
                                     into: &output)
                continue
            }
            var best: [UInt8] = []
            var bestScore = Int.max
            for filter in PNGFilter.allCases {
                candidate.removeAll(keepingCapacity: true)
                filter.apply(row: row, previous: previous, bytesPerPixel: bytesPerPixel,
                             into: &candidate)
                var score = 0
                for byte in candidate.dropFirst() { score += abs(Int(Int8(bitPattern: byte))) }
                if score < bestScore {
                    bestScore = score
                    best = candidate
                }
            }
            output.append(contentsOf: best)
        }
        return output
    }
}
