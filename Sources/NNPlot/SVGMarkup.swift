/// Helpers for writing SVG markup: XML escaping, compact number formatting
/// and a small element builder that keeps attribute quoting in one place.
enum SVGMarkup {
    /// `text` with XML's special characters replaced by entities.
    ///
    /// Escapes `&`, `<`, `>`, `"` and `'`, so the result is safe both as
    /// element content and inside a double- or single-quoted attribute.
    /// Characters XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF) become
    /// U+FFFD, so any Swift string yields well-formed XML.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            default:
                let value = scalar.value
                if value < 0x20 || value == 0xFFFE || value == 0xFFFF {
                    result += "\u{FFFD}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    /// `value` with at most `decimals` digits after the point, trailing zeros
    /// removed, never `-0`, `nan` or `inf` (non-finite values print as `0`).
    static func number(_ value: Double, decimals: Int = 2) -> String {
        trimmed(fixed(value, decimals: decimals))
    }

    /// `value` with exactly `decimals` digits after the point (for tick labels).
    ///
    /// Non-finite input prints as `0`; magnitudes too large for fixed notation
    /// fall back to Swift's shortest representation.
    static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "0" }
        let places = min(max(decimals, 0), 15)
        var factor = 1.0
        for _ in 0..<places { factor *= 10 }
        let scaled = (abs(value) * factor).rounded()
        guard scaled < 9e15 else { return "\(value)" }
        let digits = String(Int(scaled))
        var integerPart = "0", fraction = ""
        if places == 0 {
            integerPart = digits
        } else {
            let padded = String(repeating: "0", count: max(0, places + 1 - digits.count)) + digits
            integerPart = String(padded.dropLast(places))
            fraction = String(padded.suffix(places))
        }
        let sign = value < 0 && scaled != 0 ? "-" : ""
        return fraction.isEmpty ? sign + integerPart : sign + integerPart + "." + fraction
    }

    /// Removes trailing zeros after a decimal point, and the point itself if bare.
    private static func trimmed(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var result = text
        while result.last == "0" { result.removeLast() }
        if result.last == "." { result.removeLast() }
        return result
    }

    /// An element with attributes (values escaped) and optional escaped text content.
    ///
    /// Numbers should already be formatted with ``number(_:decimals:)``.
    static func element(_ name: String, _ attributes: [(String, String)], text: String? = nil,
                        children: String? = nil) -> String {
        var result = "<" + name
        for (key, value) in attributes {
            result += " \(key)=\"\(escape(value))\""
        }
        if let text {
            result += ">" + escape(text) + "</\(name)>"
        } else if let children {
            result += ">" + children + "</\(name)>"
        } else {
            result += "/>"
        }
        return result
    }

    /// The XML declaration and opening `<svg>` tag of a standalone document,
    /// a `<title>` and a white background covering the whole canvas.
    static func documentStart(width: Double, height: Double, title: String) -> String {
        let w = number(width), h = number(height)
        return """
        <?xml version="1.0" encoding="UTF-8" standalone="no"?>
        <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(w)" height="\(h)" \
        viewBox="0 0 \(w) \(h)" font-family="DejaVu Sans, Arial, Helvetica, sans-serif">
        <title>\(escape(title))</title>
        <rect x="0" y="0" width="\(w)" height="\(h)" fill="#ffffff"/>

        """
    }

    /// The closing tag of a document started with ``documentStart(width:height:title:)``.
    static let documentEnd = "</svg>\n"
}
