import NNSchema
import NNSystem

/// Writes a `Sequential` as an ONNX model.
///
/// IR version 8 and opset 17 (ONNX 1.12, onnxruntime 1.12 and later): every operator nnmodel
/// needs exists there; GELU and Mish, which only later opsets have as operators, are written as
/// their definitions (`0.5 x (1 + erf(x / √2))`, `x tanh(softplus(x))`). Dense layers are `Gemm`
/// when their input is a matrix (`MatMul` + `Add` otherwise), Flatten is `Flatten`, Dropout is
/// left out (inference), and every activation follows Keras 3's definition. Images stay channels
/// last at the graph's input and output; Conv2D (`Conv`), pooling (`MaxPool`, `AveragePool` with
/// `count_include_pad = 0`) and BatchNormalization of images run channels first between
/// `Transpose` nodes, with explicit pads computed as nnmodel pads (see ``ONNXLayout``). Global
/// pooling is `ReduceMean`/`ReduceMax`, Reshape is `Reshape` to `[-1, target]`, LayerNormalization
/// is `LayerNormalization`, the activation layers are `Relu`, `Clip`, `LeakyRelu`, `Elu`,
/// `Softmax`, `PRelu` or, for a thresholded ReLU, its formula. The batch axis is
/// symbolic (`batch`). Weights are float32, or float16 initializers each followed by a `Cast` to
/// float32 (the model computes in float32, as nnmodel does). The nnmodel architecture, metadata
/// and format version travel in `metadata_props`, so nnmodel reads its own files back whole.
enum ONNXExport {
    static let irVersion: Int64 = 8
    static let opsetVersion: Int64 = 17

    /// Metadata keys of nnmodel's own files.
    static let architectureKey = "nnmodel.architecture"
    static let metadataKey = "nnmodel.metadata"
    static let formatKey = "nnmodel.format_version"

