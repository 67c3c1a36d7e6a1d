/// Encodes images as PNG files (8 bits per channel, no interlacing).
///
/// The file is the PNG signature, an `IHDR` chunk, one `IDAT` chunk holding
/// the zlib-deflated, filtered scanlines, and `IEND`. Every chunk carries a
/// CRC-32 computed with zlib.
package enum PNG {
    /// How scanlines are filtered before compression.
    package enum Filtering: Sendable {
        /// Filter type 0 on every row: fastest, larger files.
        case none
        /// Per row, the filter (None, Sub, Up, Average, Paeth) with the smallest
        /// sum of absolute differences: usually much smaller files.
        case adaptive
    }

    /// The eight bytes every PNG file starts with.
    package static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Encodes an RGBA image as a colour-type-6 (truecolour with alpha) PNG.
    ///
    /// - Parameters:
    ///   - filtering: scanline filter strategy; `.adaptive` by default.
    ///   - compressionLevel: zlib level 0 (store) … 9 (smallest), or -1 for zlib's default.
    /// - Throws: ``PlotError/compressionFailed(code:message:)`` when zlib fails,
    ///   for example with a compression level outside -1…9.
    package static func encode(_ image: RGBAImage, filtering: Filtering = .adaptive,
                              compressionLevel: Int = 6) throws(PlotError) -> [UInt8] {
        try encode(raw: image.pixels, width: image.width, height: image.height,
                   colorType: 6, bytesPerPixel: 4, filtering: filtering,
                   compressionLevel: compressionLevel)
    }

    /// Encodes a grayscale image as a colour-type-0 (8-bit greyscale) PNG.
    ///
    /// - Throws: ``PlotError/compressionFailed(code:message:)`` when zlib fails.
    package static func encode(_ image: GrayImage, filtering: Filtering = .adaptive,
                              compressionLevel: Int = 6) throws(PlotError) -> [UInt8] {
        try encode(raw: image.pixels, width: image.width, height: image.height,
                   colorType: 0, bytesPerPixel: 1, filtering: filtering,
                   compressionLevel: compressionLevel)
    }

    private static func encode(raw: [UInt8], width: Int, height: Int, colorType: UInt8,
                               bytesPerPixel: Int, filtering: Filtering,
                               compressionLevel: Int) throws(PlotError) -> [UInt8] {
        var header: [UInt8] = []
        appendBigEndian(UInt32(truncatingIfNeeded: width), to: &header)
        appendBigEndian(UInt32(truncatingIfNeeded: height), to: &header)
        header += [8, colorType, 0, 0, 0]  // bit depth, colour type, deflate, filter set 0, no interlace

        let filtered = PNGFilter.filterImage(raw, rowLength: width * bytesPerPixel, rowCount: height,
                                             bytesPerPixel: bytesPerPixel,
                                             adaptive: filtering == .adaptive)
        let compressed = try Zlib.compress(filtered, level: compressionLevel)

        var file = signature
        file.reserveCapacity(compressed.count + 64)
        appendChunk("IHDR", header, to: &file)
        appendChunk("IDAT", compressed, to: &file)
        appendChunk("IEND", [], to: &file)
        return file
    }

    /// Appends length, type, data and CRC-32 (over type and data) of one chunk.
    private static func appendChunk(_ type: String, _ data: [UInt8], to file: inout [UInt8]) {
        appendBigEndian(UInt32(truncatingIfNeeded: data.count), to: &file)
        let typeStart = file.count
        file.append(contentsOf: Array(type.utf8))
        file.append(contentsOf: data)
        appendBigEndian(Zlib.crc32(file[typeStart...]), to: &file)
    }

    private static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }
}
