import NNSchema

/// Reads an ONNX graph that is a plain chain of the operators nnmodel runs into a `Sequential`.
///
/// Accepted, in the forms `torch.onnx.export` of an `nn.Sequential` MLP and `tf2onnx` of a Keras
/// MLP produce: `Gemm` (alpha = beta = 1, transA = 0, transB 0 or 1) and `MatMul` (+ `Add` of a
/// bias) with constant weights; `Flatten` (axis 1) and `Reshape` to `[batch, features]`;
/// `Identity`, `Dropout` and `Cast` to float (skipped); `Constant` nodes (as initializers); and
/// the activations `Relu`, `Sigmoid`, `Tanh`, `Softmax` (last axis), `Elu` (alpha 1), `Selu`,
/// `Softplus`, `Softsign`, `Exp`, `LeakyRelu` (alpha 0.2), `HardSigmoid` (alpha 1/6, beta 0.5),
/// `HardSwish`, `Clip` to [0, 6], `Gelu` (exact), `Mish`, and the decompositions of swish
/// (`x · Sigmoid(x)`), GELU (`0.5 x (1 + Erf(x / √2))`) and Mish (`x · Tanh(Softplus(x))`).
/// Anything else is refused naming the node, its operator and what is supported.
enum ONNXImport {
    static let supportedOperators = [
        "Gemm", "MatMul", "Add", "Flatten", "Reshape", "Identity", "Dropout", "Cast", "Constant", "Relu", "Sigmoid",
        "Tanh", "Softmax", "Elu", "Selu", "Softplus", "Softsign", "Exp", "LeakyRelu", "HardSigmoid", "HardSwish", "Clip",
        "Gelu", "Mish", "Mul", "Div", "Erf",
    ]

    /// One step of the chain as read: a layer, its weights (kernel `[in, out]`, bias), or nothing.
    enum Step {
        case flatten
        case dense(kernel: Tensor, bias: Tensor?)
        case activation(Activation)
    }