    /// Builds the ONNX model of `model`, all of it but the weights' values, which
    /// ``Encoded/write(to:chunkElements:)`` reads from `model` as it writes them.
    static func encode(_ model: StreamedModel, dtype: DType, producer: String, producerVersion: String, path: String)
        throws(ONNXError) -> Encoded
    {
        guard dtype == .float32 || dtype == .float16 else {
            throw .cannotExport(path: path, reason: "ONNX weights are written as float32 or float16, not \(dtype.rawValue)")
        }
        let architecture = model.architecture
        let specs: [WeightSpec]
        do { specs = try architecture.weightSpecs() } catch { throw .cannotExport(path: path, reason: error.description) }
        // The weights whose values the file holds, in the order their initializers refer to them.
        var weights: [Encoded.Weight] = []
        let shapes: [[Int]]
        do { shapes = try architecture.validated() } catch { throw .cannotExport(path: path, reason: error.description) }
        var nodes: [(name: String, op: String, inputs: [String], outputs: [String], attributes: [(inout ProtobufWriter) -> Void])] = []
        var initializers: [(name: String, dims: [Int], values: [Float], half: Bool, integers: [Int64]?, weight: Int?)] = []
        var usedNames: Set<String> = []
        func unique(_ base: String) -> String {
            var name = base, n = 1
            while !usedNames.insert(name).inserted { name = "\(base)_\(n)"; n += 1 }
            return name
        }
        func node(_ name: String, _ op: String, _ inputs: [String], attributes: [(inout ProtobufWriter) -> Void] = []) -> String {
            let output = unique(name)
            nodes.append((output, op, inputs, [output], attributes))
            return output
        }
        func constant(_ name: String, _ values: [Float], dims: [Int] = []) -> String {
            let n = unique(name)
            initializers.append((n, dims, values, false, nil, nil))
            return n
        }
        func integers(_ name: String, _ values: [Int64]) -> String {
            let n = unique(name)
            initializers.append((n, [values.count], [], false, values, nil))
            return n
        }
        /// A float tensor as a `Constant` node: a value that is not one of the model's weights (the
        /// reader tells it from an initializer, so an absent gamma stays absent).
        func constantNode(_ name: String, _ values: [Float], dims: [Int]) -> String {
            node(name, "Constant", [], attributes: [tensorAttribute("value", values, dims: dims)])
        }
        /// Weight `index` of the model, stored as `dims` (a convolution kernel: permuted to ONNX's order).
        func weight(_ name: String, _ index: Int, dims: [Int], convolution: Bool = false) -> String {
            let n = unique(name)
            weights.append(Encoded.Weight(tensor: model.weights[index], half: dtype == .float16, convolution: convolution))
            initializers.append((n, dims, [], dtype == .float16, nil, weights.count - 1))
            guard dtype == .float16 else { return n }
            return node(n + "/cast", "Cast", [n], attributes: [int("to", Int64(ONNXModel.float))])
        }

        let inputName = unique(architecture.inputName.isEmpty ? "input" : architecture.inputName)
        var current = inputName
        var rank = architecture.inputShape.count + 1
        var weightIndex = 0
        // Whether `current` is an image in ONNX's channels-first layout (between Conv, pooling and
        // batch normalization nodes; the Transpose back is written only when a layer needs it).
        var channelsFirst = false
        func toChannelsFirst(_ name: String) {
            guard !channelsFirst, rank > 2 else { return }
            current = node(name + "/to_nchw", "Transpose", [current], attributes: [ints("perm", ONNXLayout.toChannelsFirst(rank: rank))])
            channelsFirst = true
        }
        func toChannelsLast(_ name: String) {
            guard channelsFirst else { return }
            current = node(name + "/to_nhwc", "Transpose", [current], attributes: [ints("perm", ONNXLayout.toChannelsLast(rank: rank))])
            channelsFirst = false
        }
        func nextWeight() -> String {
            defer { weightIndex += 1 }
            return weight(specs[weightIndex].name, weightIndex, dims: model.weights[weightIndex].shape)
        }
        func writeActivation(_ a: Activation, _ name: String) {
            if a == .softmax { toChannelsLast(name) }
            current = activation(a, current, name, node: { node($0, $1, $2, attributes: $3) }, constant: { constant($0, $1, dims: $2) })
        }
        for (index, layer) in architecture.layers.enumerated() {
            let input = index == 0 ? architecture.inputShape : shapes[index - 1]
            let output = shapes[index]
            defer { rank = output.count + 1 }
            switch layer.kind {
            case .flatten:
                toChannelsLast(layer.name)
                current = node(layer.name, "Flatten", [current], attributes: [int("axis", 1)])
            case let .dense(d):
                toChannelsLast(layer.name)
                let kernel = nextWeight()
                let bias: String? = d.useBias ? nextWeight() : nil
                if rank == 2 {
                    current = node(d.activation == .linear ? layer.name : layer.name + "/dense", "Gemm", [current, kernel] + (bias.map { [$0] } ?? []))
                } else {
                    current = node(layer.name + "/matmul", "MatMul", [current, kernel])
                    if let bias { current = node(d.activation == .linear ? layer.name : layer.name + "/bias", "Add", [current, bias]) }
                }
                writeActivation(d.activation, layer.name)
            case let .activation(a):
                writeActivation(a, layer.name)
            case .dropout:
                break  // identity at inference
            case let .conv2D(c):
                guard let pads = ONNXLayout.pads(input: input, window: c.kernelSize, strides: c.strides, dilation: c.dilationRate,
                                                 padding: c.padding) else {
                    throw .cannotExport(path: path, reason: "layer '\(Excerpt.quote(layer.name, limit: 64))': no window fits its input")
                }
                toChannelsFirst(layer.name)
                // Keras's kernel [kh, kw, in, filters] is ONNX's [filters, in, kh, kw].
                let k = model.weights[weightIndex].shape
                let kernel = weight(specs[weightIndex].name, weightIndex, dims: [k[3], k[2], k[0], k[1]], convolution: true)
                weightIndex += 1
                let bias: String? = c.useBias ? nextWeight() : nil
                current = node(c.activation == .linear ? layer.name : layer.name + "/conv", "Conv", [current, kernel] + (bias.map { [$0] } ?? []),
                               attributes: [ints("kernel_shape", c.kernelSize.map(Int64.init)), ints("strides", c.strides.map(Int64.init)),
                                            ints("dilations", c.dilationRate.map(Int64.init)), ints("pads", pads.map(Int64.init)),
                                            int("group", 1)])
                writeActivation(c.activation, layer.name)
            case let .pooling2D(p):
                guard let pads = ONNXLayout.pads(input: input, window: p.poolSize, strides: p.strides, padding: p.padding) else {
                    throw .cannotExport(path: path, reason: "layer '\(Excerpt.quote(layer.name, limit: 64))': no window fits its input")
                }
                toChannelsFirst(layer.name)
                // Windows are cut at the edges: max ignores the padding, average divides by the positions inside.
                var attributes = [ints("kernel_shape", p.poolSize.map(Int64.init)), ints("strides", p.strides.map(Int64.init)),
                                  ints("pads", pads.map(Int64.init))]
                if p.mode == .average { attributes.append(int("count_include_pad", 0)) }
                current = node(layer.name, p.mode == .max ? "MaxPool" : "AveragePool", [current], attributes: attributes)
            case let .globalPooling2D(p):
                toChannelsLast(layer.name)
                current = node(layer.name, p.mode == .max ? "ReduceMax" : "ReduceMean", [current],
                               attributes: [ints("axes", [1, 2]), int("keepdims", p.keepDims ? 1 : 0)])
            case .reshape:
                toChannelsLast(layer.name)
                let shape = integers(layer.name + "/shape", [-1] + output.map(Int64.init))
                current = node(layer.name, "Reshape", [current, shape])
            case let .batchNormalization(b):
                toChannelsFirst(layer.name)
                let channels = input.last ?? 1
                let gamma = b.scale ? nextWeight() : constantNode(layer.name + "/ones", Array(repeating: 1, count: channels), dims: [channels])
                let beta = b.center ? nextWeight() : constantNode(layer.name + "/zeros", Array(repeating: 0, count: channels), dims: [channels])
                let mean = nextWeight(), variance = nextWeight()
                current = node(layer.name, "BatchNormalization", [current, gamma, beta, mean, variance],
                               attributes: [float("epsilon", Float(b.epsilon))])
            case let .layerNormalization(l):
                toChannelsLast(layer.name)
                let channels = input.last ?? 1
                let gamma = l.scale ? nextWeight() : constantNode(layer.name + "/ones", Array(repeating: 1, count: channels), dims: [channels])
                let beta: [String] = l.center ? [nextWeight()] : []
                current = node(layer.name, "LayerNormalization", [current, gamma] + beta,
                               attributes: [int("axis", -1), float("epsilon", Float(l.epsilon))])
            case let .relu(r):
                current = relu(r, current, layer.name, node: { node($0, $1, $2, attributes: $3) }, constant: { constant($0, $1, dims: $2) })
            case let .leakyReLU(slope):
                current = node(layer.name, "LeakyRelu", [current], attributes: [float("alpha", Float(slope))])
            case let .elu(alpha):
                current = node(layer.name, "Elu", [current], attributes: [float("alpha", Float(alpha))])
            case .softmax:
                writeActivation(.softmax, layer.name)
            case .prelu:
                toChannelsLast(layer.name)
                let alpha = nextWeight()
                current = node(layer.name, "PRelu", [current, alpha])
            }
        }
        rank = (shapes.last ?? architecture.inputShape).count + 1
        toChannelsLast(architecture.layers.last?.name ?? "output")
        // The graph output carries the last layer's name.
        let outputName = architecture.layers.last?.name ?? "output"
        if current != outputName {
            if usedNames.contains(outputName) {
                // The last node already has that name as an intermediate (a Dense whose activation was split off).
                current = node(outputName + "_output", "Identity", [current])
            } else {
                current = node(outputName, "Identity", [current])
            }
        }

        var w = ProtobufWriter()
        w.int(1, irVersion)
        w.string(2, producer)
        w.string(3, producerVersion)
        w.message(7) { g in
            for n in nodes {
                g.message(1) { m in
                    for i in n.inputs { m.string(1, i) }
                    for o in n.outputs { m.string(2, o) }
                    m.string(3, n.name)
                    m.string(4, n.op)
                    for a in n.attributes { m.message(5, a) }
                }
            }
            g.string(2, architecture.name)
            for t in initializers {
                g.message(5) { m in
                    m.packedInts(1, t.dims.map(Int64.init))
                    if let integers = t.integers {
                        m.int(2, Int64(ONNXModel.int64))
                        m.string(8, t.name)
                        var raw: [UInt8] = []
                        for v in integers { withUnsafeBytes(of: v.littleEndian) { raw.append(contentsOf: $0) } }
                        m.data(9, raw)
                        return
                    }
                    m.int(2, Int64(t.half ? ONNXModel.float16 : ONNXModel.float))
                    m.string(8, t.name)
                    if let index = t.weight {
                        m.deferredData(9, length: weights[index].tensor.count * (t.half ? 2 : 4), id: index)
                    } else {
                        var raw: [UInt8] = []
                        t.values.withUnsafeBufferPointer { raw = (t.half ? DType.float16 : DType.float32).encode($0) }
                        m.data(9, raw)
                    }
                }
            }
            g.message(11) { v in valueInfo(&v, inputName, [nil] + architecture.inputShape) }
            g.message(12) { v in valueInfo(&v, current, [nil] + architecture.outputShape) }
        }
        w.message(8) { o in
            o.string(1, "")
            o.int(2, opsetVersion)
        }
        let props: [(String, String)] = [
            (architectureKey, KerasConfig.json(for: architecture).serialized()),
            (metadataKey, model.metadata.json.serialized()),
            (formatKey, ModelMetadata.schemaVersion),
        ]
        // A file its own reader would refuse is not written (the reader caps each value).
        for (key, value) in props where value.utf8.count > ONNXModel.maximumMetadataValue {
            throw ONNXError.cannotExport(path: path, reason: "its '\(key)' would be \(value.utf8.count) bytes, more than the \(ONNXModel.maximumMetadataValue) an ONNX file nnmodel reads may hold (write .nnm, .h5 or .keras instead)")
        }
        for (key, value) in props {
            w.message(14) { e in
                e.string(1, key)
                e.string(2, value)
            }
        }
        // A protocol buffer message holds at most 2 GiB: a larger file no ONNX reader reads.
        guard w.count <= ONNXCodec.maximumFileSize else {
            let halving = dtype == .float32 && w.count / 2 < ONNXCodec.maximumFileSize ? ", or ONNX with --dtype float16" : ""
            throw .cannotExport(path: path, reason: "the file would be \(w.count) bytes, more than the \(ONNXCodec.maximumFileSize) a protocol buffer message (and so an ONNX file without external data) may hold: write .nnm, .h5 or safetensors\(halving)")
        }
        return Encoded(message: w, weights: weights)
    }

