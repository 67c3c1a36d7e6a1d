/// An 8-bit-per-channel colour with straight (non-premultiplied) alpha.
package struct RGBAColor: Equatable, Hashable, Sendable {
    /// Red channel, 0…255.
    package var red: UInt8
    /// Green channel, 0…255.
    package var green: UInt8
    /// Blue channel, 0…255.
    package var blue: UInt8
    /// Alpha channel, 0 (transparent) … 255 (opaque).
    package var alpha: UInt8

    /// Creates a colour from its four channels; alpha defaults to opaque.
    package init(red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8 = 255) {
        self.red = red
        self.green = green
        self.blue = blue
        self.alpha = alpha
    }

    /// Creates an opaque grey with the given level (0 = black, 255 = white).
    package init(gray: UInt8) {
        self.init(red: gray, green: gray, blue: gray)
    }

    /// Opaque white.
    package static let white = RGBAColor(red: 255, green: 255, blue: 255)
    /// Opaque black.
    package static let black = RGBAColor(red: 0, green: 0, blue: 0)
    /// Fully transparent black.
    package static let clear = RGBAColor(red: 0, green: 0, blue: 0, alpha: 0)
    /// The blue used for correct predictions in an image grid.
    package static let correctBlue = RGBAColor(red: 0x1F, green: 0x5F, blue: 0xBF)
    /// The red used for wrong predictions in an image grid.
    package static let wrongRed = RGBAColor(red: 0xD6, green: 0x1F, blue: 0x1F)
    /// A dark grey for ordinary text.
    package static let textGray = RGBAColor(red: 0x33, green: 0x33, blue: 0x33)

    /// The colour as `#rrggbb` (alpha is ignored), as used in SVG attributes.
    package var hexString: String {
        let digits: [Character] = Array("0123456789abcdef")
        var result = "#"
        for channel in [red, green, blue] {
            result.append(digits[Int(channel >> 4)])
            result.append(digits[Int(channel & 0x0F)])
        }
        return result
    }
}