    /// The model in `onnx`: its architecture and weights.
    static func model(_ onnx: ONNXModel, path: String) throws(ONNXError)
        -> (architecture: ModelArchitecture, weights: [Tensor], weightsDType: DType?)
    {
        // Constants: initializers and Constant nodes.
        var constants = onnx.initializers
        for node in onnx.nodes where node.opType == "Constant" {
            guard let output = node.outputs.first, let value = constantValue(node) else {
                throw .unsupportedNode(path: path, node: node.name, opType: node.opType,
                                       reason: "only 'value', 'value_float(s)' and 'value_int(s)' constants are supported")
            }
            constants[output] = value
        }
        for node in onnx.nodes where !node.domain.isEmpty && node.domain != "ai.onnx" {
            throw .unsupportedNode(path: path, node: node.name, opType: "\(node.domain).\(node.opType)", reason: "operators outside the ONNX domain are not supported")
        }
        for node in onnx.nodes where node.attributes.contains(where: \.hasGraph) {
            throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "subgraphs are not supported")
        }
        let graphInputs = onnx.inputs.filter { constants[$0.name] == nil }
        guard graphInputs.count == 1, let input = graphInputs.first else {
            throw .notAChain(path: path, node: "(graph)", reason: "the graph has \(graphInputs.count) inputs, expected one")
        }
        guard onnx.outputs.count == 1, let output = onnx.outputs.first else {
            throw .notAChain(path: path, node: "(graph)", reason: "the graph has \(onnx.outputs.count) outputs, expected one")
        }
        if let type = input.elementType, type != ONNXModel.float {
            throw .unsupportedTensor(path: path, tensor: input.name, reason: "the input is of ONNX type \(type), expected float (1)")
        }
        guard let dims = input.dims, dims.count >= 2, dims.dropFirst().allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw .unsupportedTensor(path: path, tensor: input.name,
                                     reason: "the input needs a known shape [batch, d1, ...]; found \(input.dims.map { "\($0)" } ?? "none")")
        }
        let inputShape = dims.dropFirst().map { $0 ?? 0 }

        var weightsDType: DType?
        // Which nodes read each value, to follow the chain and check nothing branches.
        var consumers: [String: [Int]] = [:]
        var producers: Set<String> = []
        for (i, node) in onnx.nodes.enumerated() where node.opType != "Constant" {
            for name in node.inputs where !name.isEmpty { consumers[name, default: []].append(i) }
            for name in node.outputs where !name.isEmpty {
                guard producers.insert(name).inserted, constants[name] == nil || node.opType == "Cast" else {
                    throw .invalidModel(path: path, reason: "value '\(name)' is produced twice")
                }
            }
        }
        func constant(_ name: String, of node: ONNXModel.Node) throws(ONNXError) -> ONNXModel.TensorValue {
            guard let value = constants[name] else {
                throw .notAChain(path: path, node: node.name, reason: "its input '\(name)' is not a constant (a weight computed at run time?)")
            }
            return value
        }
        func floats(_ name: String, of node: ONNXModel.Node) throws(ONNXError) -> (values: [Float], dims: [Int]) {
            let value = try constant(name, of: node)
            if weightsDType == nil { weightsDType = ONNXModel.dtype(of: value.dataType) }
            guard let values = ONNXModel.floats(value) else {
                throw .unsupportedTensor(path: path, tensor: name, reason: "ONNX type \(value.dataType) is not a floating-point type")
            }
            return (values, value.dims)
        }
        func scalar(_ name: String, of node: ONNXModel.Node) throws(ONNXError) -> Float {
            let (values, _) = try floats(name, of: node)
            guard values.count == 1, let v = values.first else {
                throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "expected a scalar constant")
            }
            return v
        }
        // Cast nodes of constants are folded into them (a float16 weight cast to float is the weight).
        for node in onnx.nodes where node.opType == "Cast" {
            if let source = node.inputs.first, let value = constants[source], let out = node.outputs.first { constants[out] = value }
        }

        var steps: [Step] = []
        var current = input.name
        var rank = dims.count
        var visited = 0
        while current != output.name {
            let readers = consumers[current] ?? []
            guard readers.count >= 1 else {
                throw .notAChain(path: path, node: current, reason: "nothing reads this value, and it is not the graph output")
            }
            visited += 1
            guard visited <= onnx.nodes.count else { throw .notAChain(path: path, node: current, reason: "the chain loops") }
            let node = onnx.nodes[readers[0]]
            func single() throws(ONNXError) -> String {
                guard readers.count == 1 else {
                    throw .notAChain(path: path, node: node.name, reason: "\(readers.count) nodes read '\(current)'")
                }
                guard let out = node.outputs.first, !out.isEmpty else {
                    throw .invalidModel(path: path, reason: "node '\(node.name)' has no output")
                }
                return out
            }
            func requireAttribute(_ name: String, _ expected: Float, tolerance: Float = 1e-6) throws(ONNXError) {
                let value = node.attribute(name)?.float ?? expected
                guard abs(value - expected) <= tolerance * max(1, abs(expected)) else {
                    throw .unsupportedNode(path: path, node: node.name, opType: node.opType,
                                           reason: "\(name) = \(value); nnmodel computes \(name) = \(expected) (Keras 3's)")
                }
            }
            switch node.opType {
            case "Gemm", "MatMul":
                var out = try single()
                guard node.inputs.count >= 2, node.inputs[0] == current else {
                    throw .notAChain(path: path, node: node.name, reason: "its first input is not the previous layer's output")
                }
                let (w, wDims) = try floats(node.inputs[1], of: node)
                guard wDims.count == 2 else {
                    throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "the weight has shape \(wDims), expected a matrix")
                }
                var kernel: [Float], kernelShape: [Int]
                var bias: Tensor?
                if node.opType == "Gemm" {
                    guard rank == 2 else { throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "Gemm of a rank-\(rank) input") }
                    try requireAttribute("alpha", 1)
                    try requireAttribute("beta", 1)
                    guard (node.attribute("transA")?.int ?? 0) == 0 else {
                        throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "transA = 1")
                    }
                    if (node.attribute("transB")?.int ?? 0) != 0 {
                        let (rows, columns) = (wDims[0], wDims[1])
                        kernel = [Float](repeating: 0, count: w.count)
                        for r in 0..<rows { for c in 0..<columns { kernel[c * rows + r] = w[r * columns + c] } }
                        kernelShape = [columns, rows]
                    } else {
                        kernel = w
                        kernelShape = wDims
                    }
                    if node.inputs.count >= 3, !node.inputs[2].isEmpty {
                        let (b, _) = try floats(node.inputs[2], of: node)
                        guard b.count == kernelShape[1] else {
                            throw .unsupportedNode(path: path, node: node.name, opType: node.opType,
                                                   reason: "the bias has \(b.count) values for \(kernelShape[1]) units")
                        }
                        bias = Tensor(shape: [b.count], values: b)
                    }
                } else {
                    kernel = w
                    kernelShape = wDims
                    // MatMul then Add of a bias vector.
                    if let next = consumers[out], next.count == 1, onnx.nodes[next[0]].opType == "Add" {
                        let add = onnx.nodes[next[0]]
                        let other = add.inputs.first { $0 != out } ?? ""
                        if let b = try? floats(other, of: add), b.values.count == kernelShape[1], b.dims.count <= 2,
                           let addOut = add.outputs.first {
                            bias = Tensor(shape: [b.values.count], values: b.values)
                            out = addOut
                        }
                    }
                }
                guard let inFeatures = kernelShape.first, let units = kernelShape.last, inFeatures > 0, units > 0 else {
                    throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "empty weight")
                }
                steps.append(.dense(kernel: Tensor(shape: kernelShape, values: kernel), bias: bias))
                current = out
            case "Flatten":
                let out = try single()
                guard (node.attribute("axis")?.int ?? 1) == 1 else {
                    throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "axis other than 1")
                }
                if rank > 2 { steps.append(.flatten) }
                rank = 2
                current = out
            case "Reshape":
                let out = try single()
                guard node.inputs.count >= 2, let shape = ONNXModel.integers(try constant(node.inputs[1], of: node)) else {
                    throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "the shape is not a constant")
                }
                // Only the flattening reshape keeps the batch: [-1, k], [0, k] or [batch, k] with k the features.
                let batch = dims.first.flatMap { $0 }.map(Int64.init)
                guard shape.count == 2, shape[0] == -1 || shape[0] == 0 || (batch != nil && shape[0] == batch),
                      shape[1] == Int64(inputShape.reduce(1, *)) || (shape[1] == -1 && shape[0] != -1) else {
                    throw .unsupportedNode(path: path, node: node.name, opType: node.opType,
                                           reason: "reshape to \(shape); only flattening each sample ([-1, features]) is supported")
                }
                if rank > 2 { steps.append(.flatten) }
                rank = 2
                current = out
            case "Identity", "Dropout", "Cast":
                if node.opType == "Cast", let to = node.attribute("to")?.int, to != Int64(ONNXModel.float) {
                    throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "cast to ONNX type \(to)")
                }
                current = try single()
            default:
                let (activation, out) = try activationStep(node, readers: readers, current: current, onnx: onnx,
                                                           consumers: consumers, constants: constants, requireAttribute: requireAttribute,
                                                           path: path, rank: rank)
                steps.append(.activation(activation))
                current = out
            }
        }
        let (architecture, weights) = try assemble(steps, inputShape: inputShape, inputName: input.name, path: path)
        return (architecture, weights, weightsDType)
    }

    /// The value of a `Constant` node, whichever attribute holds it.
    static func constantValue(_ node: ONNXModel.Node) -> ONNXModel.TensorValue? {
        guard let attribute = node.attributes.first else { return nil }
        func raw<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
            values.flatMap { v in (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        }
        switch attribute.name {
        case "value": return attribute.tensor
        case "value_float":
            return attribute.float.map { ONNXModel.TensorValue(name: "", dataType: ONNXModel.float, dims: [], raw: raw([$0.bitPattern])) }
        case "value_floats":
            return ONNXModel.TensorValue(name: "", dataType: ONNXModel.float, dims: [attribute.floats.count],
                                         raw: raw(attribute.floats.map(\.bitPattern)))
        case "value_int":
            return attribute.int.map { ONNXModel.TensorValue(name: "", dataType: ONNXModel.int64, dims: [], raw: raw([$0])) }
        case "value_ints":
            return ONNXModel.TensorValue(name: "", dataType: ONNXModel.int64, dims: [attribute.ints.count], raw: raw(attribute.ints))
        default: return nil
        }
    }

    /// Reads an activation (or a decomposed one) starting at `node`; returns it and the value it produces.
    static func activationStep(
        _ node: ONNXModel.Node, readers: [Int], current: String, onnx: ONNXModel, consumers: [String: [Int]],
        constants: [String: ONNXModel.TensorValue],
        requireAttribute: (String, Float, Float) throws(ONNXError) -> Void, path: String, rank: Int
    ) throws(ONNXError) -> (Activation, String) {
        func output(_ n: ONNXModel.Node) throws(ONNXError) -> String {
            guard let out = n.outputs.first, !out.isEmpty else { throw .invalidModel(path: path, reason: "node '\(n.name)' has no output") }
            return out
        }
        func recognized() throws(ONNXError) -> (Activation, String) {
            let first = readers.min() ?? 0
            if let found = ONNXElementwise.recognize(input: current, first: first, onnx: onnx, constants: constants, consumers: consumers) {
                return found
            }
            let start = onnx.nodes[first]
            if readers.count > 1 || ONNXElementwise.operators.contains(start.opType) {
                throw .unsupportedNode(path: path, node: start.name, opType: start.opType,
                                       reason: "the element-wise nodes from here on (reading '\(current)') compute none of nnmodel's activations")
            }
            throw .unsupportedNode(path: path, node: start.name, opType: start.opType, reason: "not an operator nnmodel runs")
        }
        // Several nodes read the value: an activation written as its definition (x · Sigmoid(x), ...).
        if readers.count > 1 { return try recognized() }
        guard readers.count == 1 else {
            throw .notAChain(path: path, node: node.name, reason: "\(readers.count) nodes read '\(current)'")
        }
        let out = try output(node)
        switch node.opType {
        case "Relu": return (.relu, out)
        case "Sigmoid": return (.sigmoid, out)
        case "Tanh": return (.tanh, out)
        case "Softmax":
            // Before opset 13 the default axis is 1, and the input is seen as a matrix split there.
            let axis = node.attribute("axis")?.int ?? (onnx.opsetVersion < 13 ? 1 : -1)
            guard axis == -1 || axis == Int64(rank - 1) else {
                throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "softmax over axis \(axis); nnmodel's is over the last axis")
            }
            return (.softmax, out)
        case "Elu":
            try requireAttribute("alpha", 1, 1e-6)
            return (.elu, out)
        case "Selu":
            try requireAttribute("alpha", 1.67326324, 1e-6)
            try requireAttribute("gamma", 1.05070098, 1e-6)
            return (.selu, out)
        case "Softplus": return (.softplus, out)
        case "Softsign": return (.softsign, out)
        case "Exp": return (.exponential, out)
        case "LeakyRelu":
            try requireAttribute("alpha", 0.2, 1e-6)
            return (.leakyRelu, out)
        case "HardSigmoid":
            try requireAttribute("alpha", Float(1.0 / 6.0), 1e-6)
            try requireAttribute("beta", 0.5, 1e-6)
            return (.hardSigmoid, out)
        case "HardSwish": return (.hardSilu, out)
        case "Mish": return (.mish, out)
        case "Gelu":
            guard (node.attribute("approximate")?.string ?? "none") == "none" else {
                throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "approximate (tanh) GELU; nnmodel computes the exact one")
            }
            return (.gelu, out)
        default:
            return try recognized()
        }
    }

    /// The Sequential architecture of `steps`: an activation following a linear Dense becomes its
    /// activation, as Keras writes `Dense(units, activation=...)`.
    static func assemble(_ steps: [Step], inputShape: [Int], inputName: String, path: String) throws(ONNXError)
        -> (architecture: ModelArchitecture, weights: [Tensor])
    {
        var layers: [Layer] = []
        var weights: [Tensor] = []
        var counts: [String: Int] = [:]
        func name(_ base: String) -> String {
            let n = counts[base, default: 0]
            counts[base] = n + 1
            return n == 0 ? base : "\(base)_\(n)"
        }
        for step in steps {
            switch step {
            case .flatten:
                layers.append(Layer(name: name("flatten"), kind: .flatten))
            case let .dense(kernel, bias):
                layers.append(Layer(name: name("dense"), kind: .dense(Dense(units: kernel.shape[1], useBias: bias != nil))))
                weights.append(kernel)
                if let bias { weights.append(bias) }
            case let .activation(a):
                if let last = layers.last, case var .dense(d) = last.kind, d.activation == .linear {
                    d.activation = a
                    layers[layers.count - 1].kind = .dense(d)
                } else {
                    layers.append(Layer(name: name("activation"), kind: .activation(a)))
                }
            }
        }
        guard !layers.isEmpty else { throw .notAChain(path: path, node: "(graph)", reason: "the graph computes nothing nnmodel runs") }
        let architecture = ModelArchitecture(name: "onnx", inputShape: inputShape, inputName: inputName.isEmpty ? "input" : inputName,
                                             layers: layers)
        do { _ = try architecture.validated() } catch { throw .invalidModel(path: path, reason: error.description) }
        return (architecture, weights)
    }
}
