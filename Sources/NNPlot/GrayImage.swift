/// An 8-bit grayscale image stored row by row, top row first.
///
/// A value of 0 is black and 255 is white, as in Fashion-MNIST's raw bytes.
package struct GrayImage: Equatable, Sendable {
    /// Width in pixels (at least 1).
    package let width: Int
    /// Height in pixels (at least 1).
    package let height: Int
    /// `width × height` grey levels, row-major.
    package private(set) var pixels: [UInt8]

    /// Creates an image from raw grey levels.
    ///
    /// - Throws: ``PlotError/invalidImageSize(width:height:)`` when a side is
    ///   not positive, ``PlotError/pixelCountMismatch(expected:actual:)`` when
    ///   `pixels.count != width × height`.
    package init(width: Int, height: Int, pixels: [UInt8]) throws(PlotError) {
        let expected = try GrayImage.pixelCount(width: width, height: height)
        guard pixels.count == expected else {
            throw PlotError.pixelCountMismatch(expected: expected, actual: pixels.count)
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Creates an image from intensities in 0…1 (values outside are clamped,
    /// NaN becomes 0), as produced by dividing Fashion-MNIST bytes by 255.
    ///
    /// - Throws: the same errors as ``init(width:height:pixels:)``.
    package init(width: Int, height: Int, values: [Float]) throws(PlotError) {
        let bytes = values.map { value -> UInt8 in
            guard value.isFinite else { return value == .infinity ? 255 : 0 }
            let clamped = min(max(value, 0), 1)
            return UInt8((clamped * 255).rounded())
        }
        try self.init(width: width, height: height, pixels: bytes)
    }

    /// Creates an image of one uniform grey level.
    ///
    /// - Throws: ``PlotError/invalidImageSize(width:height:)`` for a zero or
    ///   negative side, ``PlotError/imageTooLarge(width:height:)`` on overflow.
    package init(width: Int, height: Int, level: UInt8 = 0) throws(PlotError) {
        let count = try GrayImage.pixelCount(width: width, height: height)
        self.width = width
        self.height = height
        self.pixels = [UInt8](repeating: level, count: count)
    }

    /// The grey level at column `x`, row `y`, or `nil` outside the image.
    package func pixel(x: Int, y: Int) -> UInt8? {
        guard x >= 0, y >= 0, x < width, y < height else { return nil }
        return pixels[y * width + x]
    }

    /// Sets the grey level at column `x`, row `y`; points outside are ignored.
    package mutating func setPixel(x: Int, y: Int, to level: UInt8) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        pixels[y * width + x] = level
    }

    /// The largest pixel buffer, in bytes, that NNPlot agrees to allocate (1 GiB).
    package static let maximumByteCount = 1 << 30

    /// Validates a size and returns `width × height × channels`, guarding
    /// against overflow and absurd allocations.
    static func pixelCount(width: Int, height: Int, channels: Int = 1) throws(PlotError) -> Int {
        guard width > 0, height > 0 else {
            throw PlotError.invalidImageSize(width: width, height: height)
        }
        let (area, overflow1) = width.multipliedReportingOverflow(by: height)
        let (bytes, overflow2) = area.multipliedReportingOverflow(by: channels)
        // PNG stores sides as 31-bit integers.
        guard !overflow1, !overflow2, bytes <= maximumByteCount,
              width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw PlotError.imageTooLarge(width: width, height: height)
        }
        return bytes
    }
}
