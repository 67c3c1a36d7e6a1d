import NNModel

/// Number and size formatting shared by the commands.
enum Formatting {
    /// `101,770`.
    static func grouped(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// `397.54 KB` (binary multiples, like Keras's summary).
    static func bytes(_ n: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return "\(fixed(value, 2)) \(units[unit])"
    }

    /// `(None, 784)`.
    static func shape(_ s: [Int]) -> String {
        "(None, " + s.map(String.init).joined(separator: ", ") + ")"
    }

    /// A compact number for tables: fixed for moderate magnitudes, scientific otherwise.
    static func compact(_ v: Double) -> String {
        if v == 0 { return "0" }
        if !v.isFinite { return "\(v)" }
        let a = abs(v)
        if a >= 1e-3 && a < 1e5 { return fixed(v, 4) }
        return scientific(v)
    }

    /// `1.300e+30`: a finite, non-zero number with four significant digits.
    static func scientific(_ v: Double) -> String {
        guard v.isFinite, v != 0 else { return v == 0 ? "0" : "\(v)" }
        var exponent = 0
        var m = abs(v)
        while m >= 10 { m /= 10; exponent += 1 }
        while m < 1 { m *= 10; exponent -= 1 }
        if (m * 1000).rounded() >= 10_000 { m /= 10; exponent += 1 }
        return (v < 0 ? "-" : "") + fixed(m, 3) + "e" + (exponent < 0 ? "-" : "+") + twoDigits(abs(exponent))
    }
}

/// Renders a table with box-drawing borders like Keras 3's `model.summary()`.
struct BoxTable {
    var headers: [String]
    var rightAligned: Set<Int> = []
    var rows: [[String]] = []

    /// The most characters a cell shows; longer text (a 64 KB layer name) is cut with "…", so
    /// one long name cannot widen every row of the table.
    static let maximumCellWidth = 100

    /// The table as text; every cell is escaped first (cells hold names read from files) and cut
    /// to ``maximumCellWidth``.
    func render() -> String {
        func cell(_ text: String) -> String {
            let escaped = shown(text)
            guard escaped.count > Self.maximumCellWidth else { return escaped }
            return String(escaped.prefix(Self.maximumCellWidth - 1)) + "…"
        }
        let headers = self.headers.map(cell)
        let rows = self.rows.map { $0.map(cell) }
        var widths = headers.map(\.count)
        for row in rows { for (i, c) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ l: String, _ m: String, _ r: String, _ fill: String) -> String {
            l + widths.map { String(repeating: fill, count: $0 + 2) }.joined(separator: m) + r
        }
        func cells(_ values: [String], _ edge: String) -> String {
            edge + values.enumerated().map { i, v in
                " " + (rightAligned.contains(i) ? leftPad(v, widths[i]) : pad(v, widths[i])) + " "
            }.joined(separator: edge) + edge
        }
        var out = [line("┏", "┳", "┓", "━"), cells(headers, "┃"), line("┡", "╇", "┩", "━")]
        for (i, row) in rows.enumerated() {
            out.append(cells(row, "│"))
            out.append(i == rows.count - 1 ? line("└", "┴", "┘", "─") : line("├", "┼", "┤", "─"))
        }
        if rows.isEmpty { out.append(line("└", "┴", "┘", "─")) }
        return out.joined(separator: "\n")
    }
}

/// Text from a file or an argument as it may be shown on a terminal: control characters and
/// bidirectional overrides escaped (`\n`, `\u{1B}`), so a name cannot forge a line or drive the
/// terminal. JSON output keeps exact strings instead (JSON-escaped).
func shown(_ text: String) -> String { Excerpt.escaped(text) }

/// Numbers in JSON output: always JSON numbers. A value that is not finite is `null`, with a
/// sibling member `<name>_nonfinite` saying which (`"inf"`, `"-inf"` or `"nan"`).
enum JSONNumber {
    /// `name` with the value, or `null` and `<name>_nonfinite` when the value is not finite.
    static func members(_ name: String, _ value: Double) -> [(key: String, value: JSON)] {
        if value.isFinite { return [(name, .number(value))] }
        return [(name, .null), (name + "_nonfinite", .string(kind(value)))]
    }

    /// `name` with the values, each that is not finite `null`; when there is one, a sibling array
    /// `<name>_nonfinite` of the same length holds its kind at its position and `null` elsewhere.
    static func arrayMembers(_ name: String, _ values: [Double]) -> [(key: String, value: JSON)] {
        let numbers: [(key: String, value: JSON)] = [(name, .array(values.map { $0.isFinite ? .number($0) : .null }))]
        guard values.contains(where: { !$0.isFinite }) else { return numbers }
        return numbers + [(name + "_nonfinite", .array(values.map { $0.isFinite ? .null : .string(kind($0)) }))]
    }

    /// `"nan"`, `"inf"` or `"-inf"`.
    static func kind(_ value: Double) -> String { value.isNaN ? "nan" : value > 0 ? "inf" : "-inf" }
}
