import NNSchema

/// Reads an ONNX graph that is a plain chain of the operators nnmodel runs into a `Sequential`.
///
/// Accepted, in the forms `torch.onnx.export` of an `nn.Sequential` MLP and `tf2onnx` of a Keras
/// MLP produce: `Gemm` (alpha = beta = 1, transA = 0, transB 0 or 1) and `MatMul` (+ `Add` of a
/// bias `[units]` or `[1, units]`) with constant float weights; `Flatten` (axis 1) and a `Reshape`
/// that flattens each sample; `Identity`, inference `Dropout` and casts to float; `Constant` nodes;
/// `Softmax` over the last axis; and every activation nnmodel has, written as one operator or as
/// its formula, recognised exactly (see ``ONNXElementwise``). Anything else is refused naming the
/// node, its operator and what is supported. ONNX's own attribute defaults apply: a `LeakyRelu`
/// without `alpha` has slope 0.01, which is not Keras's leaky ReLU, and is refused.
enum ONNXImport {
    static let supportedOperators = [
        "Gemm", "MatMul", "Add", "Flatten", "Reshape", "Identity", "Dropout", "Cast", "Constant", "Softmax",
        "and element-wise operators forming one of nnmodel's activations",
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
        for node in onnx.nodes where !node.domain.isEmpty && node.domain != "ai.onnx" {
            throw .unsupportedNode(path: path, node: node.name, opType: "\(node.domain).\(node.opType)", reason: "operators outside the ONNX domain are not supported")
        }
        for node in onnx.nodes where node.attributes.contains(where: \.hasGraph) {
            throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "subgraphs are not supported")
        }
        // Every value has one definition: an initializer, or one node's output (static single assignment).
        var constants = onnx.initializers
        var defined = Set(onnx.initializers.keys)
        for node in onnx.nodes {
            for name in node.outputs where !name.isEmpty {
                guard defined.insert(name).inserted else {
                    throw .invalidModel(path: path, reason: "value '\(name)' is defined twice (node '\(node.name)')")
                }
            }
            guard node.opType == "Constant" else { continue }
            guard let output = node.outputs.first, let value = constantValue(node) else {
                throw .unsupportedNode(path: path, node: node.name, opType: node.opType,
                                       reason: "only 'value', 'value_float(s)' and 'value_int(s)' constants are supported")
            }
            constants[output] = value
        }
        let graphInputs = onnx.inputs.filter { constants[$0.name] == nil }
        guard graphInputs.count == 1, let input = graphInputs.first else {
            throw .notAChain(path: path, node: "(graph)", reason: "the graph has \(graphInputs.count) inputs, expected one")
        }
        guard !defined.contains(input.name) else {
            throw .invalidModel(path: path, reason: "the graph input '\(input.name)' is also a node's output")
        }
        guard onnx.outputs.count == 1, let output = onnx.outputs.first else {
            throw .notAChain(path: path, node: "(graph)", reason: "the graph has \(onnx.outputs.count) outputs, expected one")
        }
        if let type = input.elementType, type != ONNXModel.float {
            throw .unsupportedTensor(path: path, tensor: input.name, reason: "the input is of ONNX type \(type), expected float (1)")
        }
        guard let dims = input.dims, dims.count >= 2, dims.dropFirst().allSatisfy({ ($0 ?? 0) > 0 }) else {
            let found = input.dims.map { "[" + $0.map { $0.map(String.init) ?? "?" }.joined(separator: ", ") + "]" } ?? "none"
            throw .unsupportedTensor(path: path, tensor: input.name, reason: "the input needs a known shape [batch, d1, ...]; found \(found)")
        }
        let inputShape = dims.dropFirst().map { $0 ?? 0 }

        // Casts of constants are the constants converted (a float16 weight cast to float is the
        // weight); a cast to a type that is not floating point is left alone (and refused if used).
        for node in onnx.nodes where node.opType == "Cast" {
            guard let source = node.inputs.first, let value = constants[source], let out = node.outputs.first,
                  let to = node.attribute("to")?.int, let converted = convert(value, to: Int(to)) else { continue }
            constants[out] = converted
        }