    /// An ONNX model ready to write: the message with its weights' raw data left out, and the
    /// tensors they come from.
    struct Encoded {
        /// One weight's values as the file stores them.
        struct Weight {
            var tensor: StreamedTensor
            /// Stored as float16 rather than float32.
            var half: Bool
            /// A Conv2D kernel: Keras's `[kh, kw, in, filters]` stored as ONNX's `[filters, in, kh, kw]`.
            var convolution: Bool
        }

        var message: ProtobufWriter
        var weights: [Weight]

        /// The file's size.
        var count: Int { message.count }

        /// Writes the model to `path` atomically, reading each weight a piece of at most
        /// `chunkElements` values at a time (a convolution kernel whole, to permute it).
        func write(to path: String, chunkElements: Int) throws {
            // Checked first, so that nothing is read for a target that cannot be written.
            do { try AtomicFile.checkTarget(path) } catch { throw ONNXError.file(error) }
            var buffer = ChunkBuffer(elements: chunkElements)
            defer { buffer.deallocate() }
            do {
                try AtomicFile.replace(path, fillOrFail: { fd, _ in
                    try message.write({ bytes in try AtomicFile.writeAll(fd, bytes, path: path) }, deferred: { index in
                        try write(weights[index], path: path, buffer: &buffer) { bytes in try AtomicFile.writeAll(fd, bytes, path: path) }
                    })
                })
            } catch let error as FileError {
                throw ONNXError.file(error)
            }
        }

