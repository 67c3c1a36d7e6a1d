import Testing
@testable import NNCore
@testable import NNSchema
@testable import NNJSON

/// Training and inference flush denormals to zero, as TensorFlow does, and leave the caller's
/// floating-point environment as it was.
@Suite struct DenormalTests {
    /// Feature 0 is 1 in the first sample and 0 afterwards, so after the first step the Adam
    /// first moment of its kernel row only decays, `m + (0 - m) × 0.1` a step: with strict
    /// arithmetic it reaches the denormal range (below 1.2e-38) near step 900 and stays there
    /// for about 150 steps.
    static func fadingFeatureData(count: Int) throws -> Dataset {
        var rng = SeededGenerator(seed: 3)
        var x: [Float] = []
        for i in 0..<count { x += [i == 0 ? 1 : 0, rng.nextUnitFloat() * 2 - 1] }
        let y = (0..<count).map { _ in Int32(rng.nextIndex(below: 2)) }
        return try Dataset(name: "fading", sampleShape: [2], features: .float32(x), labels: .classes(y))
    }

    @Test func optimizerSlotsNeverHoldDenormals() throws {
        let data = try Self.fadingFeatureData(count: 960)
        var model = try Sequential(ModelArchitecture(inputShape: [2], layers: [dense("out", 2, .softmax)]), seed: 1)
        var options = TrainingOptions(epochs: 1, batchSize: 1, optimizer: OptimizerConfig(.adam))
        options.shuffle = false
        try model.fit(data, options: options)
        let state = try #require(model.optimizerState)
        let m = state.slots[0][0].scalars  // first moment of the kernel, [2, 2]
        // Flushed as in TensorFlow: once the decay term `m × 0.1` would be denormal it is zero,
        // so the moment stops just above the denormal range instead of entering it.
        #expect(m[0].isNormal && m[1].isNormal && abs(m[0]) < 1e-36 && abs(m[1]) < 1e-36, "\(m)")
        #expect(m[2] != 0, "the other feature's moments are live")
        for slot in state.slots { for tensor in slot { #expect(!tensor.scalars.contains { $0.isSubnormal }) } }

        // The calling thread computes denormals again afterwards.
        let half = Float.leastNormalMagnitude * Float(data.count) / Float(2 * data.count)
        #expect(half.isSubnormal)
    }

    /// The same with the fading feature in the last of four feature blocks of a 256 → 128 layer,
    /// computed by the pool's worker thread when training on two threads.
    @Test func workerThreadsFlushDenormalsToo() throws {
        var rng = SeededGenerator(seed: 5)
        let count = 960, width = 256, fading = 200
        var x = [Float](repeating: 0, count: count * width)
        for i in 0..<count {
            for j in 0..<width where j != fading { x[i * width + j] = rng.nextUnitFloat() * 2 - 1 }
        }
        x[fading] = 1
        let y = (0..<count).map { _ in Int32(rng.nextIndex(below: 2)) }
        let data = try Dataset(name: "fading", sampleShape: [width], features: .float32(x), labels: .classes(y))
        var model = try Sequential(ModelArchitecture(inputShape: [width], layers: [
            dense("hidden", 128, .tanh), dense("out", 2, .softmax),
        ]), seed: 1)
        var options = TrainingOptions(epochs: 1, batchSize: 1, optimizer: OptimizerConfig(.adam))
        options.shuffle = false
        options.threads = 2
        try model.fit(data, options: options)
        let state = try #require(model.optimizerState)
        let m = state.slots[0][0].scalars  // first moment of the hidden kernel, [256, 128]
        let row = m[(fading * 128)..<((fading + 1) * 128)]
        #expect(row.allSatisfy { $0 == 0 || $0.isNormal }, "\(row.filter(\.isSubnormal).prefix(4))")
        #expect(row.contains { $0 != 0 && abs($0) < 1e-30 }, "the row's moments decayed to the bottom of the normal range")
        for slot in state.slots { for tensor in slot { #expect(!tensor.scalars.contains { $0.isSubnormal }) } }
    }

    @Test func inferenceReadsDenormalInputsAsZero() throws {
        // A denormal input times a large weight: strict arithmetic gives about 1e-30, flushed gives 0.
        let layer = dense("out", 1)
        var model = try Sequential(ModelArchitecture(inputShape: [1], layers: [layer]), seed: 1)
        model.weights = [Tensor(shape: [1, 1], values: [1e8]), Tensor(shape: [1], values: [0])]
        let input = Float.leastNormalMagnitude * Float(model.weights.count) / 4  // denormal, computed at run time
        #expect(input.isSubnormal)
        let output = try model.predict(Tensor(shape: [1, 1], values: [input]), threads: 1)
        #expect(output.scalars == [0])
        #expect((input * 1e8) != 0, "the caller still computes with denormals")
    }
}
