/// Lays out grayscale samples (such as 28×28 Fashion-MNIST images) in a grid
/// with captions underneath, like the TensorFlow tutorial's `plot_image`.
///
/// Each cell holds one image enlarged by an integer factor, framed in the
/// cell's verdict colour, and up to a few caption lines below it. The first
/// caption line is drawn in the verdict colour (blue for a correct
/// prediction, red for a wrong one), later lines in dark grey. Captions wider
/// than the cell are cut and end in "…", so neighbouring cells never overlap.
package enum ImageGrid {
    /// Whether a sample was classified correctly; selects the cell's colour.
    package enum Verdict: Sendable, Equatable {
        /// Prediction equals the true label: blue frame and first caption line.
        case correct
        /// Prediction differs from the true label: red frame and first caption line.
        case wrong
        /// No judgement (e.g. unlabelled data): grey frame, dark text.
        case neutral
    }

    /// Appearance and layout settings of a grid.
    package struct Options: Sendable {
        /// Number of columns; `nil` chooses ⌈√n⌉ for a near-square grid.
        package var columns: Int?
        /// Integer enlargement of each image (nearest neighbour).
        package var scale: Int
        /// Integer enlargement of the caption font.
        package var textScale: Int
        /// Blank space, in output pixels, around each cell's content.
        package var padding: Int
        /// Draw light images on dark (false, the raw data) or dark on light (true).
        package var invert: Bool
        /// Page background.
        package var background: RGBAColor
        /// Colour of correct cells.
        package var correctColor: RGBAColor
        /// Colour of wrong cells.
        package var wrongColor: RGBAColor
        /// Frame colour of neutral cells.
        package var neutralColor: RGBAColor
        /// Colour of neutral first lines and of all later caption lines.
        package var textColor: RGBAColor

        /// Creates options; every parameter has a sensible default for 28×28 samples.
        package init(columns: Int? = nil, scale: Int = 3, textScale: Int = 1, padding: Int = 6,
                    invert: Bool = false, background: RGBAColor = .white,
                    correctColor: RGBAColor = .correctBlue, wrongColor: RGBAColor = .wrongRed,
                    neutralColor: RGBAColor = RGBAColor(gray: 0x99),
                    textColor: RGBAColor = .textGray) {
            self.columns = columns
            self.scale = scale
            self.textScale = textScale
            self.padding = padding
            self.invert = invert
            self.background = background
            self.correctColor = correctColor
            self.wrongColor = wrongColor
            self.neutralColor = neutralColor
            self.textColor = textColor
        }
    }

    /// Pixel geometry of a grid, as used by ``render(images:captions:verdicts:options:)``.
    package struct Layout: Equatable, Sendable {
        /// Number of columns and rows of cells.
        package let columns: Int, rows: Int
        /// Size of one cell including its padding.
        package let cellWidth: Int, cellHeight: Int
        /// Size of one enlarged image inside a cell.
        package let imageWidth: Int, imageHeight: Int
        /// Width of the coloured frame drawn around each image.
        package let frameWidth: Int
        /// Number of caption lines reserved under every image.
        package let captionLines: Int
        /// Size of the whole picture: `columns × cellWidth` by `rows × cellHeight`.
        package var totalWidth: Int { columns * cellWidth }
        /// See ``totalWidth``.
        package var totalHeight: Int { rows * cellHeight }

        /// Blank space plus frame between a cell's edge and its image.
        package var margin: Int { (cellWidth - imageWidth) / 2 }
        /// Width available to a caption line: the cell less 2 pixels on each side.
        package var captionWidth: Int { cellWidth - 4 }

        /// Top-left corner of the enlarged image in cell `index` (row-major order).
        package func imageOrigin(ofCell index: Int) -> (x: Int, y: Int) {
            let column = index % columns, row = index / columns
            return (column * cellWidth + margin, row * cellHeight + margin)
        }

        /// Top-left corner of the caption area (``captionWidth`` wide) in cell `index`.
        package func captionOrigin(ofCell index: Int) -> (x: Int, y: Int) {
            let image = imageOrigin(ofCell: index)
            return ((index % columns) * cellWidth + 2, image.y + imageHeight + frameWidth + 4)
        }
    }

    /// Computes the layout for `count` images of `width × height` pixels with
    /// `captionLines` caption lines each.
    ///
    /// - Throws: ``PlotError`` for an empty batch, a non-positive size, an
    ///   invalid scale or column count, or a picture too large to allocate.
    package static func layout(count: Int, width: Int, height: Int, captionLines: Int,
                              options: Options = Options()) throws(PlotError) -> Layout {
        guard count > 0 else { throw PlotError.emptyInput("the list of images") }
        _ = try GrayImage.pixelCount(width: width, height: height)
        try RGBAImage.validate(scale: options.scale)
        try RGBAImage.validate(scale: options.textScale)
        guard options.padding >= 0, options.padding <= 10_000 else {
            throw PlotError.invalidLayout("padding \(options.padding) must be between 0 and 10000")
        }
        let columns = options.columns ?? defaultColumns(for: count)
        guard columns >= 1 else {
            throw PlotError.invalidLayout("column count \(columns) must be at least 1")
        }
        let usedColumns = min(columns, count)
        let rows = (count + usedColumns - 1) / usedColumns
        let font = BitmapFont.standard
        let (imageWidth, overflowW) = width.multipliedReportingOverflow(by: options.scale)
        let (imageHeight, overflowH) = height.multipliedReportingOverflow(by: options.scale)
        guard !overflowW, !overflowH else { throw PlotError.imageTooLarge(width: width, height: height) }
        let frame = max(1, options.scale - 1)
        let lineHeight = font.lineHeight * options.textScale
        let captionHeight = captionLines > 0 ? 4 + captionLines * lineHeight : 0
        let margin = options.padding + frame
        let cellWidth = imageWidth + 2 * margin
        let cellHeight = imageHeight + 2 * margin + captionHeight
        let layout = Layout(columns: usedColumns, rows: rows, cellWidth: cellWidth,
                            cellHeight: cellHeight, imageWidth: imageWidth, imageHeight: imageHeight,
                            frameWidth: frame, captionLines: captionLines)
        // Check the total size the same way RGBAImage will, before multiplying blindly.
        let (totalWidth, overflowX) = usedColumns.multipliedReportingOverflow(by: cellWidth)
        let (totalHeight, overflowY) = rows.multipliedReportingOverflow(by: cellHeight)
        guard !overflowX, !overflowY else { throw PlotError.imageTooLarge(width: cellWidth, height: cellHeight) }
        _ = try GrayImage.pixelCount(width: totalWidth, height: totalHeight, channels: 4)
        return layout
    }

    /// Renders grayscale images given as intensities in 0…1 (Fashion-MNIST
    /// bytes divided by 255), each `width × height` pixels, row-major.
    ///
    /// - Parameters:
    ///   - captions: per image, zero or more lines (e.g. `["Shirt 87%", "T-shirt/top"]`);
    ///     either empty or one entry per image.
    ///   - verdicts: per image, either empty (all neutral) or one entry per image.
    /// - Throws: ``PlotError/samplePixelCountMismatch(index:expected:actual:)``
    ///   when an image's pixel count is not `width × height`, and the errors
    ///   listed at ``render(images:captions:verdicts:options:)``.
    package static func render(images: [[Float]], width: Int, height: Int,
                              captions: [[String]] = [], verdicts: [Verdict] = [],
                              options: Options = Options()) throws(PlotError) -> RGBAImage {
        let samples = try grayImages(images, width: width, height: height) { (values) throws(PlotError) in try GrayImage(width: width, height: height, values: values) }
        return try render(images: samples, captions: captions, verdicts: verdicts, options: options)
    }

    /// Renders grayscale images given as bytes (0 = black, 255 = white),
    /// each `width × height` pixels, row-major.
    ///
    /// - Throws: the same errors as the `[[Float]]` variant.
    package static func render(images: [[UInt8]], width: Int, height: Int,
                              captions: [[String]] = [], verdicts: [Verdict] = [],
                              options: Options = Options()) throws(PlotError) -> RGBAImage {
        let samples = try grayImages(images, width: width, height: height) { (pixels) throws(PlotError) in try GrayImage(width: width, height: height, pixels: pixels) }
        return try render(images: samples, captions: captions, verdicts: verdicts, options: options)
    }

    /// Checks that every image has `width × height` pixels and builds it with `make`.
    private static func grayImages<Pixels: Collection>(_ images: [Pixels], width: Int, height: Int,
                                                       make: (Pixels) throws(PlotError) -> GrayImage) throws(PlotError) -> [GrayImage] {
        let expected = try GrayImage.pixelCount(width: width, height: height)
        var samples: [GrayImage] = []
        samples.reserveCapacity(images.count)
        for (index, pixels) in images.enumerated() {
            guard pixels.count == expected else {
                throw PlotError.samplePixelCountMismatch(index: index, expected: expected, actual: pixels.count)
            }
            samples.append(try make(pixels))
        }
        return samples
    }

    /// Renders already-built grayscale images; all must have the same size.
    ///
    /// - Throws: ``PlotError/emptyInput(_:)`` for no images;
    ///   ``PlotError/samplePixelCountMismatch(index:expected:actual:)`` when an
    ///   image's size differs from the first one's;
    ///   ``PlotError/countMismatch(what:expected:actual:)`` when `captions` or
    ///   `verdicts` is neither empty nor one per image; ``PlotError/invalidScale(_:)``
    ///   and ``PlotError/invalidLayout(_:)`` for bad options.
    package static func render(images: [GrayImage], captions: [[String]] = [],
                              verdicts: [Verdict] = [], options: Options = Options()) throws(PlotError) -> RGBAImage {
        guard let first = images.first else { throw PlotError.emptyInput("the list of images") }
        for (index, image) in images.enumerated()
        where image.width != first.width || image.height != first.height {
            throw PlotError.samplePixelCountMismatch(index: index, expected: first.width * first.height,
                                                     actual: image.width * image.height)
        }
        guard captions.isEmpty || captions.count == images.count else {
            throw PlotError.countMismatch(what: "number of captions (one list per image)",
                                          expected: images.count, actual: captions.count)
        }
        guard verdicts.isEmpty || verdicts.count == images.count else {
            throw PlotError.countMismatch(what: "number of verdicts (one per image)",
                                          expected: images.count, actual: verdicts.count)
        }
        let captionLines = captions.map(\.count).max() ?? 0
        let layout = try layout(count: images.count, width: first.width, height: first.height,
                                captionLines: captionLines, options: options)
        var canvas = try RGBAImage(width: layout.totalWidth, height: layout.totalHeight,
                                   background: options.background)
        let font = BitmapFont.standard
        let textWidth = layout.captionWidth
        for (index, image) in images.enumerated() {
            let verdict = verdicts.isEmpty ? .neutral : verdicts[index]
            let accent: RGBAColor
            switch verdict {
            case .correct: accent = options.correctColor
            case .wrong: accent = options.wrongColor
            case .neutral: accent = options.neutralColor
            }
            let origin = layout.imageOrigin(ofCell: index)
            canvas.strokeRect(x: origin.x - layout.frameWidth, y: origin.y - layout.frameWidth,
                              width: layout.imageWidth + 2 * layout.frameWidth,
                              height: layout.imageHeight + 2 * layout.frameWidth,
                              color: accent, lineWidth: layout.frameWidth)
            try canvas.drawGrayImage(image, x: origin.x, y: origin.y, scale: options.scale,
                                     invert: options.invert)
            guard !captions.isEmpty else { continue }
            let captionOrigin = layout.captionOrigin(ofCell: index)
            for (line, text) in captions[index].enumerated() {
                let fitted = font.truncated(singleLine(text), toWidth: textWidth, scale: options.textScale)
                let color = line == 0 && verdict != .neutral ? accent : options.textColor
                // Centre each line under the image.
                let offset = (textWidth - font.width(of: fitted, scale: options.textScale)) / 2
                try canvas.drawText(fitted, x: captionOrigin.x + offset,
                                    y: captionOrigin.y + line * font.lineHeight * options.textScale,
                                    color: color, scale: options.textScale, font: font)
            }
        }
        return canvas
    }

    /// ⌈√count⌉: the column count of a near-square grid.
    static func defaultColumns(for count: Int) -> Int {
        var columns = 1
        while columns * columns < count { columns += 1 }
        return columns
    }

    /// `text` with line breaks replaced by spaces, so one caption stays one line.
    private static func singleLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