        /// Reads `weight` and hands its stored bytes to `output`, a piece at a time.
        func write(_ weight: Weight, path: String, buffer: inout ChunkBuffer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
            let dtype: DType = weight.half ? .float16 : .float32
            let reader = try weight.tensor.reader()
            let shape = weight.tensor.shape
            if weight.convolution, shape.count == 4 {
                // The kernel whole (memory that cannot be had is an error), written in ONNX's order
                // through the piece buffer.
                guard let whole = FallibleAllocation.floats(weight.tensor.count) else {
                    throw ONNXError.file(.writeFailed(path: path, reason: "cannot allocate \(weight.tensor.count) float32 values (\(weight.tensor.count / (1 << 18)) MiB) to permute a Conv2D kernel of shape \(shape) into ONNX's order"))
                }
                defer { FallibleAllocation.free(whole) }
                try reader.read(into: whole)
                try reader.finish()
                let (kh, kw, cin, filters) = (shape[0], shape[1], shape[2], shape[3])
                var fill = 0
                func flush() throws {
                    try output(buffer.encode(UnsafeBufferPointer(rebasing: buffer.values[0..<fill]), as: dtype))
                    fill = 0
                }
                for o in 0..<filters { for i in 0..<cin { for a in 0..<kh { for b in 0..<kw {
                    buffer.values[fill] = whole[((a * kw + b) * cin + i) * filters + o]
                    fill += 1
                    if fill == buffer.elements { try flush() }
                } } } }
                if fill > 0 { try flush() }
                return
            }
            try buffer.stream(reader, count: weight.tensor.count, as: dtype, output)
        }
    }

