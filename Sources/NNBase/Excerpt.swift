/// Text taken from a file or an argument, made safe to print: control characters (and Unicode
/// bidirectional overrides) escaped so that a name cannot move the cursor, clear the screen,
/// change the terminal title or forge a second line, and long text cut to an excerpt.
public enum Excerpt {
    /// The most characters of file content a message quotes.
    public static let limit = 200

    /// `text` escaped (see ``escaped(_:)``), cut to `limit` characters with a note of how much
    /// was left out.
    public static func quote(_ text: some StringProtocol, limit: Int = Excerpt.limit) -> String {
        let escaped = Self.escaped(text)
        guard escaped.count > limit else { return escaped }
        return String(escaped.prefix(limit)) + "… (\(escaped.count - limit) more characters)"
    }

    /// The description of `value`, quoted like text.
    @_disfavoredOverload
    public static func quote<T>(_ value: T, limit: Int = Excerpt.limit) -> String {
        quote(String(describing: value), limit: limit)
    }

    /// `text` with every control character written as an escape (`\n`, `\t`, `\r`, `\u{1B}`,
    /// `\0`...), every bidirectional formatting character as `\u{202E}`, and nothing else changed.
    public static func escaped(_ text: some StringProtocol) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return String(text) }
        var out = ""
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\0": out += "\\0"
            default: out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return out
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true  // bidirectional marks and overrides
        default: return false
        }
    }
}
