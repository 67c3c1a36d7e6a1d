import Testing
@testable import NNPlot

@Suite("Raster images")
struct RGBAImageTests {
    @Test(arguments: [(0, 5), (5, 0), (-1, 3), (0, 0)])
    func zeroOrNegativeSizeIsRejected(size: (Int, Int)) {
        #expect(throws: PlotError.invalidImageSize(width: size.0, height: size.1)) {
            try RGBAImage(width: size.0, height: size.1)
        }
        #expect(throws: PlotError.invalidImageSize(width: size.0, height: size.1)) {
            try GrayImage(width: size.0, height: size.1, pixels: [])
        }
    }

    @Test func absurdSizeIsRejectedWithoutAllocating() {
        #expect(throws: PlotError.imageTooLarge(width: 1 << 40, height: 1 << 40)) {
            try RGBAImage(width: 1 << 40, height: 1 << 40)
        }
        #expect(throws: PlotError.imageTooLarge(width: 100_000, height: 100_000)) {
            try RGBAImage(width: 100_000, height: 100_000)
        }
    }

    @Test func pixelBufferSizeIsChecked() throws {
        let error = try #require(throws: PlotError.self) { try RGBAImage(width: 2, height: 2, pixels: [1, 2, 3]) }
        #expect(error == .pixelCountMismatch(expected: 16, actual: 3))
        #expect(error.description.contains("16"))
    }

    @Test func fillRectClipsToBounds() throws {
        var image = try RGBAImage(width: 10, height: 8)
        image.fillRect(x: -5, y: 6, width: 8, height: 100, color: .black)
        for y in 0..<8 {
            for x in 0..<10 {
                let inside = x < 3 && y >= 6
                #expect(image.pixel(x: x, y: y) == (inside ? .black : .white))
            }
        }
        image.fillRect(x: Int.max - 2, y: 0, width: Int.max, height: 3, color: .black)  // no trap
        #expect(image.pixel(x: 10, y: 0) == nil)
    }

    @Test func strokeRectDrawsOnlyTheBorder() throws {
        var image = try RGBAImage(width: 12, height: 12)
        image.strokeRect(x: 2, y: 3, width: 8, height: 6, color: .black, lineWidth: 2)
        #expect(image.pixel(x: 2, y: 3) == .black)
        #expect(image.pixel(x: 9, y: 8) == .black)
        #expect(image.pixel(x: 3, y: 4) == .black)
        #expect(image.pixel(x: 4, y: 5) == .white)  // interior
        #expect(image.pixel(x: 1, y: 3) == .white)  // outside
        #expect(image.pixel(x: 10, y: 8) == .white)
    }

    @Test func grayBlitScalesWithNearestNeighbour() throws {
        let gray = try GrayImage(width: 2, height: 2, pixels: [0, 255, 128, 64])
        var image = try RGBAImage(width: 10, height: 10, background: RGBAColor(red: 1, green: 2, blue: 3))
        try image.drawGrayImage(gray, x: 1, y: 2, scale: 3)
        #expect(image.pixel(x: 1, y: 2) == RGBAColor(gray: 0))
        #expect(image.pixel(x: 3, y: 4) == RGBAColor(gray: 0))
        #expect(image.pixel(x: 4, y: 2) == RGBAColor(gray: 255))
        #expect(image.pixel(x: 6, y: 7) == RGBAColor(gray: 64))
        #expect(image.pixel(x: 1, y: 5) == RGBAColor(gray: 128))
        #expect(image.pixel(x: 7, y: 7) == RGBAColor(red: 1, green: 2, blue: 3))
        #expect(image.pixel(x: 0, y: 2) == RGBAColor(red: 1, green: 2, blue: 3))
        try image.drawGrayImage(gray, x: 0, y: 0, scale: 1, invert: true)
        #expect(image.pixel(x: 0, y: 0) == RGBAColor(gray: 255))
        #expect(throws: PlotError.invalidScale(0)) { try image.drawGrayImage(gray, x: 0, y: 0, scale: 0) }
    }

    @Test func floatSamplesAreClampedAndNaNIsBlack() throws {
        let gray = try GrayImage(width: 4, height: 1, values: [-1, 0.5, 2, .nan])
        #expect(gray.pixels == [0, 128, 255, 0])
    }

    @Test func translucentFillBlends() throws {
        var image = try RGBAImage(width: 1, height: 1, background: .white)
        image.fillRect(x: 0, y: 0, width: 1, height: 1, color: RGBAColor(red: 0, green: 0, blue: 0, alpha: 128))
        let pixel = try #require(image.pixel(x: 0, y: 0))
        #expect((126...129).contains(pixel.red))
        #expect(pixel.alpha == 255)
    }
}
