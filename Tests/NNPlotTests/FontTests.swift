import Testing
@testable import NNPlot

@Suite("Bitmap font")
struct FontTests {
    let font = BitmapFont.standard

    @Test func everyPrintableASCIIGlyphExistsAndOnlySpaceIsBlank() {
        for code in 32...126 {
            let character = Character(Unicode.Scalar(UInt8(code)))
            #expect(font.hasGlyph(for: character), "missing glyph for \(code)")
            let rows = font.glyph(for: character)
            #expect(rows.count == font.glyphHeight)
            #expect(rows.allSatisfy { $0 < (1 << font.glyphWidth) }, "glyph \(code) is wider than \(font.glyphWidth)")
            let ink = rows.reduce(0) { $0 + $1.nonzeroBitCount }
            if code == 32 {
                #expect(ink == 0)
            } else {
                #expect(ink > 0, "glyph for \(character) has no ink")
            }
        }
    }

    @Test func glyphsAreDistinct() {
        var seen: [[UInt8]: Character] = [:]
        for code in 33...126 {
            let character = Character(Unicode.Scalar(UInt8(code)))
            let rows = font.glyph(for: character)
            #expect(seen[rows] == nil, "\(character) looks like \(seen[rows].map(String.init) ?? "")")
            seen[rows] = character
        }
    }

    @Test func unknownCharactersUseTheReplacementBox() {
        #expect(!font.hasGlyph(for: "é"))
        #expect(font.glyph(for: "é") == font.glyph(for: "😀"))
        #expect(font.glyph(for: "é").contains { $0 != 0 })
        #expect(font.hasGlyph(for: BitmapFont.ellipsis))
    }

    @Test func textWidthAndTruncation() {
        #expect(font.width(of: "") == 0)
        #expect(font.width(of: "A") == 5)
        #expect(font.width(of: "AB", scale: 2) == 22)
        #expect(font.truncated("Sneaker", toWidth: 100) == "Sneaker")
        let cut = font.truncated("T-shirt/top 87%", toWidth: 50)
        #expect(cut.hasSuffix("\u{2026}"))
        #expect(font.width(of: cut) <= 50)
        #expect(cut.count == font.maxGlyphs(inWidth: 50))
        #expect(font.truncated("Bag", toWidth: 3) == "")
    }

    @Test(arguments: [1, 2, 3])
    func drawingTextChangesPixelsOnlyInsideItsBox(scale: Int) throws {
        let text = "Ankle boot 97% (gjpqy)"
        var image = try RGBAImage(width: 400, height: 60)
        let originX = 7, originY = 11
        try image.drawText(text, x: originX, y: originY, color: .black, scale: scale)
        let boxWidth = font.width(of: text, scale: scale)
        let boxHeight = font.glyphHeight * scale
        var inkInside = 0
        for y in 0..<image.height {
            for x in 0..<image.width {
                let inside = x >= originX && x < originX + boxWidth && y >= originY && y < originY + boxHeight
                let inked = image.pixel(x: x, y: y) != .white
                if inked && !inside { Issue.record("ink outside text box at (\(x), \(y))") }
                if inked { inkInside += 1 }
            }
        }
        #expect(inkInside > 100 * scale * scale)
        // Descenders reach below the cap height; the first and last columns are used.
        let descenderRow = originY + (font.capHeight + 1) * scale
        #expect((originX..<(originX + boxWidth)).contains { image.pixel(x: $0, y: descenderRow) != .white })
        #expect((originY..<(originY + boxHeight)).contains { image.pixel(x: originX, y: $0) != .white })
    }

    @Test func newlineStartsANewLine() throws {
        var image = try RGBAImage(width: 40, height: 30)
        try image.drawText("I\nI", x: 0, y: 0, color: .black)
        #expect(image.pixel(x: 2, y: 0) == .black)
        #expect(image.pixel(x: 2, y: font.lineHeight) == .black)
        #expect(image.pixel(x: 8, y: 0) == .white)  // second "I" is not on the first line
        #expect(throws: PlotError.invalidScale(-1)) { try image.drawText("x", x: 0, y: 0, color: .black, scale: -1) }
    }
}
