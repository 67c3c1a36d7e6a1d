extension RGBAImage {
    /// Draws `text` with a bitmap font, its top-left corner at (`x`, `y`).
    ///
    /// Each font pixel becomes a `scale × scale` block. A newline starts a new
    /// line `font.lineHeight × scale` pixels lower. Ink never leaves the box
    /// `font.width(of: text, scale:)` wide and `(lines - 1) × lineHeight +
    /// glyphHeight` (times `scale`) tall; parts outside the image are clipped.
    ///
    /// - Throws: ``PlotError/invalidScale(_:)`` unless `1 <= scale <= RGBAImage.maximumScale`.
    package mutating func drawText(_ text: String, x: Int, y: Int, color: RGBAColor,
                                  scale: Int = 1, font: BitmapFont = .standard) throws(PlotError) {
        try RGBAImage.validate(scale: scale)
        var penX = x
        var penY = y
        for character in text {
            if character.isNewline {
                penX = x
                penY += font.lineHeight * scale
                continue
            }
            let rows = font.glyph(for: character)
            for (rowIndex, bits) in rows.enumerated() where bits != 0 {
                for column in 0..<font.glyphWidth {
                    let mask = UInt8(1) << UInt8(font.glyphWidth - 1 - column)
                    if bits & mask != 0 {
                        fillRect(x: penX + column * scale, y: penY + rowIndex * scale,
                                 width: scale, height: scale, color: color)
                    }
                }
            }
            penX += font.advance * scale
        }
    }
}
