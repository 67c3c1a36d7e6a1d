import Testing
@testable import NNPlot

/// Whether a pixel is clearly red (the wrong-prediction colour), not blue, grey or white.
func isReddish(_ color: RGBAColor) -> Bool {
    Int(color.red) > 150 && Int(color.red) > Int(color.green) + 80 && Int(color.red) > Int(color.blue) + 80
}

@Suite("Image grid")
struct ImageGridTests {
    @Test func twentyFiveImagesAtScaleThreeMakeAFiveByFiveGrid() throws {
        let samples = FashionSamples.gridSamples()
        let options = ImageGrid.Options(scale: 3)
        let image = try ImageGrid.render(images: samples.images, width: 28, height: 28,
                                         captions: samples.captions, verdicts: samples.verdicts, options: options)
        let layout = try ImageGrid.layout(count: 25, width: 28, height: 28, captionLines: 2, options: options)
        #expect(layout.columns == 5 && layout.rows == 5)
        #expect(layout.imageWidth == 84 && layout.imageHeight == 84)
        #expect(image.width == layout.totalWidth && image.height == layout.totalHeight)
        #expect(image.width == 5 * layout.cellWidth && image.height == 5 * layout.cellHeight)
        // Room for the enlarged image plus two caption lines of the 10-pixel font.
        #expect(layout.cellWidth >= 84 && layout.cellHeight >= 84 + 2 * BitmapFont.standard.lineHeight)
    }

    @Test func columnsCanBeChosenAndLastRowMayBePartial() throws {
        let images = (0..<7).map { FashionSamples.image(classIndex: $0, variant: $0) }
        let image = try ImageGrid.render(images: images, width: 28, height: 28,
                                         options: ImageGrid.Options(columns: 3, scale: 2))
        let layout = try ImageGrid.layout(count: 7, width: 28, height: 28, captionLines: 0,
                                          options: ImageGrid.Options(columns: 3, scale: 2))
        #expect(layout.columns == 3 && layout.rows == 3)
        #expect(image.width == layout.totalWidth && image.height == layout.totalHeight)
        // More columns than images collapses to one row.
        let wide = try ImageGrid.layout(count: 2, width: 28, height: 28, captionLines: 0,
                                        options: ImageGrid.Options(columns: 10))
        #expect(wide.columns == 2 && wide.rows == 1)
    }

    @Test func sampleImagePixelsAreScaledIntoTheirCell() throws {
        let bytes = (0..<(28 * 28)).map { UInt8(truncatingIfNeeded: $0) }
        let grid = try ImageGrid.render(images: [bytes], width: 28, height: 28)
        let layout = try ImageGrid.layout(count: 1, width: 28, height: 28, captionLines: 0)
        let origin = layout.imageOrigin(ofCell: 0)
        for (sx, sy) in [(0, 0), (27, 0), (5, 9), (27, 27)] {
            let expected = RGBAColor(gray: bytes[sy * 28 + sx])
            #expect(grid.pixel(x: origin.x + sx * 3, y: origin.y + sy * 3) == expected)
            #expect(grid.pixel(x: origin.x + sx * 3 + 2, y: origin.y + sy * 3 + 2) == expected)
        }
    }

    @Test func wrongCellContainsRedAndCorrectCellDoesNot() throws {
        let images = [FashionSamples.image(classIndex: 6, variant: 1), FashionSamples.image(classIndex: 6, variant: 2)]
        let grid = try ImageGrid.render(images: images, width: 28, height: 28,
                                        captions: [["Shirt 87%", "Shirt"], ["T-shirt/top 61%", "Shirt"]],
                                        verdicts: [.correct, .wrong], options: ImageGrid.Options(columns: 2))
        let layout = try ImageGrid.layout(count: 2, width: 28, height: 28, captionLines: 2,
                                          options: ImageGrid.Options(columns: 2))
        func redPixels(inCell column: Int) -> Int {
            var count = 0
            for y in 0..<layout.cellHeight {
                for x in (column * layout.cellWidth)..<((column + 1) * layout.cellWidth) {
                    if let pixel = grid.pixel(x: x, y: y), isReddish(pixel) { count += 1 }
                }
            }
            return count
        }
        #expect(redPixels(inCell: 0) == 0)
        #expect(redPixels(inCell: 1) > 100)
        // The correct cell is framed in blue.
        let origin = layout.imageOrigin(ofCell: 0)
        #expect(grid.pixel(x: origin.x - 1, y: origin.y - 1) == .correctBlue)
    }

