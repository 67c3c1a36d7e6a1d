import Foundation

/// Axis ticks at "nice" values (1, 2 or 5 times a power of ten) that cover a
/// data range, following Paul Heckbert's "nice numbers for graph labels".
struct NiceScale: Equatable {
    /// First tick, at or below the data minimum.
    let lower: Double
    /// Last tick, at or above the data maximum.
    let upper: Double
    /// Distance between ticks.
    let step: Double

    /// Ticks covering `minimum…maximum`, aiming for about `targetTicks` of them.
    ///
    /// A degenerate range (equal ends) is widened around its value first, so a
    /// constant series still gets a readable axis. Both ends must be finite.
    init(minimum: Double, maximum: Double, targetTicks: Int = 6) {
        // Ends beyond ±1e300 (or not finite) are clamped, so the range and its ticks stay finite.
        func clamp(_ v: Double) -> Double { v.isNaN ? 0 : Swift.min(Swift.max(v, -1e300), 1e300) }
        var low = clamp(Swift.min(minimum, maximum)), high = clamp(Swift.max(minimum, maximum))
        if !(high - low > Swift.max(abs(high), abs(low)) * 1e-12) {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            low -= pad
            high += pad
        }
        let range = NiceScale.niceNumber(high - low, round: false)
        let step = NiceScale.niceNumber(range / Double(Swift.max(targetTicks - 1, 1)), round: true)
        self.step = step
        self.lower = (low / step).rounded(.down) * step
        self.upper = (high / step).rounded(.up) * step
    }

    /// The tick values from ``lower`` to ``upper`` in steps of ``step``.
    var ticks: [Double] {
        let steps = ((upper - lower) / step).rounded()
        let count = steps.isFinite && steps >= 0 && steps < 1000 ? Int(steps) + 1 : 1
        return (0..<Swift.max(count, 1)).map { index in
            let value = lower + Double(index) * step
            // Snap values like 2.9999999 to the decimal grid of the step.
            guard decimals <= 15 else { return value }
            let factor = pow(10, Double(decimals))
            return (value * factor).rounded() / factor
        }
    }

    /// Digits after the decimal point needed to print every tick exactly.
    var decimals: Int {
        let exponent = log10(step).rounded(.down)
        return exponent.isFinite ? Swift.max(0, Swift.min(-Int(Swift.max(exponent, -400)), 400)) : 0
    }

    /// A nice number near `value`: 1, 2, 5 or 10 times a power of ten.
    ///
    /// With `round`, the closest such number; otherwise the smallest one not below `value`.
    static func niceNumber(_ value: Double, round: Bool) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let exponent = log10(value).rounded(.down)
        let magnitude = pow(10, exponent)
        let fraction = value / magnitude
        let nice: Double
        if round {
            nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        } else {
            nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return nice * magnitude
    }

    /// Integer ticks for the epoch axis `1…count`: every epoch when few,
    /// otherwise 1 and multiples of a nice step.
    static func epochTicks(count: Int, targetTicks: Int = 10) -> [Int] {
        guard count > 1 else { return [1] }
        let step = Swift.max(1, Int(niceNumber(Double(count - 1) / Double(Swift.max(targetTicks - 1, 1)),
                                             round: true).rounded()))
        if step == 1 { return Array(1...count) }
        var ticks = [1]
        var value = step
        while value <= count {
            if value - 1 >= step / 2 { ticks.append(value) }
            value += step
        }
        return ticks
    }
}
