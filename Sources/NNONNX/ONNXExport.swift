import NNSchema

/// Writes a `Sequential` as an ONNX model.
///
/// IR version 8 and opset 17 (ONNX 1.12, onnxruntime 1.12 and later): every operator nnmodel
/// needs exists there; GELU and Mish, which only later opsets have as operators, are written as
/// their definitions (`0.5 x (1 + erf(x / √2))`, `x tanh(softplus(x))`). Dense layers are `Gemm`
/// when their input is a matrix (`MatMul` + `Add` otherwise), Flatten is `Flatten`, Dropout is
/// left out (inference), and every activation follows Keras 3's definition. The batch axis is
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

    static func encode(_ model: Sequential, dtype: DType, producer: String, producerVersion: String, path: String)
        throws(ONNXError) -> [UInt8]
    {
        guard dtype == .float32 || dtype == .float16 else {
            throw .cannotExport(path: path, reason: "ONNX weights are written as float32 or float16, not \(dtype.rawValue)")
        }
        let architecture = model.architecture
        let specs = model.weightSpecs
        let shapes: [[Int]]
        do { shapes = try architecture.validated() } catch { throw .cannotExport(path: path, reason: error.description) }
        var nodes: [(name: String, op: String, inputs: [String], outputs: [String], attributes: [(inout ProtobufWriter) -> Void])] = []
        var initializers: [(name: String, dims: [Int], values: [Float], half: Bool)] = []
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
            initializers.append((n, dims, values, false))
            return n
        }
        func weight(_ name: String, _ tensor: Tensor) -> String {
            let n = unique(name)
            initializers.append((n, tensor.shape, tensor.scalars, dtype == .float16))
            guard dtype == .float16 else { return n }
            return node(n + "/cast", "Cast", [n], attributes: [int("to", Int64(ONNXModel.float))])
        }

        let inputName = unique(architecture.inputName.isEmpty ? "input" : architecture.inputName)
        var current = inputName
        var rank = architecture.inputShape.count + 1
        var weightIndex = 0
        for (index, layer) in architecture.layers.enumerated() {
            switch layer.kind {
            case .flatten:
                current = node(layer.name, "Flatten", [current], attributes: [int("axis", 1)])
                rank = 2
            case let .dense(d):
                let kernel = weight(specs[weightIndex].name, model.weights[weightIndex])
                weightIndex += 1
                var bias: String?
                if d.useBias {
                    bias = weight(specs[weightIndex].name, model.weights[weightIndex])
                    weightIndex += 1
                }
                if rank == 2 {
                    current = node(d.activation == .linear ? layer.name : layer.name + "/dense", "Gemm", [current, kernel] + (bias.map { [$0] } ?? []))
                } else {
                    current = node(layer.name + "/matmul", "MatMul", [current, kernel])
                    if let bias { current = node(d.activation == .linear ? layer.name : layer.name + "/bias", "Add", [current, bias]) }
                }
                current = activation(d.activation, current, layer.name, node: { node($0, $1, $2, attributes: $3) },
                                     constant: { constant($0, $1, dims: $2) })
            case let .activation(a):
                current = activation(a, current, layer.name, node: { node($0, $1, $2, attributes: $3) },
                                     constant: { constant($0, $1, dims: $2) })
            case .dropout:
                break  // identity at inference
            default:
                throw .cannotExport(path: path, reason: "layer '\(Excerpt.quote(layer.name, limit: 64))' is a \(layer.className); ONNX export covers Dense, Flatten, Activation and Dropout layers")
            }
            _ = shapes[index]
        }
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
                    m.int(2, Int64(t.half ? ONNXModel.float16 : ONNXModel.float))
                    m.string(8, t.name)
                    var raw: [UInt8] = []
                    t.values.withUnsafeBufferPointer { raw = (t.half ? DType.float16 : DType.float32).encode($0) }
                    m.data(9, raw)
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
        return w.bytes
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