    @Test func longCaptionsAreTruncatedWithinTheirCell() throws {
        let images = (0..<3).map { FashionSamples.image(classIndex: $0, variant: 0) }
        let long = "Ankle boot 100% (really a very long caption)"
        let grid = try ImageGrid.render(images: images, width: 28, height: 28,
                                        captions: [[long], [long], [long]], verdicts: [.wrong, .wrong, .wrong],
                                        options: ImageGrid.Options(columns: 3))
        let layout = try ImageGrid.layout(count: 3, width: 28, height: 28, captionLines: 1,
                                          options: ImageGrid.Options(columns: 3))
        let captionTop = layout.captionOrigin(ofCell: 0).y
        // Between neighbouring cells (2 pixels either side of each border) no caption ink appears.
        for border in 1..<3 {
            for x in (border * layout.cellWidth - 2)..<(border * layout.cellWidth + 2) {
                for y in captionTop..<layout.cellHeight {
                    #expect(grid.pixel(x: x, y: y) == .white, "caption ink at (\(x), \(y))")
                }
            }
        }
        // The caption area is used right up to its margin: the text was cut, not dropped.
        let font = BitmapFont.standard
        let cut = font.truncated(long, toWidth: layout.captionWidth)
        #expect(cut.hasSuffix("\u{2026}") && cut.count > 10)
    }

    @Test func mismatchedPixelCountIsAThrownError() throws {
        var images = (0..<4).map { FashionSamples.image(classIndex: $0, variant: 0) }
        images[2].removeLast()
        let error = try #require(throws: PlotError.self) {
            try ImageGrid.render(images: images, width: 28, height: 28)
        }
        #expect(error == .samplePixelCountMismatch(index: 2, expected: 784, actual: 783))
        #expect(error.description.contains("image 2"))
        #expect(throws: PlotError.samplePixelCountMismatch(index: 0, expected: 784, actual: 3)) {
            try ImageGrid.render(images: [[UInt8](repeating: 0, count: 3)], width: 28, height: 28)
        }
    }

    @Test func badGridInputsAreThrownErrors() throws {
        let one = [FashionSamples.image(classIndex: 0, variant: 0)]
        #expect(throws: PlotError.emptyInput("the list of images")) {
            try ImageGrid.render(images: [[Float]](), width: 28, height: 28)
        }
        #expect(throws: PlotError.invalidImageSize(width: 0, height: 28)) {
            try ImageGrid.render(images: one, width: 0, height: 28)
        }
        #expect(throws: PlotError.countMismatch(what: "number of captions (one list per image)", expected: 1, actual: 2)) {
            try ImageGrid.render(images: one, width: 28, height: 28, captions: [["a"], ["b"]])
        }
        #expect(throws: PlotError.countMismatch(what: "number of verdicts (one per image)", expected: 1, actual: 2)) {
            try ImageGrid.render(images: one, width: 28, height: 28, verdicts: [.correct, .wrong])
        }
        #expect(throws: PlotError.invalidScale(0)) {
            try ImageGrid.render(images: one, width: 28, height: 28, options: ImageGrid.Options(scale: 0))
        }
        #expect(throws: PlotError.self) {
            try ImageGrid.render(images: one, width: 28, height: 28, options: ImageGrid.Options(columns: 0))
        }
    }

    @Test func gridEncodesAsPNG() throws {
        let samples = FashionSamples.gridSamples()
        let grid = try ImageGrid.render(images: samples.images, width: 28, height: 28,
                                        captions: samples.captions, verdicts: samples.verdicts)
        let decoded = try PNGReader.decode(try PNG.encode(grid))
        #expect(decoded.pixels == grid.pixels)
    }
}
