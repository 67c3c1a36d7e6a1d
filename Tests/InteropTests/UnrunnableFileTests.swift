import Foundation
import NNModel
import NNTestSupport
import Testing

/// `ModelFile.describe` on ONNX and safetensors files nnmodel reads but cannot run: an ONNX graph
/// that is not a plain chain, or uses an operator nnmodel does not run; a safetensors file of
/// weights alone.
@Suite struct UnrunnableFileTests {
    typealias Node = ONNXBuilder.Node

    static func listing(_ bytes: [UInt8], name: String, statistics: Bool = false) throws -> FileListing {
        guard case let .listing(listing) = try ModelFile.describe(contents: bytes, name: name, statistics: statistics) else {
            Issue.record("\(name) was described as a runnable model")
            throw CancellationError()
        }
        return listing
    }

    @Test func anONNXGraphThatBranchesListsItsNodesAndInitializers() throws {
        var b = ONNXBuilder.mlp
        b.initializers.append(("W2", [4, 3], (0..<12).map { Float($0) }))
        b.nodes = [Node(op: "Gemm", inputs: ["x", "W", "b"], outputs: ["h1"], name: "left"),
                   Node(op: "Gemm", inputs: ["x", "W2", "b"], outputs: ["h2"], name: "right"),
                   Node(op: "Add", inputs: ["h1", "h2"], outputs: ["y"], name: "join")]
        let loadError = #expect(throws: (any Error).self) { try ModelFile.open(contents: b.bytes, name: "branch.onnx") }
        let listing = try Self.listing(b.bytes, name: "branch.onnx", statistics: true)
        #expect(listing.obstacle == .unsupportedArchitecture && listing.reason == loadError.map { "\($0)" })
        #expect(listing.modelClass == "ONNX graph" && listing.modelName == "hand_graph")
        #expect(listing.layers.map(\.name) == ["left", "right", "join"] && listing.layers.map(\.className) == ["Gemm", "Gemm", "Add"])
        #expect(listing.layers.map(\.inputs) == [["x"], ["x"], ["left", "right"]], "inputs name the nodes that compute them")
        #expect(listing.layers.map(\.parameterCount) == [15, 15, nil])
        #expect(listing.layers.filter { $0.problem != nil }.count == 1)
        #expect(listing.tensors.map(\.name) == ["W", "b", "W2"] && listing.tensors.map(\.dtype) == ["float32", "float32", "float32"])
        #expect(listing.tensors[2].shape == [4, 3] && listing.tensors[2].statistics?.maximum == 11)
        #expect(listing.file.format == .onnx && listing.file.producer == "hand")
    }

    @Test func anONNXOperatorNnmodelDoesNotRunIsMarked() throws {
        var b = ONNXBuilder.mlp
        b.nodes[1] = Node(op: "Conv", inputs: ["h"], outputs: ["y"], name: "conv_7", attributes: [ONNXBuilder.intAttribute("group", 1)])
        let listing = try Self.listing(b.bytes, name: "conv.onnx")
        #expect(listing.layers.map(\.name) == ["Gemm_h", "conv_7"])
        #expect(listing.layers[1].problem?.contains("'conv_7' (Conv) is not supported") == true, "\(listing.layers)")
        #expect(listing.layers[1].problem?.hasPrefix("conv.onnx") == false, "a layer's problem does not repeat the file")
        #expect(listing.layers[1].config["group"]?.intValue == 1)
        #expect(listing.layers[0].problem == nil)
    }

    @Test func aDamagedONNXFileIsStillRefused() {
        var b = ONNXBuilder.mlp
        b.initializers[0].dims = [4, 300_000_000]
        #expect(throws: (any Error).self) { try ModelFile.describe(contents: b.bytes, name: "lies.onnx") }
    }

    @Test func aSafetensorsFileOfWeightsAloneListsItsTensorsAndMetadata() throws {
        let bytes = SafetensorsTests.file([("net.0.weight", "F32", [3, 4], 0, 48), ("net.0.bias", "F32", [3], 48, 60),
                                           ("steps", "I64", [], 60, 68)],
                                          data: SafetensorsTests.floats((0..<15).map(Float.init)) + [7, 0, 0, 0, 0, 0, 0, 0],
                                          metadata: "{\"format\":\"pt\"}")
        let listing = try Self.listing(bytes, name: "torch.safetensors", statistics: true)
        #expect(listing.obstacle == .weightsOnly && listing.layers.isEmpty)
        #expect(listing.reason.contains("no nnmodel architecture"))
        #expect(listing.tensors.map(\.name) == ["net.0.weight", "net.0.bias", "steps"])
        #expect(listing.tensors.map(\.dtype) == ["F32", "F32", "I64"] && listing.tensors.map(\.shape) == [[3, 4], [3], []])
        let header = try #require(listing.file.dataOffset)
        #expect(listing.tensors.map(\.offset) == [header, header + 48, header + 60])
        #expect(listing.tensors[0].statistics?.maximum == 11 && listing.tensors[1].statistics?.minimum == 12)
        #expect(listing.tensors[2].statistics == nil, "integers are not weights")
        #expect(listing.attributes.map(\.name) == ["format"] && listing.attributes.first?.value == .string("pt"))
        // With the architecture the tensors belong to, it is a model.
        let architecture = ModelArchitecture(name: "one", inputShape: [4], layers: [Layer(name: "dense", kind: .dense(Dense(units: 3)))])
        let weights = SafetensorsTests.file([("net.0.weight", "F32", [3, 4], 0, 48), ("net.0.bias", "F32", [3], 48, 60)],
                                            data: SafetensorsTests.floats((0..<15).map(Float.init)))
        #expect(try ModelFile.describe(contents: weights, name: "w.safetensors", architecture: architecture).isRunnable)
    }
}