    /// A float tensor value info with a symbolic batch dimension where `dims` holds nil.
    static func valueInfo(_ v: inout ProtobufWriter, _ name: String, _ dims: [Int?]) {
        v.string(1, name)
        v.message(2) { type in
            type.message(1) { tensor in
                tensor.int(1, Int64(ONNXModel.float))
                tensor.message(2) { shape in
                    for d in dims {
                        shape.message(1) { dim in
                            if let d { dim.int(1, Int64(d)) } else { dim.string(2, "batch") }
                        }
                    }
                }
            }
        }
    }

    static func int(_ name: String, _ value: Int64) -> (inout ProtobufWriter) -> Void {
        { a in a.string(1, name); a.int(3, value); a.int(20, 2) }
    }

    static func ints(_ name: String, _ values: [Int64]) -> (inout ProtobufWriter) -> Void {
        { a in a.string(1, name); a.packedInts(8, values); a.int(20, 7) }
    }

    /// A float32 tensor attribute (a `Constant` node's `value`).
    static func tensorAttribute(_ name: String, _ values: [Float], dims: [Int]) -> (inout ProtobufWriter) -> Void {
        { a in
            a.string(1, name)
            a.message(5) { t in
                t.packedInts(1, dims.map(Int64.init))
                t.int(2, Int64(ONNXModel.float))
                var raw: [UInt8] = []
                for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
                t.data(9, raw)
            }
            a.int(20, 4)
        }
    }

