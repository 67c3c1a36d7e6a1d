/// A fixed-width bitmap font for drawing captions into ``RGBAImage``s.
///
/// ``standard`` covers printable ASCII (32…126) plus "…"; any other
/// character is drawn as a small empty box. Metrics are in unscaled pixels:
/// multiply by the integer scale passed to the drawing functions.
package struct BitmapFont: Sendable {
    /// Width of the inked part of a glyph.
    package let glyphWidth: Int
    /// Height of a glyph including its descender rows.
    package let glyphHeight: Int
    /// Height of capital letters and digits above the baseline.
    package let capHeight: Int
    /// Horizontal distance from one glyph's left edge to the next one's.
    package let advance: Int
    /// Vertical distance from one text line's top to the next one's.
    package let lineHeight: Int

    private let asciiGlyphs: [[UInt8]]
    private let ellipsisGlyph: [UInt8]
    private let replacementGlyph: [UInt8]

    /// The built-in 5×7 font (9 rows with descenders) on a 6×10 cell.
    package static let standard = BitmapFont(
        glyphWidth: 5, glyphHeight: 9, capHeight: 7, advance: 6, lineHeight: 10,
        asciiGlyphs: BitmapFontGlyphs.ascii,
        ellipsisGlyph: BitmapFontGlyphs.ellipsis,
        replacementGlyph: BitmapFontGlyphs.replacement)

    /// The character appended to text shortened by ``truncated(_:toWidth:scale:)``.
    package static let ellipsis: Character = "\u{2026}"

    /// The row bitmaps of the glyph drawn for `character`.
    ///
    /// Each element is one row, top first; bit `glyphWidth - 1` is the leftmost
    /// column. Characters the font lacks get the replacement box.
    package func glyph(for character: Character) -> [UInt8] {
        specificGlyph(for: character) ?? replacementGlyph
    }

    /// Whether the font has its own glyph for `character` (not the replacement box).
    package func hasGlyph(for character: Character) -> Bool {
        specificGlyph(for: character) != nil
    }

    /// Width in pixels of `text` drawn on one line at `scale`, without the
    /// trailing gap after the last glyph; the widest line if it has newlines.
    package func width(of text: String, scale: Int = 1) -> Int {
        var widest = 0
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let count = line.count
            guard count > 0 else { continue }
            widest = max(widest, (count * advance - (advance - glyphWidth)) * scale)
        }
        return widest
    }

    /// `text` shortened so it is at most `maxWidth` pixels wide at `scale`,
    /// ending in "…" when characters had to be dropped.
    ///
    /// Returns an empty string when not even "…" fits. Meant for one line of
    /// text: newlines are counted as ordinary characters.
    package func truncated(_ text: String, toWidth maxWidth: Int, scale: Int = 1) -> String {
        let fitsAsIs = text.count <= maxGlyphs(inWidth: maxWidth, scale: scale)
        if fitsAsIs { return text }
        let fitting = maxGlyphs(inWidth: maxWidth, scale: scale)
        guard fitting >= 1 else { return "" }
        var kept = String(text.prefix(fitting - 1))
        while kept.last == " " { kept.removeLast() }
        return kept + String(BitmapFont.ellipsis)
    }

    /// How many glyphs fit side by side in `maxWidth` pixels at `scale`.
    package func maxGlyphs(inWidth maxWidth: Int, scale: Int = 1) -> Int {
        guard scale >= 1, maxWidth >= glyphWidth * scale else { return 0 }
        return (maxWidth + (advance - glyphWidth) * scale) / (advance * scale)
    }

    private func specificGlyph(for character: Character) -> [UInt8]? {
        let scalars = character.unicodeScalars
        guard scalars.count == 1, let scalar = scalars.first else { return nil }
        let value = Int(scalar.value)
        if value >= 32 && value < 32 + asciiGlyphs.count { return asciiGlyphs[value - 32] }
        if character == BitmapFont.ellipsis { return ellipsisGlyph }
        return nil
    }
}
