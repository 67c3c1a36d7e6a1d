extension Sequential {
    /// A model with freshly initialised weights (Keras's initializers, drawn from `seed`).
    ///
    /// - Throws: `ModelConfigError` for an invalid architecture, ``TrainingError`` for an
    ///   initializer nnmodel does not implement.
    public init(_ architecture: ModelArchitecture, seed: UInt64 = TrainingOptions.defaultSeed) throws {
        let specs = try architecture.weightSpecs()
        var rng = SeededGenerator(seed: seed)
        var weights: [Tensor] = []
        for spec in specs {
            let initializer = architecture.layers[spec.layerIndex].kind.initializer(forRole: spec.role)
            var values = [Float](repeating: 0, count: spec.shape.reduce(1, *))
            var failure: TrainingError?
            values.withUnsafeMutableBufferPointer { buffer in
                do throws(TrainingError) {
                    try initializer.fill(buffer, fanIn: spec.fans.fanIn, fanOut: spec.fans.fanOut, using: &rng)
                } catch { failure = error }
            }
            if let failure { throw failure }
            weights.append(Tensor(shape: spec.shape, values: values))
        }
        try self.init(architecture: architecture, weights: weights)
    }
}
