extension Initializer {
    /// The rescaling Keras applies to a normal truncated at ±2σ so its variance is σ².
    static let truncationCorrection = 0.87962566103423978

    /// Fills `values` for a weight of the given fans.
    ///
    /// - Throws: ``TrainingError/unsupportedInitializer(_:)`` for ``unsupported(_:)``.
    package func fill(
        _ values: UnsafeMutableBufferPointer<Float>, fanIn: Int, fanOut: Int, using rng: inout SeededGenerator
    ) throws(TrainingError) {
        let fi = Double(max(fanIn, 1)), fo = Double(max(fanOut, 1))
        func uniform(_ limit: Double, _ rng: inout SeededGenerator) {
            for i in values.indices { values[i] = Float((rng.nextUnitDouble() * 2 - 1) * limit) }
        }
        func truncated(_ mean: Double, _ sd: Double, _ rng: inout SeededGenerator) {
            for i in values.indices {
                var z = rng.nextNormal()
                while abs(z) > 2 { z = rng.nextNormal() }
                values[i] = Float(mean + sd * z)
            }
        }
        switch self {
        case .glorotUniform: uniform((6 / (fi + fo)).squareRoot(), &rng)
        case .glorotNormal: truncated(0, (2 / (fi + fo)).squareRoot() / Initializer.truncationCorrection, &rng)
        case .heUniform: uniform((6 / fi).squareRoot(), &rng)
        case .heNormal: truncated(0, (2 / fi).squareRoot() / Initializer.truncationCorrection, &rng)
        case .lecunUniform: uniform((3 / fi).squareRoot(), &rng)
        case .lecunNormal: truncated(0, (1 / fi).squareRoot() / Initializer.truncationCorrection, &rng)
        case .zeros: values.update(repeating: 0)
        case .ones: values.update(repeating: 1)
        case let .constant(v): values.update(repeating: Float(v))
        case let .randomNormal(mean, sd):
            for i in values.indices { values[i] = Float(mean + sd * rng.nextNormal()) }
        case let .randomUniform(lo, hi):
            for i in values.indices { values[i] = Float(lo + (hi - lo) * rng.nextUnitDouble()) }
        case let .truncatedNormal(mean, sd): truncated(mean, sd, &rng)
        case let .unsupported(config):
            throw .unsupportedInitializer(config["class_name"]?.stringValue ?? config.serialized())
        }
    }
}
