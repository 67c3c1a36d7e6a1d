import Foundation
import NNModel
import NNModelCLI
import Testing

/// `nnmodel plot model` and ``Pictures/modelDiagram(_:)``.
@Suite struct PlotModelCommandTests {
    /// The `<text>` contents of the SVG file at `path`, which must be well-formed XML.
    func texts(_ path: String) throws -> [String] { try PictureAndDiffTests().parseSVG(path) }

    @Test func theSeedModelIsDrawnWithShapesAndParameters() throws {
        let output = CLIFixtures.temporaryFolder() + "/model.svg"
        let r = CLIFixtures.run(["plot", "model", CLIFixtures.trainedModel, "--output", output])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("model.svg (3 layers, 101,770 parameters)"), "\(r.out)")
        let texts = try texts(output)
        #expect(texts == [
            "sequential: 101,770 parameters",
            "input_layer (InputLayer)", "Output shape: (None, 28, 28)",
            "flatten (Flatten)", "Output shape: (None, 784)", "Params: 0",
            "dense (Dense)", "Activation: relu", "Output shape: (None, 128)", "Params: 100,480",
            "dense_1 (Dense)", "Activation: softmax", "Output shape: (None, 10)", "Params: 1,290",
        ])
        let svg = try String(contentsOfFile: output, encoding: .utf8)
        #expect(svg.components(separatedBy: "<rect class=\"box\"").count - 1 == 4)
        #expect(svg.components(separatedBy: "<g class=\"arrow\"").count - 1 == 3)
    }

    @Test(arguments: [
        ["Fixtures/keras/fmnist8_k3.keras"],
        ["Fixtures/keras/fmnist8_tfk.h5"],
        ["Fixtures/keras/fmnist8_k3.weights.h5", "--architecture", "Fixtures/keras/fmnist8_k3.keras"],
    ])
    func kerasFilesAreDrawn(_ arguments: [String]) throws {
        let output = CLIFixtures.temporaryFolder() + "/keras.svg"
        let paths = arguments.map { $0.hasPrefix("Fixtures/") ? CLIFixtures.repository + "/" + $0 : $0 }
        let r = CLIFixtures.run(["plot", "model"] + paths + ["-o", output])
        #expect(r.status == 0, "\(r.err)")
        let texts = try texts(output)
        #expect(texts.contains("dense (Dense)") && texts.contains("Output shape: (None, 8)") && texts.contains("Params: 6,280"))
        #expect(texts.contains("Activation: softmax") && texts.contains("Output shape: (None, 10)"))
    }

    @Test func namesFromTheFileAreEscapedAndFrozenLayersMarked() throws {
        let folder = CLIFixtures.temporaryFolder()
        let hostile = "evil</text><script>x</script>&amp;\"'\u{1B}[2J"
        let architecture = ModelArchitecture(name: "<model> & co", inputShape: [3], inputName: "in<put>", layers: [
            Layer(name: hostile, kind: .dense(Dense(units: 4, activation: .tanh))),
            Layer(name: "head", kind: .dense(Dense(units: 2, activation: .softmax, useBias: false)), trainable: false),
            Layer(name: "drop", kind: .dropout(rate: 0.5)),
        ])
        try ModelFile.save(try Sequential(architecture, seed: 1), to: folder + "/hostile.nnm")
        let output = folder + "/hostile.svg"
        let r = CLIFixtures.run(["plot", "model", folder + "/hostile.nnm", "-o", output])
        #expect(r.status == 0, "\(r.err)")
        let svg = try String(contentsOfFile: output, encoding: .utf8)
        #expect(!svg.contains("<script>") && !svg.contains("\u{1B}"))
        let texts = try texts(output)
        #expect(texts.first == "<model> & co: 24 parameters (8 non-trainable)")
        #expect(texts.contains("in<put> (InputLayer)"))
        #expect(texts.contains("evil</text><script>x</script>&amp;\"'\u{FFFD}[2J (Dense)"))
        #expect(texts.contains("head (Dense)") && texts.contains("No bias") && texts.contains("Frozen (not trainable)"))
        #expect(texts.contains("drop (Dropout)") && texts.contains("Rate: 0.5"))
        #expect(svg.contains("stroke-dasharray"))
    }

    @Test func aModelOfTheMostLayersGivesADocumentLinearInItsSize() throws {
        func diagram(_ count: Int) throws -> String {
            try Pictures.modelDiagram(ModelArchitecture(inputShape: [4], layers: (0..<count).map {
                Layer(name: "act_\($0)", kind: .activation(.relu))
            }))
        }
        let small = try diagram(1000).utf8.count
        let large = try diagram(ModelArchitecture.maximumLayers).utf8.count
        #expect(Double(large) / Double(small) < Double(ModelArchitecture.maximumLayers / 1000) * 1.1)
        #expect(large < 1200 * ModelArchitecture.maximumLayers)
        #expect(throws: ModelConfigError.tooManyLayers(count: ModelArchitecture.maximumLayers + 1, limit: ModelArchitecture.maximumLayers)) {
            try diagram(ModelArchitecture.maximumLayers + 1)
        }
    }

    struct BadInput: CustomTestStringConvertible, Sendable {
        var name: String
        var arguments: @Sendable (_ folder: String) throws -> [String]
        var status: Int32
        var message: String
        var testDescription: String { name }
    }

    static let badInputs: [BadInput] = [
        BadInput(name: "missing model file", arguments: { folder in [folder + "/missing.nnm", "-o", folder + "/m.svg"] },
                 status: 66, message: "missing.nnm: no such file"),
        BadInput(name: "output folder missing", arguments: { _ in [CLIFixtures.trainedModel, "-o", "/nonexistent/folder/m.svg"] },
                 status: 73, message: "folder '/nonexistent/folder' does not exist"),
        BadInput(name: "output is a folder", arguments: { folder in
            try FileManager.default.createDirectory(atPath: folder + "/taken.svg", withIntermediateDirectories: true)
            return [CLIFixtures.trainedModel, "-o", folder + "/taken.svg"]
        }, status: 73, message: "taken.svg"),
        BadInput(name: "output checked before the model is read", arguments: { folder in
            [folder + "/missing.nnm", "-o", "/nonexistent/folder/m.svg"]
        }, status: 73, message: "folder '/nonexistent/folder' does not exist"),
        BadInput(name: "weights only, no architecture", arguments: { folder in
            [CLIFixtures.repository + "/Fixtures/keras/fmnist8_k3.weights.h5", "-o", folder + "/m.svg"]
        }, status: 65, message: "holds weights only, no architecture"),
        BadInput(name: "not a model", arguments: { folder in
            try Data("hello".utf8).write(to: URL(fileURLWithPath: folder + "/x.nnm"))
            return [folder + "/x.nnm", "-o", folder + "/m.svg"]
        }, status: 65, message: "x.nnm"),
        BadInput(name: "PNG output", arguments: { folder in [CLIFixtures.trainedModel, "-o", folder + "/m.png"] },
                 status: 64, message: "--output must name an .svg file (model diagrams are drawn as SVG), got '"),
    ]

    @Test(arguments: badInputs)
    func badInputIsOneLineAndWritesNothing(_ c: BadInput) throws {
        let folder = CLIFixtures.temporaryFolder() + "/bad-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let r = CLIFixtures.run(["plot", "model"] + (try c.arguments(folder)))
        #expect(r.status == c.status, "\(r.err)")
        #expect(r.err.contains(c.message), "\(r.err)")
        #expect(r.err.split(separator: "\n").count == 1, "\(r.err)")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".svg") || $0.hasSuffix(".png") || $0.hasPrefix(".nnmodel-tmp-") }
        #expect(left.allSatisfy { $0 == "taken.svg" }, "\(left)")
    }
}
