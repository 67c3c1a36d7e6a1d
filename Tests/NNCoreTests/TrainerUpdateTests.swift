import Testing
@testable import NNCore
@testable import NNSchema
@testable import NNJSON

/// The ways the trainer applies an optimizer step give the same weights: from the whole gradient
/// buffer, fused into backpropagation tile by tile, and with the large layers shared out across
/// two, three or four threads (six asked for: capped at the four blocks) by blocks of input features (each thread updating its kernel rows
/// afterwards, or tile by tile during backpropagation).
@Suite struct TrainerUpdateTests {
    static func data(samples n: Int = 96, features: Int = 256) throws -> Dataset {
        var rng = SeededGenerator(seed: 11)
        let x = (0..<(n * features)).map { _ in rng.nextUnitFloat() * 2 - 1 }
        let y = (0..<n).map { _ in Int32(rng.nextIndex(below: 4)) }
        return try Dataset(name: "random", sampleShape: [features], features: .float32(x), labels: .classes(y))
    }

    /// A net whose first two layers are computed in feature blocks: four for the first kernel
    /// (256 × 160), three for the second (160 × 224, the last block half a tile), so with two
    /// threads one takes one block and the other two, and with three, one takes two.
    static let architecture = ModelArchitecture(name: "t", inputShape: [256], layers: [
        Layer(name: "a", kind: .dense(Dense(units: 160, activation: .tanh))),
        Layer(name: "b", kind: .dense(Dense(units: 224, activation: .relu))),
        Layer(name: "c", kind: .dense(Dense(units: 4, activation: .softmax))),
    ])

    func train(threads: Int, fuse: Bool, optimizer: OptimizerConfig) throws -> [Tensor] {
        let model = try Sequential(Self.architecture, seed: 5)
        var options = TrainingOptions(epochs: 1, batchSize: 32, optimizer: optimizer)
        options.threads = threads
        options.shuffle = false
        let trainer = try Trainer(model: model, data: try Self.data(), options: options)
        // Otherwise the block and thread paths would not be exercised at all.
        #expect(trainer.network.featureParts(ofLayer: 0)?.count == 4)
        #expect(trainer.network.featureParts(ofLayer: 1) == [0..<64, 64..<128, 128..<160])
        #expect(trainer.network.featureParts(ofLayer: 2) == nil)
        // No more threads than the largest layer has blocks.
        #expect((trainer.network.pool?.size ?? 1) == min(threads, 4))
        #expect(trainer.network.kernelRowsPerThread(ofLayer: 1)?.count == min(threads, 4))
        try trainer.order.withUnsafeBufferPointer { all in
            for start in stride(from: 0, to: all.count, by: 32) {
                let batch = UnsafeBufferPointer(rebasing: all[start..<min(start + 32, all.count)])
                let (loss, _, updated) = trainer.computeGradients(batch, updating: fuse)
                try #require(loss.isFinite)
                #expect(updated == fuse)
                if !updated { trainer.applyUpdate() }
            }
        }
        return trainer.weightTensors()
    }

