import Foundation
import Testing
import NNCore
@testable import NNData
import NNSystem

@Suite("Fashion-MNIST end to end")
struct FashionMNISTTrainingTests {
    /// The seed job on real data: Flatten(28×28) → Dense(128, relu) → Dense(10, softmax), Adam,
    /// sparse categorical cross-entropy, trained on the first 6000 training images for 2 epochs
    /// and evaluated on the first 2000 test images. A Keras run of the same job reaches about 0.82;
    /// chance is 0.1.
    @Test func seedModelLearnsFashionMNIST() throws {
        try #require(FileReader.isDirectory(FashionMNIST.defaultDirectory),
                     "\(FashionMNIST.defaultDirectory) is missing: apt-get install dataset-fashion-mnist")
        let source = try DataSource()
        let fullTrain = try source.load(.train), fullTest = try source.load(.test)
        #expect(fullTrain.count == 60_000 && fullTest.count == 10_000)
        #expect(fullTrain.sampleShape == [28, 28])
        #expect(fullTrain.classNames == FashionMNIST.classNames)
        #expect(fullTrain.labelWidth == 10)
        // The same test labels Keras's own loader gave for the reference files.
        #expect(classLabels(fullTest.slice(0..<64))?.map(Int64.init) == fashionTest64Labels)
        // And the same pixels: sums of `fashion_test64.input.npy` (the first 64 test images / 255, float32).
        let pixels = fullTest.slice(0..<64).featureTensor().scalars.map(Double.init)
        #expect(abs(pixels.reduce(0, +) - 14051.8395) < 0.01)
        #expect(abs(pixels.prefix(784).reduce(0, +) - 131.2) < 1e-3)
        #expect(abs(pixels.map { $0 * $0 }.reduce(0, +) - 10117.8206) < 0.01)

        let train = fullTrain.slice(0..<6000), test = fullTest.slice(0..<2000)
        var model = try Sequential(.seed(), seed: 42)
        #expect(model.parameterCount.trainable == 784 * 128 + 128 + 128 * 10 + 10)
        let before = try model.evaluate(test)
        let history = try model.fit(train, options: TrainingOptions(epochs: 2, batchSize: 32, seed: 1))
        let after = try model.evaluate(test)
        #expect(after.accuracy > 0.75, "test accuracy \(after.accuracy) (before training \(before.accuracy))")
        #expect(after.loss < before.loss)
        #expect(history.epochs.count == 2)
        #expect(history.epochs[1].loss < history.epochs[0].loss)
        #expect(after.confusion.total == 2000)
        #expect(after.lossName == "sparse_categorical_crossentropy")
        #expect(model.metadata.dataset == "fashion-mnist train")
        #expect(model.metadata.classNames == FashionMNIST.classNames)
    }
}
