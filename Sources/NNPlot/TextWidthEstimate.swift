/// A conservative estimate of how wide a string renders in a proportional
/// sans-serif font, used to size SVG margins before any browser measures it.
///
/// Widths are in em units per character class; they slightly over-estimate
/// common fonts (DejaVu Sans, Arial, Helvetica) so labels are not clipped.
enum TextWidthEstimate {
    /// Estimated rendered width of `text` at `fontSize` pixels; bold text is
    /// assumed 15% wider.
    static func width(of text: String, fontSize: Double, bold: Bool = false) -> Double {
        var ems = 0.0
        for character in text {
            ems += emWidth(of: character)
        }
        return ems * fontSize * (bold ? 1.15 : 1)
    }

    private static func emWidth(of character: Character) -> Double {
        switch character {
        case "i", "j", "l", ".", ",", ":", ";", "'", "!", "|", "I", " ": return 0.34
        case "f", "t", "r", "(", ")", "[", "]", "/", "\\", "-": return 0.42
        case "m", "w", "M", "W", "%", "@": return 0.95
        case "A"..."Z", "0"..."9": return 0.70
        case "a"..."z": return 0.62
        default:
            return character.isASCII ? 0.64 : 0.9
        }
    }
}
