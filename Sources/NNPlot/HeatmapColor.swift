import Foundation

/// The sequential white-to-dark-blue colour scale used by heatmaps.
enum HeatmapColor {
    /// Evenly spaced stops from white (0) to dark navy (1).
    static let bluesStops: [RGBAColor] = [
        RGBAColor(red: 0xFF, green: 0xFF, blue: 0xFF),
        RGBAColor(red: 0xDE, green: 0xEB, blue: 0xF7),
        RGBAColor(red: 0xC6, green: 0xDB, blue: 0xEF),
        RGBAColor(red: 0x9E, green: 0xCA, blue: 0xE1),
        RGBAColor(red: 0x6B, green: 0xAE, blue: 0xD6),
        RGBAColor(red: 0x42, green: 0x92, blue: 0xC6),
        RGBAColor(red: 0x21, green: 0x71, blue: 0xB5),
        RGBAColor(red: 0x08, green: 0x51, blue: 0x9C),
        RGBAColor(red: 0x08, green: 0x30, blue: 0x6B),
    ]

    /// The colour for `fraction` (clamped to 0…1; NaN counts as 0), interpolated between stops.
    static func blues(_ fraction: Double) -> RGBAColor {
        let t = fraction.isNaN ? 0 : min(max(fraction, 0), 1)
        let position = t * Double(bluesStops.count - 1)
        let lowerIndex = min(Int(position), bluesStops.count - 2)
        let weight = position - Double(lowerIndex)
        let a = bluesStops[lowerIndex], b = bluesStops[lowerIndex + 1]
        func mix(_ x: UInt8, _ y: UInt8) -> UInt8 {
            UInt8((Double(x) + (Double(y) - Double(x)) * weight).rounded())
        }
        return RGBAColor(red: mix(a.red, b.red), green: mix(a.green, b.green), blue: mix(a.blue, b.blue))
    }

    /// Whether white text contrasts more than black with `color`.
    ///
    /// Compares WCAG contrast ratios; the two are equal at a relative
    /// luminance of about 0.18.
    static func isDark(_ color: RGBAColor) -> Bool {
        func linear(_ channel: UInt8) -> Double {
            let value = Double(channel) / 255
            return value <= 0.04045 ? value / 12.92 : pow((value + 0.055) / 1.055, 2.4)
        }
        let luminance = 0.2126 * linear(color.red) + 0.7152 * linear(color.green) + 0.0722 * linear(color.blue)
        return 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.05
    }
}
