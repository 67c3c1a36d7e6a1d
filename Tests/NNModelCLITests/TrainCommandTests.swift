import Foundation
import NNModel
@testable import NNModelCLI
import Testing

@Suite(.serialized) struct TrainCommandTests {
    @Test func trainSavesInspectsAndEvaluates() throws {
        let folder = CLIFixtures.temporaryFolder()
        let model = folder + "/m.nnm", history = folder + "/h.csv"
        let r = CLIFixtures.run(["train", "--data", CLIFixtures.smallDataset, "--epochs", "2", "--output", model,
                                 "--history", history, "--validation-split", "0.1"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("Epoch 1/2") && r.out.contains("Epoch 2/2"))
        #expect(r.out.contains("val_accuracy"))
        #expect(r.out.contains("Test accuracy"))
        #expect(r.out.contains("Confusion matrix"))
        #expect(r.out.contains("Ankle boot"))
        #expect(r.out.contains("weighted avg"))
        let csv = try String(contentsOfFile: history, encoding: .utf8)
        #expect(csv.hasPrefix("epoch,loss,accuracy,val_loss,val_accuracy,seconds\n1,"))
        #expect(csv.split(separator: "\n").count == 3)
        let saved = try ModelFile.load(model)
        #expect(saved.metadata.classNames?.first == "T-shirt/top")
        #expect(saved.metadata.history?.epochs.count == 2)
        #expect(saved.optimizerState?.iterations == 2 * 85)  // 2700 samples / 32 → 85 steps per epoch
    }

    @Test func jsonReportIsMachineReadable() throws {
        let r = CLIFixtures.run(["train", "--data", CLIFixtures.smallDataset, "--epochs", "1", "--json", "--hidden", "32",
                                 "--optimizer", "sgd", "--learning-rate", "0.1"])
        #expect(r.status == 0, "\(r.err)")
        let json = try CLIFixtures.json(r.out)
        #expect(json["history"]?["loss"]?.arrayValue?.count == 1)
        let accuracy = try #require(json["test"]?["accuracy"]?.doubleValue)
        #expect(accuracy > 0.6, "SGD on 3000 images should learn something")
        #expect(json["test"]?["confusion_matrix"]?.arrayValue?.count == 10)
        #expect(json["model"]?["parameters"]?["total"]?.intValue == 784 * 32 + 32 + 32 * 10 + 10)
        #expect(r.err.contains("Epoch 1/1"), "progress goes to stderr with --json")
    }

    @Test func resumeContinuesFromTheSavedState() throws {
        let folder = CLIFixtures.temporaryFolder()
        let resumed = folder + "/resumed.nnm"
        let r = CLIFixtures.run(["train", "--data", CLIFixtures.smallDataset, "--resume", CLIFixtures.trainedModel,
                                 "--epochs", "1", "--quiet", "--output", resumed])
        #expect(r.status == 0, "\(r.err)")
        let model = try ModelFile.load(resumed)
        #expect(model.metadata.history?.epochs.map(\.epoch) == [1, 2, 3])
        #expect(model.optimizerState?.iterations == 3 * 94)  // 3000 / 32 → 94 steps per epoch
        #expect(model.optimizerState?.config.kind == .adam)
    }

    @Test func configFileTrainsAnyArchitecture() throws {
        let folder = CLIFixtures.temporaryFolder()
        let config = folder + "/config.json"
        let text = """
        {"class_name": "Sequential", "config": {"name": "custom", "layers": [
          {"class_name": "InputLayer", "config": {"batch_shape": [null, 28, 28], "name": "in"}},
          {"class_name": "Flatten", "config": {"name": "flat"}},
          {"class_name": "Dense", "config": {"name": "h", "units": 24, "activation": "tanh"}},
          {"class_name": "Dropout", "config": {"name": "d", "rate": 0.1}},
          {"class_name": "Dense", "config": {"name": "logits", "units": 10}},
          {"class_name": "Activation", "config": {"name": "p", "activation": "softmax"}}]}}
        """
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let out = folder + "/custom.nnm"
        let r = CLIFixtures.run(["train", "--data", CLIFixtures.smallDataset, "--config", config, "--epochs", "1", "-q", "--output", out])
        #expect(r.status == 0, "\(r.err)")
        let model = try ModelFile.load(out)
        #expect(model.architecture.layers.map(\.name) == ["flat", "h", "d", "logits", "p"])
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var status: Int32
        var message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let badCases: [BadCase] = [
        BadCase(arguments: ["train", "--batch-size", "0"], status: 64, message: "--batch-size must be at least 1"),
        BadCase(arguments: ["train", "--epochs", "0"], status: 64, message: "--epochs must be at least 1"),
        BadCase(arguments: ["train", "--optimizer", "lbfgs"], status: 64, message: "optimizer"),
        BadCase(arguments: ["train", "--validation-split", "1.5"], status: 64, message: "--validation-split"),
        BadCase(arguments: ["train", "--train-samples", "0"], status: 64, message: "--train-samples must be at least 1, got 0"),
        BadCase(arguments: ["train", "--data", "/nonexistent/data"], status: 66, message: "/nonexistent/data: no such file"),
        BadCase(arguments: ["train", "--config", "/nonexistent/config.json"], status: 66, message: "/nonexistent/config.json"),
        BadCase(arguments: ["train", "--history", "h.txt"], status: 64, message: ".json or .csv"),
        // A negative number after a space is a value, checked like any other (was "Missing value").
        BadCase(arguments: ["train", "--batch-size", "-1"], status: 64, message: "--batch-size must be at least 1, got -1"),
        BadCase(arguments: ["train", "--learning-rate", "-0.1"], status: 64, message: "--learning-rate"),
        // An output whose extension names no format is refused before training (was written as .nnm).
        BadCase(arguments: ["train", "--output", "m.txt"], status: 64, message: "m.txt: the extension names no model format"),
    ]

    @Test func negativeNumbersAfterASpaceAreValues() {
        #expect(NNModelCommand.joiningNegativeValues(["train", "--seed", "-3", "--epochs", "2"]) == ["train", "--seed=-3", "--epochs", "2"])
        #expect(NNModelCommand.joiningNegativeValues(["diff", "a", "b", "--absolute-tolerance", "-1e-3"])
                == ["diff", "a", "b", "--absolute-tolerance=-1e-3"])
        // Options stay options; `--` ends option processing.
        #expect(NNModelCommand.joiningNegativeValues(["train", "--json", "-q"]) == ["train", "--json", "-q"])
        #expect(NNModelCommand.joiningNegativeValues(["x", "--", "--a", "-1"]) == ["x", "--", "--a", "-1"])
        #expect(NNModelCommand.isNegativeNumber("-.5") && NNModelCommand.isNegativeNumber("-inf"))
        #expect(!NNModelCommand.isNegativeNumber("-") && !NNModelCommand.isNegativeNumber("-x") && !NNModelCommand.isNegativeNumber("--1"))
    }

    /// `--hidden none`, as its help says, trains a model with no hidden layer (it was refused).
    @Test func hiddenNoneTrainsWithoutAHiddenLayer() throws {
        let folder = CLIFixtures.temporaryFolder()
        let out = folder + "/no-hidden.nnm"
        let r = CLIFixtures.run(["train", "--data", CLIFixtures.smallDataset, "--hidden", "none", "--epochs", "1", "-q", "--output", out])
        #expect(r.status == 0, "\(r.err)")
        #expect(try ModelFile.load(out).architecture.layers.map(\.className) == ["Flatten", "Dense"])
    }

    @Test func noArgumentsPrintsTheOverviewAndIsAUsageError() {
        let r = CLIFixtures.run([])
        #expect(r.status == 64)
        #expect(r.out.isEmpty)
        #expect(r.err.contains("OVERVIEW") && r.err.contains("SUBCOMMANDS"), "\(r.err)")
    }

    @Test(arguments: badCases)
    func badOptionsGiveOneClearLine(_ c: BadCase) {
        let r = CLIFixtures.run(c.arguments)
        #expect(r.status == c.status, "\(r.err)")
        #expect(r.err.contains(c.message), "\(r.err)")
    }

    @Test func unsupportedLayerInConfigIsNamed() throws {
        let config = CLIFixtures.temporaryFolder() + "/conv.json"
        try """
        {"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "InputLayer", "config": {"batch_shape": [null, 28, 28, 1], "name": "in"}},
          {"class_name": "Conv3D", "config": {"name": "conv", "filters": 4, "kernel_size": [3, 3, 3]}}]}}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let r = CLIFixtures.run(["train", "--data", CLIFixtures.smallDataset, "--config", config])
        #expect(r.status == 65)
        #expect(r.err.contains("layer 'conv' has unsupported class 'Conv3D'"), "\(r.err)")
        #expect(r.err.contains("supported: InputLayer, Flatten, Dense, Activation, Dropout, Conv2D"))
        #expect(r.err.split(separator: "\n").count == 1)
    }
}

/// `train --model cnn`: the Keras tutorial CNN, saved and read back by every command.
@Suite struct TrainCNNCommandTests {
    @Test func cnnTrainsSavesInspectsAndEvaluates() throws {
        let folder = CLIFixtures.temporaryFolder()
        let model = folder + "/cnn.nnm", keras = folder + "/cnn.h5"
        let r = CLIFixtures.run(["train", "--model", "cnn", "--data", CLIFixtures.smallDataset, "--epochs", "1",
                                 "--quiet", "--output", model])
        #expect(r.status == 0, "\(r.err)")
        let inspect = CLIFixtures.run(["inspect", model])
        #expect(inspect.status == 0, "\(inspect.err)")
        for row in ["conv2d (Conv2D)", "(None, 26, 26, 32)", "max_pooling2d (MaxPooling2D)", "(None, 13, 13, 32)",
                    "conv2d_1 (Conv2D)", "(None, 11, 11, 64)", "(None, 5, 5, 64)", "(None, 1600)", "204,928",
                    "Total params: 225,034", "filters=32, kernel_size=(3, 3), activation=relu"] {
            #expect(inspect.out.contains(row), "\(row) in \(inspect.out)")
        }
        let converted = CLIFixtures.run(["convert", model, keras])
        #expect(converted.status == 0, "\(converted.err)")
        let a = CLIFixtures.run(["predict", model, "--data", CLIFixtures.smallDataset, "--limit", "5", "--json"])
        let b = CLIFixtures.run(["predict", keras, "--data", CLIFixtures.smallDataset, "--limit", "5", "--json"])
        #expect(a.status == 0 && b.status == 0, "\(a.err)\(b.err)")
        let pa = try CLIFixtures.json(a.out)["predictions"], pb = try CLIFixtures.json(b.out)["predictions"]
        #expect(pa != nil && pa == pb, "the .h5 predicts what the .nnm does")
        let evaluate = CLIFixtures.run(["evaluate", keras, "--data", CLIFixtures.smallDataset])
        #expect(evaluate.status == 0 && evaluate.out.contains("Test accuracy"), "\(evaluate.err)")
    }

    @Test func cnnRefusesMLPOptions() {
        let r = CLIFixtures.run(["train", "--model", "cnn", "--hidden", "64", "--data", CLIFixtures.smallDataset])
        #expect(r.status == 64 && r.err.contains("--model cnn is a fixed architecture"), "\(r.err)")
    }
}

/// Outputs that are not finite are reported, not passed off as class 0.
@Suite struct NonFiniteOutputTests {
    @Test func predictAndEvaluateWarnAboutNonFiniteOutputs() throws {
        let folder = CLIFixtures.temporaryFolder()
        let path = folder + "/negative-variance.nnm"
        let architecture = ModelArchitecture(inputShape: [28, 28], layers: [
            Layer(name: "flatten", kind: .flatten),
            Layer(name: "bn", kind: .batchNormalization(BatchNormalization())),
            Layer(name: "dense", kind: .dense(Dense(units: 10, activation: .softmax))),
        ])
        var model = try Sequential(architecture, seed: 1)
        model.weights[3] = Tensor(shape: [784], values: [Float](repeating: -2, count: 784))  // moving_variance < 0
        try ModelFile.save(model, to: path)
        let predict = CLIFixtures.run(["predict", path, "--data", CLIFixtures.smallDataset, "--limit", "3"])
        #expect(predict.status == 0)
        #expect(predict.err.contains("warning: \(path): 3 of 3 outputs are not finite"), "\(predict.err)")
        let evaluate = CLIFixtures.run(["evaluate", path, "--data", CLIFixtures.smallDataset])
        #expect(evaluate.err.contains("outputs are not finite"), "\(evaluate.err)")
    }
}
