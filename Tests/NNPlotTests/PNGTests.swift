import Testing
@testable import NNPlot

/// A deterministic RGBA test pattern with gradients, edges and varying alpha.
func testPattern(width: Int, height: Int) throws -> RGBAImage {
    var image = try RGBAImage(width: width, height: height, background: .white)
    for y in 0..<height {
        for x in 0..<width {
            let noise = UInt8(truncatingIfNeeded: (x &* 7919) ^ (y &* 104_729))
            image.setPixel(x: x, y: y, color: RGBAColor(
                red: UInt8(truncatingIfNeeded: x * 255 / max(width - 1, 1)),
                green: UInt8(truncatingIfNeeded: y * 255 / max(height - 1, 1)),
                blue: (x / 8 + y / 8) % 2 == 0 ? noise : 40, alpha: 255))
        }
    }
    image.fillRect(x: width / 4, y: height / 4, width: width / 2, height: height / 2,
                   color: RGBAColor(red: 200, green: 30, blue: 60, alpha: 255))
    return image
}

@Suite("PNG encoder")
struct PNGTests {
    @Test func signatureAndChunkLayout() throws {
        let image = try testPattern(width: 37, height: 21)
        let file = try PNG.encode(image)
        #expect(Array(file.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let chunks = try PNGReader.chunks(of: file)
        #expect(chunks.map(\.type) == ["IHDR", "IDAT", "IEND"])
        #expect(chunks.last?.data.isEmpty == true)
        for chunk in chunks {
            #expect(chunk.storedCRC == chunk.computedCRC, "CRC mismatch in \(chunk.type)")
        }
    }

    @Test func headerFields() throws {
        let file = try PNG.encode(try testPattern(width: 300, height: 7))
        let header = try #require(try PNGReader.chunks(of: file).first)
        #expect(header.type == "IHDR")
        #expect(header.data.count == 13)
        #expect(PNGReader.bigEndian32(header.data, at: 0) == 300)
        #expect(PNGReader.bigEndian32(header.data, at: 4) == 7)
        #expect(Array(header.data[8...]) == [8, 6, 0, 0, 0])  // depth, RGBA, deflate, filter 0, no interlace
    }

    @Test(arguments: [PNG.Filtering.none, .adaptive])
    func pixelsRoundTrip(filtering: PNG.Filtering) throws {
        let image = try testPattern(width: 53, height: 31)
        let decoded = try PNGReader.decode(try PNG.encode(image, filtering: filtering))
        #expect(decoded.width == 53 && decoded.height == 31 && decoded.colorType == 6)
        #expect(decoded.pixels == image.pixels)
    }

    @Test func unfilteredModeUsesFilterTypeZeroOnly() throws {
        let image = try testPattern(width: 16, height: 9)
        let chunks = try PNGReader.chunks(of: try PNG.encode(image, filtering: .none))
        let idat = chunks.filter { $0.type == "IDAT" }.flatMap(\.data)
        let filtered = try PNGReader.inflate(idat, expectedSize: 9 * (16 * 4 + 1))
        for row in 0..<9 { #expect(filtered[row * (16 * 4 + 1)] == 0) }
    }

    @Test func adaptiveFilteringUsesSeveralFilterTypesAndShrinksGradients() throws {
        var image = try RGBAImage(width: 200, height: 120)
        for y in 0..<120 {
            for x in 0..<200 {
                image.setPixel(x: x, y: y, color: RGBAColor(red: UInt8(x), green: UInt8(y * 2), blue: UInt8((x + y) / 2)))
            }
        }
        let plain = try PNG.encode(image, filtering: .none)
        let adaptive = try PNG.encode(image, filtering: .adaptive)
        #expect(adaptive.count < plain.count)
        let idat = try PNGReader.chunks(of: adaptive).filter { $0.type == "IDAT" }.flatMap(\.data)
        let filtered = try PNGReader.inflate(idat, expectedSize: 120 * (200 * 4 + 1))
        let types = Set((0..<120).map { filtered[$0 * (200 * 4 + 1)] })
        #expect(types.count >= 2)
        #expect(try PNGReader.decode(adaptive).pixels == image.pixels)
    }

    @Test func onePixelImage() throws {
        var image = try RGBAImage(width: 1, height: 1)
        image.setPixel(x: 0, y: 0, color: RGBAColor(red: 12, green: 34, blue: 56, alpha: 255))
        let file = try PNG.encode(image)
        let decoded = try PNGReader.decode(file)
        #expect(decoded.width == 1 && decoded.height == 1)
        #expect(decoded.pixels == [12, 34, 56, 255])
        for chunk in try PNGReader.chunks(of: file) { #expect(chunk.storedCRC == chunk.computedCRC) }
    }

    @Test func largeImage() throws {
        let image = try testPattern(width: 1500, height: 1100)
        let file = try PNG.encode(image)
        let decoded = try PNGReader.decode(file)
        #expect(decoded.width == 1500 && decoded.height == 1100)
        #expect(decoded.pixels == image.pixels)
    }

    @Test func translucentPixelsKeepTheirAlpha() throws {
        let image = try RGBAImage(width: 3, height: 2, background: RGBAColor(red: 1, green: 2, blue: 3, alpha: 77))
        let decoded = try PNGReader.decode(try PNG.encode(image))
        #expect(decoded.pixels == image.pixels)
        #expect(decoded.pixels[3] == 77)
    }

    @Test func grayscaleVariant() throws {
        let levels = (0..<(29 * 13)).map { UInt8(truncatingIfNeeded: $0 * 37) }
        let image = try GrayImage(width: 29, height: 13, pixels: levels)
        let file = try PNG.encode(image)
        let chunks = try PNGReader.chunks(of: file)
        #expect(chunks.map(\.type) == ["IHDR", "IDAT", "IEND"])
        for chunk in chunks { #expect(chunk.storedCRC == chunk.computedCRC) }
        #expect(Array(chunks[0].data[8...]) == [8, 0, 0, 0, 0])
        let decoded = try PNGReader.decode(file)
        #expect(decoded.colorType == 0 && decoded.width == 29 && decoded.height == 13)
        #expect(decoded.pixels == levels)
    }

    @Test func compressionLevelsChangeSizeNotContent() throws {
        let image = try testPattern(width: 64, height: 64)
        let stored = try PNG.encode(image, compressionLevel: 0)
        let best = try PNG.encode(image, compressionLevel: 9)
        #expect(best.count < stored.count)
        #expect(try PNGReader.decode(stored).pixels == image.pixels)
        #expect(try PNGReader.decode(best).pixels == image.pixels)
    }

    @Test func zlibErrorIsThrownWithMessage() throws {
        let image = try RGBAImage(width: 2, height: 2)
        let error = try #require(throws: PlotError.self) { try PNG.encode(image, compressionLevel: 42) }
        guard case .compressionFailed(_, let message) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(message.contains("42"))
        #expect(error.description.contains("zlib"))
    }
}
