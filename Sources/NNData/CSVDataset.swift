import NNCore

/// Reads a labelled dataset from CSV with the label first and the features after it, the layout
/// of the Kaggle Fashion-MNIST files (`label,pixel1,...,pixel784`).
///
/// A header row is detected (a first field that is not a number) and skipped. When every feature
/// is an integer in 0...255 the features are kept as bytes and scaled by 1/255, as for the IDX
/// files; otherwise they are used as they are. 784 features become a 28×28 sample.
@_spi(Testing) public enum CSVDataset {
    /// Loads the CSV file at `path`.
    @_spi(Testing) public static func load(path: String, classNames: [String]? = nil) throws(DataError) -> Dataset {
        try load(contents: try DataFile.contents(path), path: path, classNames: classNames)
    }

    /// Parses CSV text already in memory (after any gzip decompression); `path` names it in messages.
    @_spi(Testing) public static func load(contents text: [UInt8], path: String, classNames: [String]? = nil) throws(DataError) -> Dataset {
        var labels: [Int32] = []
        var bytes: [UInt8] = []
        var floats: [Float] = []
        var allBytes = true
        var width: Int?
        var line = 0
        var start = 0
        let n = text.count
        while start < n {
            var end = start
            while end < n, text[end] != 0x0A { end += 1 }
            line += 1
            var stop = end
            if stop > start, text[stop - 1] == 0x0D { stop -= 1 }
            defer { start = end + 1 }
            if stop == start { continue }  // blank line
            let row = text[start..<stop]
            let values = row.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            if line == 1, let first = values.first, parseNumber(first) == nil { continue }  // header
            guard values.count >= 2 else {
                throw .invalidCSV(path: path, line: line, reason: "expected a label and features separated by commas, found \(values.count) field")
            }
            if let w = width, values.count - 1 != w {
                throw .invalidCSV(path: path, line: line, reason: "expected \(w + 1) fields (label + \(w) features), found \(values.count)")
            }
            width = values.count - 1
            guard let label = parseNumber(values[0]), label == label.rounded(), label >= 0, label < 1_000_000 else {
                throw .invalidCSV(path: path, line: line, reason: "label '\(String(decoding: values[0], as: UTF8.self))' is not a non-negative integer")
            }
            labels.append(Int32(label))
            for (i, field) in values.dropFirst().enumerated() {
                guard let v = parseNumber(field), v.isFinite else {
                    throw .invalidCSV(path: path, line: line, reason: "field \(i + 2) '\(String(decoding: field, as: UTF8.self))' is not a number")
                }
                if allBytes, v == v.rounded(), v >= 0, v <= 255 {
                    bytes.append(UInt8(v))
                } else {
                    if allBytes {
                        floats = bytes.map(Float.init)
                        bytes = []
                        allBytes = false
                    }
                    floats.append(Float(v))
                }
            }
        }
        guard let w = width, !labels.isEmpty else { throw .empty(path: path) }
        if let classNames, let bad = labels.firstIndex(where: { Int($0) >= classNames.count }) {
            throw .labelOutOfRange(path: path, index: bad, label: Int(labels[bad]), classes: classNames.count)
        }
        let shape = w == 784 ? [28, 28] : [w]
        do {
            return try Dataset(name: path, sampleShape: shape,
                               features: allBytes ? .uint8(bytes, divisor: 255) : .float32(floats),
                               labels: .classes(labels), classNames: classNames)
        } catch {
            throw .mismatch(path: path, reason: error.description)
        }
    }

    /// Parses an integer or decimal number from ASCII bytes.
    static func parseNumber(_ field: ArraySlice<UInt8>) -> Double? {
        var s = field[...]
        while let f = s.first, f == 0x20 || f == 0x09 { s = s.dropFirst() }
        while let l = s.last, l == 0x20 || l == 0x09 { s = s.dropLast() }
        guard !s.isEmpty else { return nil }
        // Fast path: plain non-negative integers (nearly every pixel).
        if s.count <= 9, s.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            var v = 0
            for c in s { v = v * 10 + Int(c - 0x30) }
            return Double(v)
        }
        return Double(String(decoding: s, as: UTF8.self))
    }
}