    /// A layer whose output gradient (256 samples × 1088 units) is larger than the cache computes
    /// its kernel gradient in tall tiles: each 256-row feature block in one product, where tiles
    /// that fit the cache would be 192 and 64 rows. Every thread count and update path still gives
    /// the same weights.
    @Test func tallGradientTilesGiveTheSameWeights() throws {
        #expect(Network.tileRows(units: 1088, samples: 256) == Network.minimumStreamingTileRows)
        #expect(Network.tileRows(units: 1088, samples: 32) == 192)
        #expect(Network.tileRows(units: 448, samples: 32) == 576)
        #expect(Network.tileRows(units: 1024, samples: 256) == 256)
        #expect(Network.tileRows(units: 4096, samples: 1024) == 512)
        #expect(Network.tileRows(units: 4096, samples: 32) == 64)
        #expect(Network.tileRows(units: 1 << 20, samples: 1 << 50) == 512)
        let architecture = ModelArchitecture(name: "wide", inputShape: [1024], layers: [
            Layer(name: "a", kind: .dense(Dense(units: 1088, activation: .relu))),
            Layer(name: "b", kind: .dense(Dense(units: 4, activation: .softmax))),
        ])
        let data = try Self.data(samples: 256, features: 1024)
        func train(threads: Int, fuse: Bool) throws -> [Tensor] {
            var options = TrainingOptions(epochs: 1, batchSize: 256, optimizer: OptimizerConfig(.adam))
            options.threads = threads
            options.shuffle = false
            let trainer = try Trainer(model: try Sequential(architecture, seed: 3), data: data, options: options)
            #expect(trainer.network.featureParts(ofLayer: 0) == [0..<256, 256..<512, 512..<768, 768..<1024])
            try trainer.order.withUnsafeBufferPointer { all in
                let (loss, _, updated) = trainer.computeGradients(all, updating: fuse)
                try #require(loss.isFinite)
                #expect(updated == fuse)
                if !updated { trainer.applyUpdate() }
            }
            return trainer.weightTensors()
        }
        let whole = try train(threads: 1, fuse: false)
        #expect(try train(threads: 1, fuse: true) == whole)
        #expect(try train(threads: 2, fuse: true) == whole)
        #expect(try train(threads: 3, fuse: false) == whole)
        #expect(whole != (try Sequential(architecture, seed: 3)).weights, "training changed the weights")
    }

    /// A Dense layer on the last axis of `[4, 256]` samples is computed in feature blocks of each
    /// of the four rows: the training pass must read every row, as inference does.
    @Test func trainingPassReadsEveryRowOfAMultiRowInput() throws {
        var rng = SeededGenerator(seed: 4)
        let n = 40
        let x = (0..<(n * 4 * 256)).map { _ in rng.nextUnitFloat() * 2 - 1 }
        let y = (0..<n).map { _ in Int32(rng.nextIndex(below: 4)) }
        let data = try Dataset(name: "rows", sampleShape: [4, 256], features: .float32(x), labels: .classes(y))
        let model = try Sequential(ModelArchitecture(name: "rows", inputShape: [4, 256], layers: [
            Layer(name: "a", kind: .dense(Dense(units: 160, activation: .tanh))),
            Layer(name: "f", kind: .flatten),
            Layer(name: "b", kind: .dense(Dense(units: 4, activation: .softmax))),
        ]), seed: 2)
        let trainer = try Trainer(model: model, data: data, options: TrainingOptions(epochs: 1, batchSize: n))
        #expect(trainer.network.featureParts(ofLayer: 0)?.count == 4)
        let training = try model.lossAndGradients(data, loss: .sparseCategoricalCrossentropy).loss
        let inference = try model.evaluate(data, loss: .sparseCategoricalCrossentropy).loss
        #expect(abs(training - inference) <= 1e-5 * abs(inference), "\(training) vs \(inference)")
    }

    @Test(arguments: [OptimizerConfig(.adam), OptimizerConfig(.rmsprop), OptimizerConfig(.momentum), OptimizerConfig(.sgd)])
    func everyWayOfUpdatingGivesTheSameWeights(_ optimizer: OptimizerConfig) throws {
        let whole = try train(threads: 1, fuse: false, optimizer: optimizer)
        let fused = try train(threads: 1, fuse: true, optimizer: optimizer)
        let split = try train(threads: 2, fuse: false, optimizer: optimizer)
        let splitFused = try train(threads: 2, fuse: true, optimizer: optimizer)
        let threeFused = try train(threads: 3, fuse: true, optimizer: optimizer)
        let sixFused = try train(threads: 6, fuse: true, optimizer: optimizer)
        #expect(fused == whole)
        #expect(split == whole)
        #expect(splitFused == whole)
        #expect(threeFused == whole)
        #expect(sixFused == whole)
        #expect(whole != (try Sequential(Self.architecture, seed: 5)).weights, "training changed the weights")
    }
}
