import Foundation
import NNTestSupport
import NNCore

/// Locates files in the repository's `Fixtures/` folder from this source file's path.
enum Fixtures {
    static var root: String { Repository.root }

    static func path(_ relative: String) -> String { Repository.fixture(relative) }

    /// A fresh temporary folder (removed when the test process exits).
    static func temporaryFolder() -> String { TemporaryFolder.shared("nnformat") }

    /// Writes bytes without the atomic save's fsync (fast, for tests that write thousands of files).
    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// The worked example's model.
    static func tinyModel() throws -> Sequential {
        let architecture = ModelArchitecture(
            name: "tiny", inputShape: [2],
            layers: [Layer(name: "dense", kind: .dense(Dense(units: 1, activation: .sigmoid)))])
        return try Sequential(architecture: architecture,
                              weights: [Tensor(shape: [2, 1], values: [0.5, -0.25]), Tensor(shape: [1], values: [0.125])])
    }

    /// A small trained-looking model with several layer kinds, metadata, history and Adam state.
    static func richModel(seed: UInt64 = 7) throws -> Sequential {
        let architecture = ModelArchitecture(
            name: "rich", inputShape: [3, 4],
            layers: [
                Layer(name: "flatten", kind: .flatten),
                Layer(name: "hidden", kind: .dense(Dense(units: 5, activation: .gelu))),
                Layer(name: "drop", kind: .dropout(rate: 0.25)),
                Layer(name: "frozen", kind: .dense(Dense(units: 4, activation: .tanh, useBias: false)), trainable: false),
                Layer(name: "out", kind: .dense(Dense(units: 3, activation: .linear))),
                Layer(name: "probabilities", kind: .activation(.softmax)),
            ])
        var model = try Sequential(architecture, seed: seed)
        var rng = SeededGenerator(seed: seed)
        let trainable = model.weightSpecs.filter(\.trainable)
        let slots = ["momentum", "velocity"].map { _ in
            trainable.map { spec in Tensor(shape: spec.shape, values: (0..<spec.shape.reduce(1, *)).map { _ in rng.nextUnitFloat() }) }
        }
        model.optimizerState = OptimizerState(config: OptimizerConfig(.adam, learningRate: 0.002), iterations: 42, slots: slots)
        model.metadata = ModelMetadata(
            classNames: ["a", "b", "c"], dataset: "synthetic", history: History(epochs: [
                EpochRecord(epoch: 1, loss: 0.9, accuracy: 0.5, validationLoss: 1.0, validationAccuracy: 0.4, seconds: 0.25),
                EpochRecord(epoch: 2, loss: 0.5, accuracy: 0.75, validationLoss: 0.8, validationAccuracy: 0.6, seconds: 0.5),
            ]),
            loss: "sparse_categorical_crossentropy", user: [("author", "tests"), ("note", "ünïcode ✓")],
            extra: [("future", .array([1, 2]))])
        return model
    }
}