    /// Writes Keras's `ReLU` layer after `input`, exactly as nnmodel computes it:
    /// `x > t ? x : s·(x - t)`, then `min(·, maxValue)`. The common cases are one operator
    /// (`Relu`, `Clip`, `LeakyRelu`); the rest is
    /// `Where(x > t, Min(x, m), Min((x - t)·s, m))`, which reads `x` up to its last node so that
    /// the reader sees one function. Returns the output name.
    static func relu(
        _ r: ReLULayer, _ input: String, _ layer: String,
        node: (String, String, [String], [(inout ProtobufWriter) -> Void]) -> String,
        constant: (String, [Float], [Int]) -> String
    ) -> String {
        let t = Float(r.threshold), s = Float(r.negativeSlope), m = r.maxValue.map(Float.init)
        if t == 0, s == 0 {
            guard let m else { return node(layer, "Relu", [input], []) }
            return node(layer, "Clip", [input, constant(layer + "/min", [0], []), constant(layer + "/max", [m], [])], [])
        }
        if t == 0, m == nil { return node(layer, "LeakyRelu", [input], [float("alpha", s)]) }
        let threshold = constant(layer + "/threshold", [t], [])
        let condition = node(layer + "/above", "Greater", [input, threshold], [])
        var below = t == 0 ? input : node(layer + "/shift", "Sub", [input, threshold], [])
        below = node(layer + "/slope", "Mul", [below, constant(layer + "/negative_slope", [s], [])], [])
        var above = input
        if let m {
            let cap = constant(layer + "/max_value", [m], [])
            below = node(layer + "/cap_below", "Min", [below, cap], [])
            above = node(layer + "/cap_above", "Min", [input, cap], [])
        }
        return node(layer, "Where", [condition, above, below], [])
    }

    static func float(_ name: String, _ value: Float) -> (inout ProtobufWriter) -> Void {
        { a in a.string(1, name); a.float(2, value); a.int(20, 1) }
    }

    /// Writes `activation` after `input`; returns the output name.
    static func activation(
        _ activation: Activation, _ input: String, _ layer: String,
        node: (String, String, [String], [(inout ProtobufWriter) -> Void]) -> String,
        constant: (String, [Float], [Int]) -> String
    ) -> String {
        func op(_ type: String, _ attributes: [(inout ProtobufWriter) -> Void] = []) -> String {
            node(layer, type, [input], attributes)
        }
        switch activation {
        case .linear: return input
        case .relu: return op("Relu")
        case .sigmoid: return op("Sigmoid")
        case .tanh: return op("Tanh")
        case .softmax: return op("Softmax", [int("axis", -1)])
        case .elu: return op("Elu", [float("alpha", 1)])
        case .selu: return op("Selu", [float("alpha", 1.67326324), float("gamma", 1.05070098)])
        case .softplus: return op("Softplus")
        case .softsign: return op("Softsign")
        case .exponential: return op("Exp")
        case .leakyRelu: return op("LeakyRelu", [float("alpha", 0.2)])
        case .hardSigmoid: return op("HardSigmoid", [float("alpha", Float(1.0 / 6.0)), float("beta", 0.5)])
        case .hardSilu: return op("HardSwish")
        case .relu6:
            let low = constant(layer + "/min", [0], []), high = constant(layer + "/max", [6], [])
            return node(layer, "Clip", [input, low, high], [])
        case .swish:
            let s = node(layer + "/sigmoid", "Sigmoid", [input], [])
            return node(layer, "Mul", [input, s], [])
        case .gelu:
            let root2 = constant(layer + "/sqrt2", [Float(2.0.squareRoot())], []), one = constant(layer + "/one", [1], [])
            let half = constant(layer + "/half", [0.5], [])
            let scaled = node(layer + "/div", "Div", [input, root2], [])
            let erf = node(layer + "/erf", "Erf", [scaled], [])
            let plus = node(layer + "/add", "Add", [erf, one], [])
            let times = node(layer + "/mul", "Mul", [input, plus], [])
            return node(layer, "Mul", [times, half], [])
        case .mish:
            let sp = node(layer + "/softplus", "Softplus", [input], [])
            let t = node(layer + "/tanh", "Tanh", [sp], [])
            return node(layer, "Mul", [input, t], [])
        }
    }
}