        // Which nodes read each value, to follow the chain and check nothing branches.
        var consumers: [String: [Int]] = [:]
        for (i, node) in onnx.nodes.enumerated() where node.opType != "Constant" {
            for name in node.inputs where !name.isEmpty { consumers[name, default: []].append(i) }
        }
        var weightsDType: DType?
        func constant(_ name: String, of node: ONNXModel.Node) throws(ONNXError) -> ONNXModel.TensorValue {
            guard let value = constants[name] else {
                throw .notAChain(path: path, node: node.name, reason: "its input '\(name)' is not a constant (a weight computed at run time?)")
            }
            return value
        }
        /// A float32 weight (initializers of other float types must be cast to float first, as ONNX requires).
        func weight(_ name: String, of node: ONNXModel.Node) throws(ONNXError) -> (values: [Float], dims: [Int]) {
            let value = try constant(name, of: node)
            guard value.dataType == ONNXModel.float, let values = ONNXModel.floats(value) else {
                throw .unsupportedTensor(path: path, tensor: name, reason: "ONNX type \(value.dataType) where \(node.opType) needs float (1)")
            }
            if weightsDType == nil { weightsDType = onnx.initializers[name].flatMap { ONNXModel.dtype(of: $0.dataType) } ?? sourceDType(name, onnx, constants) }
            return (values, value.dims)
        }
        func attributeFloat(_ node: ONNXModel.Node, _ name: String, default value: Float) throws(ONNXError) -> Float {
            guard let attribute = node.attribute(name) else { return value }
            guard let f = attribute.float else {
                throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "attribute \(name) is not a float")
            }
            return f
        }

        var steps: [Step] = []
        var current = input.name
        var shape = inputShape  // per sample
        var visited = 0
        while current != output.name {
            let readers = consumers[current] ?? []
            guard readers.count >= 1 else {
                throw .notAChain(path: path, node: current, reason: "nothing reads this value, and it is not the graph output")
            }
            visited += 1
            guard visited <= onnx.nodes.count else { throw .notAChain(path: path, node: current, reason: "the chain loops") }
            let node = onnx.nodes[readers[0]]
            let rank = shape.count + 1
            func single() throws(ONNXError) -> String {
                guard readers.count == 1 else {
                    throw .notAChain(path: path, node: node.name, reason: "\(readers.count) nodes read '\(current)'")
                }
                guard let out = node.outputs.first, !out.isEmpty else {
                    throw .invalidModel(path: path, reason: "node '\(node.name)' has no output")
                }
                return out
            }
            switch node.opType {
            case "Gemm", "MatMul":
                var out = try single()
                guard node.inputs.count >= 2, node.inputs[0] == current else {
                    throw .notAChain(path: path, node: node.name, reason: "its first input is not the previous layer's output")
                }
                let (w, wDims) = try weight(node.inputs[1], of: node)
                guard wDims.count == 2 else {
                    throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "the weight has shape \(wDims), expected a matrix")
                }
                var kernel: [Float], kernelShape: [Int]
                var bias: Tensor?
                if node.opType == "Gemm" {
                    guard rank == 2 else { throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "Gemm of a rank-\(rank) input") }
                    for (name, expected) in [("alpha", Float(1)), ("beta", Float(1))] {
                        let value = try attributeFloat(node, name, default: 1)
                        guard value == expected else {
                            throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "\(name) = \(value); nnmodel computes \(name) = 1")
                        }
                    }
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
                        let (b, bDims) = try weight(node.inputs[2], of: node)
                        // C broadcasts to [batch, units]: nnmodel adds one value per unit.
                        guard bDims == [kernelShape[1]] || bDims == [1, kernelShape[1]] else {
                            throw .unsupportedNode(path: path, node: node.name, opType: node.opType,
                                                   reason: "the bias C has shape \(bDims); nnmodel adds [\(kernelShape[1])] or [1, \(kernelShape[1])]")
                        }
                        bias = Tensor(shape: [b.count], values: b)
                    }
                } else {
                    kernel = w
                    kernelShape = wDims
                    // MatMul then Add of a bias vector that broadcasts over the last axis only.
                    if let next = consumers[out], next.count == 1, onnx.nodes[next[0]].opType == "Add" {
                        let add = onnx.nodes[next[0]]
                        let other = add.inputs.first { $0 != out } ?? ""
                        if add.inputs.count == 2, let value = constants[other], value.dataType == ONNXModel.float,
                           value.dims.last == kernelShape[1], value.dims.dropLast().allSatisfy({ $0 == 1 }), value.dims.count <= rank,
                           let b = ONNXModel.floats(value), let addOut = add.outputs.first {
                            bias = Tensor(shape: [b.count], values: b)
                            out = addOut
                        }
                    }
                }
                guard let inFeatures = kernelShape.first, let units = kernelShape.last, inFeatures > 0, units > 0 else {
                    throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "empty weight")
                }
                guard inFeatures == shape.last else {
                    throw .unsupportedNode(path: path, node: node.name, opType: node.opType,
                                           reason: "the weight takes \(inFeatures) features, the value it multiplies has \(shape.last ?? 0)")
                }
                steps.append(.dense(kernel: Tensor(shape: kernelShape, values: kernel), bias: bias))
                shape[shape.count - 1] = units
                current = out
            case "Flatten":
                let out = try single()
                guard (node.attribute("axis")?.int ?? 1) == 1 else {
                    throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "axis other than 1")
                }
                if shape.count > 1 { steps.append(.flatten) }
                shape = [shape.reduce(1, *)]
                current = out
            case "Reshape":
                let out = try single()
                guard node.inputs.count >= 2, let target = ONNXModel.integers(try constant(node.inputs[1], of: node)) else {
                    throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "the shape is not a constant")
                }
                // Only the reshape that flattens each sample: [-1, k], [0, k] (without allowzero),
                // [batch, k] for a fixed batch, or [0, -1], with k the sample's features.
                let features = Int64(shape.reduce(1, *))
                let allowZero = (node.attribute("allowzero")?.int ?? 0) != 0
                let batch = dims.first.flatMap { $0 }.map(Int64.init)
                let keepsBatch = target.count == 2 && (target[0] == -1 || (target[0] == 0 && !allowZero) || (batch != nil && target[0] == batch))
                let keepsFeatures = target.count == 2 && (target[1] == features || (target[1] == -1 && target[0] != -1 && !(allowZero && target[0] == 0)))
                guard keepsBatch, keepsFeatures else {
                    throw .unsupportedNode(path: path, node: node.name, opType: node.opType,
                                           reason: "reshape of [batch, \(shape.map(String.init).joined(separator: ", "))] to \(target); only flattening each sample ([-1, \(features)]) is supported")
                }
                if shape.count > 1 { steps.append(.flatten) }
                shape = [shape.reduce(1, *)]
                current = out
            case "Dropout":
                // Inference dropout is the identity; a training_mode input that is not a constant false is not.
                if node.inputs.count >= 3, !node.inputs[2].isEmpty {
                    guard let mode = constants[node.inputs[2]], let flags = ONNXModel.booleans(mode), flags.allSatisfy({ !$0 }) else {
                        throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "dropout in training mode")
                    }
                }
                current = try single()
            case "Softmax":
                let out = try single()
                // Before opset 13 the default axis is 1, and the input is seen as a matrix split there.
                let axis = node.attribute("axis")?.int ?? (onnx.opsetVersion < 13 ? 1 : -1)
                guard axis == -1 || axis == Int64(rank - 1) else {
                    throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "softmax over axis \(axis); nnmodel's is over the last axis")
                }
                steps.append(.activation(.softmax))
                current = out
            default:
                // Element-wise nodes: one of nnmodel's activations, written as an operator or its formula.
                let first = readers.min() ?? readers[0]
                switch ONNXElementwise.recognize(input: current, first: first, rank: rank, onnx: onnx, constants: constants,
                                                 consumers: consumers) {
                case let .activation(activation, out):
                    if activation != .linear { steps.append(.activation(activation)) }
                    current = out
                case let .unknown(expression):
                    let start = onnx.nodes[first]
                    guard ONNXElementwise.operators.contains(start.opType) else {
                        throw .unsupportedNode(path: path, node: start.name, opType: start.opType, reason: "not an operator nnmodel runs")
                    }
                    let computed = expression.map { "they compute \($0), which is" } ?? "they are"
                    throw .unsupportedNode(path: path, node: start.name, opType: start.opType,
                                           reason: "the element-wise nodes from here on (reading '\(current)'): \(computed) none of nnmodel's activations")
                }
            }
        }
        let (architecture, weights) = try assemble(steps, inputShape: inputShape, inputName: input.name, path: path)
        return (architecture, weights, weightsDType)
    }

    /// The dtype a weight was stored in before the casts that made it float32.
    static func sourceDType(_ name: String, _ onnx: ONNXModel, _ constants: [String: ONNXModel.TensorValue]) -> DType? {
        var current = name
        for _ in 0..<8 {
            if let initializer = onnx.initializers[current] { return ONNXModel.dtype(of: initializer.dataType) }
            guard let cast = onnx.nodes.first(where: { $0.opType == "Cast" && $0.outputs.first == current }), let source = cast.inputs.first else {
                break
            }
            current = source
        }
        return .float32
    }

    /// `value` cast to ONNX type `to` as ONNX casts it, for the floating-point types; nil otherwise.
    static func convert(_ value: ONNXModel.TensorValue, to: Int) -> ONNXModel.TensorValue? {
        guard let target = ONNXModel.dtype(of: to), let floats = ONNXModel.floats(value) else { return nil }
        // Through the target type and back to float32: the values the cast leaves.
        let rounded: [Float] = floats.withUnsafeBufferPointer { buffer in
            let raw = target.encode(buffer)
            var out = [Float](repeating: 0, count: floats.count)
            raw.withUnsafeBytes { r in out.withUnsafeMutableBufferPointer { o in if let b = o.baseAddress { target.decode(r, count: floats.count, into: b) } } }
            return out
        }
        var raw: [UInt8] = []
        raw.reserveCapacity(rounded.count * 4)
        for v in rounded { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
        return ONNXModel.TensorValue(name: value.name, dataType: ONNXModel.float, dims: value.dims, raw: raw)
    }

    /// The value of a `Constant` node, whichever attribute holds it.
    static func constantValue(_ node: ONNXModel.Node) -> ONNXModel.TensorValue? {
        guard node.attributes.count == 1, let attribute = node.attributes.first else { return nil }
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
