import Foundation
import NNModel
import NNTestSupport
import Testing

/// ONNX files built to mislead: each is refused with an `ONNXError` that names the file and the
/// problem, quickly, without a crash or a large allocation.
@Suite struct ONNXHostileTests {
    typealias Node = ONNXBuilder.Node

    /// Reads `bytes` as `hostile.onnx` and returns the error's message (failing when it loads).
    func refusal(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let start = ContinuousClock.now
        defer { #expect(ContinuousClock.now - start < .seconds(5), sourceLocation: sourceLocation) }
        do {
            let loaded = try ONNXCodec().read(contents: bytes, name: "hostile.onnx", options: ReadOptions())
            Issue.record("loaded \(loaded.model.architecture.layers.count) layers; expected a refusal", sourceLocation: sourceLocation)
            return ""
        } catch let error as ONNXError {
            let message = error.description
            #expect(message.hasPrefix("hostile.onnx: "), "\(message)", sourceLocation: sourceLocation)
            #expect(!message.contains("\n"), sourceLocation: sourceLocation)
            return message
        } catch {
            Issue.record("untyped error \(type(of: error)): \(error)", sourceLocation: sourceLocation)
            return ""
        }
    }

    @Test func theBuilderMakesAValidModel() throws {
        let loaded = try ONNXCodec().read(contents: ONNXBuilder.mlp.bytes, name: "ok.onnx", options: ReadOptions())
        #expect(loaded.model.architecture.layers.count == 1)
        #expect(loaded.model.architecture.name == "hand_graph")
        let y = try loaded.model.predict(Tensor(shape: [1, 4], values: [1, 0, 0, 0]))
        // Row 0 of W plus b, through relu: [-0.5+0.1, -0.4-0.2, -0.3+0.3] → [0, 0, 0]; row 3: [0.4, 0.5, 0.6] + b.
        #expect(y.scalars == [0, 0, 0])
        let z = try loaded.model.predict(Tensor(shape: [1, 4], values: [0, 0, 0, 1]))
        #expect(zip(z.scalars, [0.5, 0.3, 0.9] as [Float]).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func unsupportedOperatorsAreNamed() {
        var b = ONNXBuilder.mlp
        b.nodes[1] = Node(op: "Conv", inputs: ["h"], outputs: ["y"], name: "conv_7")
        let message = refusal(b.bytes)
        #expect(message.contains("conv_7") && message.contains("Conv") && message.contains("Gemm"), "\(message)")
        b.nodes[1] = Node(op: "ThresholdedRelu", inputs: ["h"], outputs: ["y"], attributes: [ONNXBuilder.floatAttribute("alpha", 0.01)])
        #expect(refusal(b.bytes).contains("ThresholdedRelu"))
        b.nodes[1] = Node(op: "Softmax", inputs: ["h"], outputs: ["y"], attributes: [ONNXBuilder.intAttribute("axis", 0)])
        #expect(refusal(b.bytes).contains("axis 0"))
        var custom = ONNXBuilder.mlp
        custom.nodes[1].op = "Relu"
        custom.nodes[1].attributes = []
        custom.graphExtra = []
        // A node in another domain.
        var d = PB()
        d.message(1) { n in n.string(1, "h"); n.string(2, "y"); n.string(3, "mystery"); n.string(4, "Relu"); n.string(7, "com.example") }
        custom.nodes.removeLast()
        custom.graphExtra = d.bytes
        #expect(refusal(custom.bytes).contains("com.example"))
    }

    @Test func elementwiseChainsThatAreNoActivationAreRefused() {
        var b = ONNXBuilder.mlp
        b.initializers.append(("two", [], [2]))
        b.nodes[1] = Node(op: "Mul", inputs: ["h", "two"], outputs: ["y"], name: "double")
        #expect(refusal(b.bytes).contains("none of nnmodel's activations"))
        // x · Sigmoid(x) is swish.
        var swish = ONNXBuilder.mlp
        swish.nodes = [Node(op: "Gemm", inputs: ["x", "W", "b"], outputs: ["h"]), Node(op: "Sigmoid", inputs: ["h"], outputs: ["s"]),
                       Node(op: "Mul", inputs: ["s", "h"], outputs: ["y"])]
        #expect((try? ONNXCodec().read(contents: swish.bytes, name: "s.onnx", options: ReadOptions()))?.model.architecture.layers.first?.activation == .swish)
    }

    @Test func graphsThatAreNoChainAreRefused() {
        var loop = ONNXBuilder.mlp
        loop.nodes = [Node(op: "Relu", inputs: ["x"], outputs: ["a"]), Node(op: "Relu", inputs: ["a"], outputs: ["x2"]),
                      Node(op: "Identity", inputs: ["x2"], outputs: ["a"])]
        #expect(refusal(loop.bytes).contains("defined twice"))
        var cycle = ONNXBuilder.mlp
        cycle.nodes = [Node(op: "Identity", inputs: ["x"], outputs: ["a"]), Node(op: "Identity", inputs: ["a"], outputs: ["b"]),
                       Node(op: "Identity", inputs: ["b"], outputs: ["x"])]
        #expect(!refusal(cycle.bytes).isEmpty)
        var branch = ONNXBuilder.mlp
        branch.nodes.append(Node(op: "Gemm", inputs: ["x", "W", "b"], outputs: ["other"]))
        #expect(refusal(branch.bytes).contains("not a single chain") || refusal(branch.bytes).contains("none of nnmodel's"))
        var dangling = ONNXBuilder.mlp
        dangling.output.0 = "nowhere"
        #expect(refusal(dangling.bytes).contains("nothing reads"))
        var computedWeight = ONNXBuilder.mlp
        computedWeight.initializers.removeFirst()
        #expect(refusal(computedWeight.bytes).contains("is not a constant"))
        var twoInputs = ONNXBuilder.mlp
        twoInputs.graphExtra = { var p = PB(); p.message(11) { ONNXBuilder.valueInfo(&$0, "z", [nil, 4]) }; return p.bytes }()
        #expect(refusal(twoInputs.bytes).contains("2 inputs"))
    }

    @Test func tensorsThatLieAboutTheirSizeAreRefused() {
        var b = ONNXBuilder.mlp
        b.initializers[0].dims = [4, 300_000_000]
        #expect(refusal(b.bytes).contains("needs 1200000000 elements, the data holds 48 bytes"))
        b.initializers[0].dims = [1 << 40, 1 << 40]
        #expect(refusal(b.bytes).contains("overflows"))
        b.initializers[0].dims = Array(repeating: 1, count: 9)
        #expect(refusal(b.bytes).contains("limit of 8"))
        var mismatch = ONNXBuilder.mlp
        mismatch.initializers[0] = ("W", [5, 3], (0..<15).map(Float.init))
        #expect(refusal(mismatch.bytes).contains("the weight takes 5 features, the value it multiplies has 4"))
        var duplicate = ONNXBuilder.mlp
        duplicate.initializers.append(duplicate.initializers[0])
        #expect(refusal(duplicate.bytes).contains("appears twice"))
        var external = ONNXBuilder.mlp
        external.graphExtra = {
            var p = PB()
            p.message(5) { t in t.int(1, 3); t.int(2, 1); t.string(8, "ext"); t.message(13) { e in e.string(1, "location"); e.string(2, "../../etc/passwd") }; t.int(14, 1) }
            return p.bytes
        }()
        #expect(refusal(external.bytes).contains("external file"))
        var intInput = ONNXBuilder.mlp
        intInput.graphExtra = []
        intInput.input.1 = [nil]
        #expect(refusal(intInput.bytes).contains("known shape"))
    }

    @Test func countsBeyondTheLimitsAreRefusedBeforeTheWork() {
        var many = ONNXBuilder.mlp
        var extra = PB()
        for i in 0...100_000 { extra.message(1) { n in n.string(1, "x"); n.string(2, "u\(i)"); n.string(4, "Relu") } }
        many.graphExtra = extra.bytes
        #expect(refusal(many.bytes).contains("more than the limit of 100000"))
        var attributes = ONNXBuilder.mlp
        attributes.nodes[1].attributes = Array(repeating: ONNXBuilder.intAttribute("k", 1), count: 300)
        #expect(refusal(attributes.bytes).contains("attributes"))
        var metadata = ONNXBuilder.mlp
        metadata.metadata = [("k", "1"), ("k", "2")]
        #expect(refusal(metadata.bytes).contains("appears twice"))
    }

    @Test func malformedProtocolBuffersAreRefused() {
        let good = ONNXBuilder.mlp.bytes
        #expect(refusal([]).contains("no graph"))
        #expect(refusal(Array(good.prefix(good.count - 3))).contains("runs past the end") || refusal(Array(good.prefix(good.count - 3))).contains("truncated"))
        #expect(refusal([0x08] + Array(repeating: 0xFF, count: 11)).contains("varint"))
        #expect(refusal([0x0B, 0x08, 0x01]).contains("wire type"))
        var old = ONNXBuilder.mlp
        old.irVersion = 2
        #expect(refusal(old.bytes).contains("IR version 2"))
        var noOpset = ONNXBuilder.mlp
        noOpset.opset = 0
        #expect(refusal(noOpset.bytes).contains("operator set"))
        var twoGraphs = ONNXBuilder.mlp
        twoGraphs.modelExtra = { var p = PB(); p.message(7) { _ in }; return p.bytes }()
        #expect(refusal(twoGraphs.bytes).contains("two graphs"))
    }

    /// The mlp's Gemm followed by `nodes` reading `h` and ending in `y`, with extra initializers.
    func chain(_ nodes: [Node], _ extra: [(String, [Int], [Float])] = [], output: [Int?] = [nil, 3]) -> [UInt8] {
        var b = ONNXBuilder.mlp
        b.nodes = [b.nodes[0]] + nodes
        b.initializers += extra.map { ($0.0, $0.1, $0.2) }
        b.output.1 = output
        return b.bytes
    }

    func activation(_ bytes: [UInt8]) throws -> Activation? {
        try ONNXCodec().read(contents: bytes, name: "ok.onnx", options: ReadOptions()).model.architecture.layers.first?.activation
    }

    /// The kind of the last layer read from `bytes`.
    func layer(_ bytes: [UInt8]) throws -> LayerKind? {
        try ONNXCodec().read(contents: bytes, name: "ok.onnx", options: ReadOptions()).model.architecture.layers.last?.kind
    }

    /// Activations are recognised from their exact formulas, never from agreement on sample points.
    @Test func onlyExactFormulasAreActivations() throws {
        let lo: (String, [Int], [Float]) = ("lo", [], [0]), six: (String, [Int], [Float]) = ("six", [], [6])
        let thirty: (String, [Int], [Float]) = ("thirty", [], [30])
        #expect(try activation(chain([Node(op: "Clip", inputs: ["h", "lo", "six"], outputs: ["y"])], [lo, six])) == .relu6)
        #expect(try activation(chain([Node(op: "Clip", inputs: ["h", "lo"], outputs: ["y"])], [lo])) == .relu)
        // Clip(0, 30) is Keras's ReLU(max_value=30), a layer of its own.
        #expect(try layer(chain([Node(op: "Clip", inputs: ["h", "lo", "thirty"], outputs: ["y"])], [lo, thirty])) == .relu(ReLULayer(maxValue: 30)))
        // torch's Threshold(0.09, 0): Where(x > 0.09, x, 0) is ReLU(threshold=0.09).
        let t: (String, [Int], [Float]) = ("t", [], [0.09])
        #expect(try layer(chain([Node(op: "Greater", inputs: ["h", "t"], outputs: ["g"]), Node(op: "Where", inputs: ["g", "h", "lo"], outputs: ["y"])],
                                [t, lo])) == .relu(ReLULayer(threshold: Double(Float(0.09)))))
        // ... but not Where(x > 0.09, 0, x).
        #expect(refusal(chain([Node(op: "Greater", inputs: ["h", "t"], outputs: ["g"]), Node(op: "Where", inputs: ["g", "lo", "h"], outputs: ["y"])],
                              [t, lo])).contains("none of nnmodel's activations"))
        // ONNX's defaults, not Keras's: LeakyRelu slope 0.01 (a LeakyReLU layer, not the activation), HardSigmoid 0.2x + 0.5.
        #expect(try layer(chain([Node(op: "LeakyRelu", inputs: ["h"], outputs: ["y"])])) == .leakyReLU(negativeSlope: 0.01))
        #expect(try activation(chain([Node(op: "LeakyRelu", inputs: ["h"], outputs: ["y"], attributes: [ONNXBuilder.floatAttribute("alpha", 0.2)])])) == .leakyRelu)
        #expect(refusal(chain([Node(op: "HardSigmoid", inputs: ["h"], outputs: ["y"])])).contains("none of nnmodel's activations"))
        #expect(try activation(chain([Node(op: "HardSigmoid", inputs: ["h"], outputs: ["y"],
                                           attributes: [ONNXBuilder.floatAttribute("alpha", 1.0 / 6), ONNXBuilder.floatAttribute("beta", 0.5)])])) == .hardSigmoid)
        // Float32 cancellation: (x + 1e8) − 1e8 is not x.
        let big: (String, [Int], [Float]) = ("big", [], [1e8])
        #expect(refusal(chain([Node(op: "Add", inputs: ["h", "big"], outputs: ["p"]), Node(op: "Sub", inputs: ["p", "big"], outputs: ["y"])], [big]))
            .contains("none of nnmodel's activations"))
        // GELU as tf2onnx and hand exports write it: x · 0.5 · (1 + erf(x · 0.7071)).
        let half: (String, [Int], [Float]) = ("half", [], [0.5]), one: (String, [Int], [Float]) = ("one", [], [1])
        let r: (String, [Int], [Float]) = ("r", [], [Float(1 / 2.0.squareRoot())])
        #expect(try activation(chain([
            Node(op: "Mul", inputs: ["h", "r"], outputs: ["s"]), Node(op: "Erf", inputs: ["s"], outputs: ["e"]),
            Node(op: "Add", inputs: ["one", "e"], outputs: ["a"]), Node(op: "Mul", inputs: ["h", "half"], outputs: ["m"]),
            Node(op: "Mul", inputs: ["m", "a"], outputs: ["y"]),
        ], [half, one, r])) == .gelu)
        // A run whose expression doubles at every node stops at the term limit.
        var doubling = [Node(op: "Add", inputs: ["h", "h"], outputs: ["d0"])]
        for i in 1..<60 { doubling.append(Node(op: "Add", inputs: ["d\(i - 1)", "d\(i - 1)"], outputs: ["d\(i)"])) }
        doubling.append(Node(op: "Relu", inputs: ["d59"], outputs: ["y"]))
        #expect(!refusal(chain(doubling)).isEmpty)
    }

    /// Constants broadcast as ONNX broadcasts them; anything nnmodel would add differently is refused.
    @Test func broadcastingAndReshapesFollowONNX() {
        var column = ONNXBuilder.mlp
        column.initializers[1] = ("b", [3, 1], [0.1, -0.2, 0.3])
        #expect(refusal(column.bytes).contains("the bias C has shape [3, 1]"))
        var matmul = ONNXBuilder.mlp
        matmul.input.1 = [nil, 2, 4]
        matmul.output.1 = [nil, 2, 3]
        matmul.initializers[1] = ("b", [3, 1], [0.1, -0.2, 0.3])
        matmul.nodes = [Node(op: "MatMul", inputs: ["x", "W"], outputs: ["m"]), Node(op: "Add", inputs: ["m", "b"], outputs: ["h"]),
                        Node(op: "Relu", inputs: ["h"], outputs: ["y"])]
        #expect(!refusal(matmul.bytes).isEmpty)
        let zeros: (String, [Int], [Float]) = ("z", [1, 1, 1], [0])
        #expect(!refusal(chain([Node(op: "Add", inputs: ["h", "z"], outputs: ["y"])], [zeros])).isEmpty)
        let shape = ONNXBuilder.Node(op: "Reshape", inputs: ["h", "shape"], outputs: ["y"])
        var reshape = ONNXBuilder.mlp
        reshape.nodes = [reshape.nodes[0], shape]
        reshape.graphExtra = { var p = PB(); p.message(5) { t in t.int(1, 2); t.int(2, 7); t.string(8, "shape"); t.int(7, -1); t.int(7, 4) }; return p.bytes }()
        #expect(refusal(reshape.bytes).contains("reshape of [batch, 3] to [-1, 4]"))
    }

    /// Every value is defined once; casts of weights apply their type.
    @Test func valuesAreDefinedOnceAndCastsApply() throws {
        var shadow = ONNXBuilder.mlp
        shadow.graphExtra = { var p = PB(); p.message(1) { n in n.string(2, "W"); n.string(3, "k"); n.string(4, "Constant"); n.message(5) { a in a.string(1, "value_float"); a.float(2, 1); a.int(20, 1) } }; return p.bytes }()
        #expect(refusal(shadow.bytes).contains("defined twice"))
        var toInt = ONNXBuilder.mlp
        toInt.nodes.insert(Node(op: "Cast", inputs: ["W"], outputs: ["Wi"], attributes: [ONNXBuilder.intAttribute("to", 6)]), at: 0)
        toInt.nodes.insert(Node(op: "Cast", inputs: ["Wi"], outputs: ["Wf"], attributes: [ONNXBuilder.intAttribute("to", 1)]), at: 1)
        toInt.nodes[2].inputs[1] = "Wf"
        #expect(refusal(toInt.bytes).contains("not a constant"))
        var toHalf = ONNXBuilder.mlp
        toHalf.nodes.insert(Node(op: "Cast", inputs: ["W"], outputs: ["Wh"], attributes: [ONNXBuilder.intAttribute("to", 10)]), at: 0)
        toHalf.nodes.insert(Node(op: "Cast", inputs: ["Wh"], outputs: ["Wf"], attributes: [ONNXBuilder.intAttribute("to", 1)]), at: 1)
        toHalf.nodes[2].inputs[1] = "Wf"
        let model = try ONNXCodec().read(contents: toHalf.bytes, name: "half.onnx", options: ReadOptions()).model
        #expect(model.weights[0].scalars == ONNXBuilder.mlp.initializers[0].values.map { Float(Float16($0)) })
        var training = ONNXBuilder.mlp
        training.initializers.append(("ratio", [], [0.5]))
        training.graphExtra = { var p = PB(); p.message(5) { t in t.int(2, 9); t.string(8, "mode"); t.data(9, [1]) }; return p.bytes }()
        training.nodes.insert(Node(op: "Dropout", inputs: ["h", "ratio", "mode"], outputs: ["hd"]), at: 1)
        training.nodes[2].inputs = ["hd"]
        #expect(refusal(training.bytes).contains("training mode"))
    }

    @Test func theFormatIsRecognisedByContent() throws {
        let folder = try TemporaryFolder("onnx-hostile")
        let path = try folder.write("model.bin", ONNXBuilder.mlp.bytes)
        #expect(try ModelFile.detectFormat(path: path) == .onnx)
        let message = try folder.write("text.onnx", Array("hello".utf8))
        #expect(throws: ONNXError.self) { try ModelFile.open(message) }
    }

    // MARK: Convolutions and pooling

    static func ints(_ name: String, _ values: [Int64]) -> (inout PB) -> Void {
        { a in a.string(1, name); for v in values { a.int(8, v) }; a.int(20, 7) }
    }
    static func string(_ name: String, _ value: String) -> (inout PB) -> Void {
        { a in a.string(1, name); a.string(4, value); a.int(20, 3) }
    }

    /// x [N, 4, 4, 2] → Transpose to channels first → `op` (named "window_op") → Transpose back → y;
    /// a Conv reads W [3, 2, 3, 3].
    static func windowGraph(op: String = "Conv", _ attributes: [(inout PB) -> Void], input: [Int?] = [nil, 4, 4, 2],
                            weight: [Int] = [3, 2, 3, 3], transpose: Bool = true) -> ONNXBuilder {
        var b = ONNXBuilder()
        let rank = Int64(input.count)
        b.input = ("x", input)
        b.output = ("y", [nil])
        b.initializers = [("W", weight, Array(repeating: 0.1, count: weight.reduce(1, *)))]
        let toFirst: [Int64] = [0, rank - 1] + (1..<(rank - 1)).map { $0 }
        let toLast: [Int64] = [0] + (2..<rank).map { $0 } + [1]
        b.nodes = [
            Node(op: "Transpose", inputs: ["x"], outputs: ["t"], attributes: [ints("perm", transpose ? toFirst : Array(0..<rank))]),
            Node(op: op, inputs: op == "Conv" ? ["t", "W"] : ["t"], outputs: ["c"], name: "window_op", attributes: attributes),
            Node(op: "Transpose", inputs: ["c"], outputs: ["y"], attributes: [ints("perm", transpose ? toLast : Array(0..<rank))]),
        ]
        return b
    }

    @Test func aChannelsLastConvolutionIsRead() throws {
        let conv = try ONNXCodec().read(contents: Self.windowGraph([Self.ints("pads", [1, 1, 1, 1])]).bytes, name: "ok.onnx", options: ReadOptions())
        #expect(conv.model.architecture.layers.map(\.kind) == [.conv2D(Conv2D(filters: 3, kernelSize: [3, 3], padding: .same, useBias: false))])
        let upper = try ONNXCodec().read(contents: Self.windowGraph([Self.string("auto_pad", "SAME_UPPER"), Self.ints("strides", [2, 2])]).bytes,
                                         name: "ok.onnx", options: ReadOptions())
        #expect(upper.model.architecture.layers.map(\.kind) == [.conv2D(Conv2D(filters: 3, kernelSize: [3, 3], strides: [2, 2], padding: .same, useBias: false))])
        let pool = try ONNXCodec().read(contents: Self.windowGraph(op: "MaxPool", [Self.ints("kernel_shape", [3, 3]), Self.ints("strides", [2, 2]),
                                                                              Self.ints("pads", [0, 0, 1, 1])]).bytes,
                                        name: "ok.onnx", options: ReadOptions())
        #expect(pool.model.architecture.layers.map(\.kind) == [.pooling2D(Pooling2D(mode: .max, poolSize: [3, 3], strides: [2, 2], padding: .same))])
    }

    @Test func convolutionsNnmodelDoesNotRunAreRefusedNamingTheNode() {
        let refusals: [(ONNXBuilder, String)] = [
            (Self.windowGraph([ONNXBuilder.intAttribute("group", 2)]), "group = 2"),
            (Self.windowGraph([Self.string("auto_pad", "SAME_LOWER")]), "auto_pad 'SAME_LOWER'"),
            (Self.windowGraph([Self.ints("pads", [1, 0, 0, 1])]), "are neither 'valid'"),
            (Self.windowGraph([Self.ints("kernel_shape", [2, 2])]), "kernel_shape [2, 2] does not match the weight's [3, 3]"),
            (Self.windowGraph([Self.ints("strides", [2, 2]), Self.ints("dilations", [2, 2])]), "dilates only with strides [1, 1]"),
            (Self.windowGraph([], input: [nil, 6, 2], weight: [3, 2, 3]), "a 1-D convolution"),
            (Self.windowGraph([], input: [nil, 4, 4, 4, 2], weight: [3, 2, 3, 3, 3]), "a 3-D convolution"),
            (Self.windowGraph([], input: [nil, 2, 4, 4], transpose: false), "channels-first convolutions are not supported"),
            (Self.windowGraph(op: "MaxPool", [Self.ints("kernel_shape", [2, 2]), ONNXBuilder.intAttribute("ceil_mode", 1)]), "ceil_mode = 1"),
            (Self.windowGraph(op: "MaxPool", [Self.ints("kernel_shape", [2, 2]), ONNXBuilder.intAttribute("storage_order", 1)]), "storage_order = 1"),
            (Self.windowGraph(op: "AveragePool", [Self.ints("kernel_shape", [3, 3]), Self.ints("pads", [1, 1, 1, 1]),
                                              ONNXBuilder.intAttribute("count_include_pad", 1)]), "count_include_pad = 1"),
            (Self.windowGraph(op: "MaxPool", [Self.ints("kernel_shape", [2, 2]), Self.string("auto_pad", "SAME_LOWER")]), "auto_pad 'SAME_LOWER'"),
        ]
        for (graph, expected) in refusals {
            let message = refusal(graph.bytes)
            #expect(message.contains("window_op") && message.contains(expected), "\(expected): \(message)")
        }
    }

    @Test func reshapesWithZeroDimensionsAreRefused() {
        func reshape(_ target: [Int64], allowZero: Bool) -> [UInt8] {
            var b = ONNXBuilder()
            b.input = ("x", [nil, 4, 4, 3])
            b.output = ("y", [nil, 48])
            b.nodes = [Node(op: "Reshape", inputs: ["x", "shape"], outputs: ["y"], name: "reshape_op",
                            attributes: allowZero ? [ONNXBuilder.intAttribute("allowzero", 1)] : [])]
            b.graphExtra = {
                var p = PB()
                p.message(5) { t in t.int(1, Int64(target.count)); t.int(2, 7); t.string(8, "shape"); for v in target { t.int(7, v) } }
                return p.bytes
            }()
            return b.bytes
        }
        let copy = refusal(reshape([-1, 0, 12], allowZero: false))
        #expect(copy.contains("reshape_op") && copy.contains("a 0 dimension"), "\(copy)")
        let allowZero = refusal(reshape([0, 48], allowZero: true))
        #expect(allowZero.contains("reshape_op") && allowZero.contains("allowzero"), "\(allowZero)")
        #expect((try? ONNXCodec().read(contents: reshape([0, 48], allowZero: false), name: "ok.onnx", options: ReadOptions())) != nil)
    }
}
