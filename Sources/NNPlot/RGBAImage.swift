/// An 8-bit RGBA raster image with the few drawing primitives NNPlot needs.
///
/// Pixels are stored row by row, top row first, four bytes per pixel in the
/// order red, green, blue, alpha. Coordinates are integers with the origin at
/// the top-left corner; every drawing operation clips to the image bounds.
package struct RGBAImage: Equatable, Sendable {
    /// Width in pixels (at least 1).
    package let width: Int
    /// Height in pixels (at least 1).
    package let height: Int
    /// `width × height × 4` bytes: R, G, B, A for each pixel, row-major.
    package private(set) var pixels: [UInt8]

    /// Creates an image filled with one colour (white by default).
    ///
    /// - Throws: ``PlotError/invalidImageSize(width:height:)`` when a side is
    ///   zero or negative, ``PlotError/imageTooLarge(width:height:)`` when the
    ///   buffer would exceed ``GrayImage/maximumByteCount``.
    package init(width: Int, height: Int, background: RGBAColor = .white) throws(PlotError) {
        let count = try GrayImage.pixelCount(width: width, height: height, channels: 4)
        self.width = width
        self.height = height
        var buffer = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            buffer[index] = background.red
            buffer[index + 1] = background.green
            buffer[index + 2] = background.blue
            buffer[index + 3] = background.alpha
            index += 4
        }
        self.pixels = buffer
    }

    /// Creates an image from an existing RGBA byte buffer.
    ///
    /// - Throws: ``PlotError/invalidImageSize(width:height:)`` for a zero or
    ///   negative side, ``PlotError/pixelCountMismatch(expected:actual:)`` when
    ///   `pixels.count != width × height × 4`.
    package init(width: Int, height: Int, pixels: [UInt8]) throws(PlotError) {
        let expected = try GrayImage.pixelCount(width: width, height: height, channels: 4)
        guard pixels.count == expected else {
            throw PlotError.pixelCountMismatch(expected: expected, actual: pixels.count)
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The colour at column `x`, row `y`, or `nil` outside the image.
    package func pixel(x: Int, y: Int) -> RGBAColor? {
        guard x >= 0, y >= 0, x < width, y < height else { return nil }
        let index = (y * width + x) * 4
        return RGBAColor(red: pixels[index], green: pixels[index + 1],
                         blue: pixels[index + 2], alpha: pixels[index + 3])
    }

    /// Paints one pixel; points outside the image are ignored.
    ///
    /// An opaque colour replaces the pixel; a translucent one is composited
    /// over it ("source over").
    package mutating func setPixel(x: Int, y: Int, color: RGBAColor) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        write(color, at: (y * width + x) * 4)
    }

    /// Fills the rectangle with top-left corner (`x`, `y`) and the given size.
    ///
    /// Parts outside the image are clipped; an empty or negative size draws nothing.
    package mutating func fillRect(x: Int, y: Int, width rectWidth: Int, height rectHeight: Int,
                                  color: RGBAColor) {
        let x0 = max(x, 0), y0 = max(y, 0)
        let x1 = min(x.addingClamped(rectWidth), width)
        let y1 = min(y.addingClamped(rectHeight), height)
        guard x0 < x1, y0 < y1 else { return }
        for row in y0..<y1 {
            var index = (row * width + x0) * 4
            for _ in x0..<x1 {
                write(color, at: index)
                index += 4
            }
        }
    }

    /// Draws the outline of a rectangle, `lineWidth` pixels thick, inside its bounds.
    package mutating func strokeRect(x: Int, y: Int, width rectWidth: Int, height rectHeight: Int,
                                    color: RGBAColor, lineWidth: Int = 1) {
        guard rectWidth > 0, rectHeight > 0, lineWidth > 0 else { return }
        let line = min(lineWidth, (min(rectWidth, rectHeight) + 1) / 2)
        fillRect(x: x, y: y, width: rectWidth, height: line, color: color)
        fillRect(x: x, y: y + rectHeight - line, width: rectWidth, height: line, color: color)
        fillRect(x: x, y: y + line, width: line, height: rectHeight - 2 * line, color: color)
        fillRect(x: x + rectWidth - line, y: y + line, width: line,
                 height: rectHeight - 2 * line, color: color)
    }

    /// Copies a grayscale image into this one, enlarged `scale` times by
    /// repeating pixels (nearest neighbour), with its top-left corner at (`x`, `y`).
    ///
    /// - Parameter invert: draw 255 as black and 0 as white (dark ink on a
    ///   light background, like matplotlib's `binary` colour map).
    /// - Throws: ``PlotError/invalidScale(_:)`` unless `1 <= scale <= maximumScale`.
    package mutating func drawGrayImage(_ image: GrayImage, x: Int, y: Int, scale: Int = 1,
                                       invert: Bool = false) throws(PlotError) {
        try RGBAImage.validate(scale: scale)
        for sourceY in 0..<image.height {
            for sourceX in 0..<image.width {
                let raw = image.pixels[sourceY * image.width + sourceX]
                let level = invert ? 255 - raw : raw
                fillRect(x: x + sourceX * scale, y: y + sourceY * scale,
                         width: scale, height: scale, color: RGBAColor(gray: level))
            }
        }
    }

    /// The largest integer scale factor accepted by drawing operations.
    package static let maximumScale = 1024

    /// Throws ``PlotError/invalidScale(_:)`` unless `1 <= scale <= maximumScale`.
    static func validate(scale: Int) throws(PlotError) {
        guard scale >= 1, scale <= maximumScale else { throw PlotError.invalidScale(scale) }
    }

    /// Writes `color` at byte offset `index`, compositing when it is translucent.
    private mutating func write(_ color: RGBAColor, at index: Int) {
        if color.alpha == 255 {
            pixels[index] = color.red
            pixels[index + 1] = color.green
            pixels[index + 2] = color.blue
            pixels[index + 3] = 255
            return
        }
        if color.alpha == 0 { return }
        let sourceAlpha = Int(color.alpha)
        let destinationAlpha = Int(pixels[index + 3])
        // Result alpha scaled by 255: a_s + a_d (1 - a_s).
        let outAlpha255 = sourceAlpha * 255 + destinationAlpha * (255 - sourceAlpha)
        guard outAlpha255 > 0 else { return }
        func mix(_ source: UInt8, _ destination: UInt8) -> UInt8 {
            let numerator = Int(source) * sourceAlpha * 255
                + Int(destination) * destinationAlpha * (255 - sourceAlpha)
            return UInt8(min(255, (numerator + outAlpha255 / 2) / outAlpha255))
        }
        pixels[index] = mix(color.red, pixels[index])
        pixels[index + 1] = mix(color.green, pixels[index + 1])
        pixels[index + 2] = mix(color.blue, pixels[index + 2])
        pixels[index + 3] = UInt8(min(255, (outAlpha255 + 127) / 255))
    }
}

extension Int {
    /// `self + other`, clamped to `Int.min…Int.max` instead of trapping.
    func addingClamped(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        if overflow { return other > 0 ? Int.max : Int.min }
        return sum
    }
}
