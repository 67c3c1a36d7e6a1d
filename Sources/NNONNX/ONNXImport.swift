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
/// without `alpha` has slope 0.01, which is not Keras's leaky ReLU but a `LeakyReLU(0.01)` layer.
///
/// Images: the chain tracks whether its value is the channels-last image nnmodel computes or its
/// channels-first transpose (the `Transpose` pairs tf2onnx writes around `Conv`, `MaxPool`,
/// `AveragePool`, `BatchNormalization`, global pooling). A `Conv` or pooling node that reads a
/// value not transposed that way reads a channels-first model (PyTorch's) and is refused; so are
/// grouped, 1-D and 3-D convolutions and pads, `auto_pad`, `ceil_mode` or `count_include_pad`
/// settings nnmodel does not compute.
enum ONNXImport {
    static let supportedOperators = [
        "Gemm", "MatMul", "Add", "Flatten", "Reshape", "Identity", "Dropout", "Cast", "Constant", "Softmax", "Transpose", "Conv",
        "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceMax", "BatchNormalization",
        "LayerNormalization", "PRelu",
        "and element-wise operators forming one of nnmodel's activations",
    ]

    /// One step of the chain as read: a layer, its weights (kernel `[in, out]`, bias), or nothing.
    enum Step {
        case flatten
        case dense(kernel: Tensor, bias: Tensor?)
        case activation(Activation)
        /// Any other layer, with its weights in Keras's order.
        case layer(LayerKind, weights: [Tensor])
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
        // Values of Constant nodes: nnmodel writes an absent gamma or beta as one (never as an initializer).
        var constantNodeOutputs: Set<String> = []
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
            constantNodeOutputs.insert(output)
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

        func ints(_ node: ONNXModel.Node, _ name: String, default value: [Int]) -> [Int] {
            guard let attribute = node.attribute(name) else { return value }
            return attribute.ints.map { Int(clamping: $0) }
        }
        /// A refusal of `node` with `reason`.
        func refuse(_ node: ONNXModel.Node, _ reason: String) -> ONNXError {
            .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: reason)
        }
        /// Whether input `name` is a Constant node's value filled with `fill` (a gamma or beta nnmodel left out).
        func isAbsent(_ name: String, fill: Float) -> Bool {
            guard constantNodeOutputs.contains(name), let value = constants[name], let values = ONNXModel.floats(value) else { return false }
            return values.allSatisfy { $0 == fill }
        }
        /// The 2-D window of a Conv or pooling node: strides, dilations and nnmodel's padding.
        func window(_ node: ONNXModel.Node, kernel: [Int]) throws(ONNXError) -> (strides: [Int], dilations: [Int], padding: Padding) {
            let strides = ints(node, "strides", default: [1, 1]), dilations = ints(node, "dilations", default: [1, 1])
            for (name, values) in [("kernel_shape", kernel), ("strides", strides), ("dilations", dilations)] {
                guard values.count == 2, values.allSatisfy({ (1...ModelArchitecture.maximumWindow).contains($0) }) else {
                    throw refuse(node, "\(name) \(values); nnmodel runs 2-D windows of 1...\(ModelArchitecture.maximumWindow) per axis")
                }
            }
            guard strides == [1, 1] || dilations == [1, 1] else {
                throw refuse(node, "strides \(strides) with dilations \(dilations); nnmodel (as Keras) dilates only with strides [1, 1]")
            }
            let autoPad = node.attribute("auto_pad")?.string ?? "NOTSET"
            let pads = ints(node, "pads", default: [0, 0, 0, 0])
            guard pads.count == 4, pads.allSatisfy({ $0 >= 0 }) else { throw refuse(node, "pads \(pads); expected four values ≥ 0") }
            let padding: Padding
            switch autoPad {
            case "NOTSET":
                guard let p = ONNXLayout.padding(pads: pads, input: shape, window: kernel, strides: strides, dilation: dilations) else {
                    let same = ONNXLayout.pads(input: shape, window: kernel, strides: strides, dilation: dilations, padding: .same) ?? []
                    throw refuse(node, "pads \(pads) on a \(shape[0])×\(shape[1]) input are neither 'valid' ([0, 0, 0, 0]) nor 'same' (\(same))")
                }
                padding = p
            case "VALID" where pads.allSatisfy({ $0 == 0 }):
                padding = .valid
            case "SAME_UPPER" where pads.allSatisfy({ $0 == 0 }):
                padding = .same  // the extra row or column after, as nnmodel pads
            default:
                throw refuse(node, "auto_pad '\(autoPad)'; nnmodel reads explicit pads, auto_pad VALID or SAME_UPPER")
            }
            guard WindowGeometry(input: shape, window: kernel, strides: strides, dilation: dilations, padding: padding) != nil else {
                throw refuse(node, "its window \(kernel) does not fit the \(shape[0])×\(shape[1]) input")
            }
            return (strides, dilations, padding)
        }

        var steps: [Step] = []
        var current = input.name
        var shape = inputShape  // per sample, channels last
        // Whether `current` holds the channels-first transpose of the channels-last value `shape` describes.
        var channelsFirst = false
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
                guard !channelsFirst else { throw refuse(node, "it multiplies a channels-first image (nnmodel's Dense reads the channels-last one)") }
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
                guard !channelsFirst else { throw refuse(node, "it flattens a channels-first image, in PyTorch's order (nnmodel flattens channels last)") }
                let out = try single()
                guard (node.attribute("axis")?.int ?? 1) == 1 else {
                    throw .unsupportedNode(path: path, node: node.name, opType: node.opType, reason: "axis other than 1")
                }
                if shape.count > 1 { steps.append(.flatten) }
                shape = [shape.reduce(1, *)]
                current = out
            case "Reshape":
                guard !channelsFirst else { throw refuse(node, "it reshapes a channels-first image (nnmodel reshapes channels last)") }
                let out = try single()
                guard node.inputs.count >= 2, let target = ONNXModel.integers(try constant(node.inputs[1], of: node)) else {
                    throw refuse(node, "the shape is not a constant")
                }
                // [-1, d1, ...], [0, d1, ...] (0 copies the batch, without allowzero) or [batch, d1, ...] for a
                // fixed batch, with one -1 at most; the sample dimensions positive or -1.
                let features = shape.reduce(1, *)
                let allowZero = (node.attribute("allowzero")?.int ?? 0) != 0
                let batch = dims.first.flatMap { $0 }.map(Int64.init)
                let sample = Array(target.dropFirst())
                let reason = "reshape of [batch, \(shape.map(String.init).joined(separator: ", "))] to \(target); nnmodel reads [-1, d1, ...] with each sample's \(features) values"
                guard let first = target.first, first == -1 || (first == 0 && !allowZero) || (batch != nil && first == batch) else {
                    throw refuse(node, allowZero && target.first == 0 ? "allowzero = 1 with a 0 dimension; " + reason : reason)
                }
                guard !sample.isEmpty, sample.count <= ModelArchitecture.maximumRank, !sample.contains(0) else {
                    throw refuse(node, sample.contains(0) ? "a 0 dimension after the batch (\(allowZero ? "allowzero: an empty tensor" : "a copy of the input's")); " + reason : reason)
                }
                let unknown = sample.filter { $0 == -1 }.count + (first == -1 ? 1 : 0)
                let known = sample.filter { $0 > 0 }
                guard unknown <= 1, sample.allSatisfy({ $0 > 0 || $0 == -1 }),
                      let product = Tensor.checkedCount(of: known.map { Int($0) }), product > 0, features % product == 0,
                      first == -1 ? product == features : (sample.contains(-1) || product == features) else {
                    throw refuse(node, reason)
                }
                let resolved = sample.map { $0 == -1 ? features / product : Int($0) }
                if resolved.count == 1 {
                    if shape.count > 1 { steps.append(.flatten) }
                } else if resolved != shape {
                    steps.append(.layer(.reshape(targetShape: resolved), weights: []))
                }
                shape = resolved
                current = out
            case "Transpose":
                let out = try single()
                let rank = shape.count + 1
                let identity = (0..<Int64(rank)).map { $0 }
                let perm = node.attribute("perm")?.ints ?? identity.reversed()
                if perm == identity {
                } else if !channelsFirst && perm == ONNXLayout.toChannelsFirst(rank: rank) {
                    channelsFirst = true
                } else if channelsFirst && perm == ONNXLayout.toChannelsLast(rank: rank) {
                    channelsFirst = false
                } else {
                    throw refuse(node, "permutation \(perm) of a \(channelsFirst ? "channels-first" : "channels-last") value; nnmodel follows only the moves between channels-last and channels-first images")
                }
                current = out
            case "Conv":
                guard channelsFirst else {
                    throw refuse(node, "channels-first convolutions are not supported: the value it reads is [batch, channels, ...] in the file (nnmodel reads channels-last images, as tf2onnx exports Keras models)")
                }
                let out = try single()
                guard node.inputs.count >= 2, node.inputs[0] == current else { throw refuse(node, "its first input is not the previous layer's output") }
                let (w, wDims) = try weight(node.inputs[1], of: node)
                guard wDims.count == 4, shape.count == 3 else {
                    throw refuse(node, "a \(max(wDims.count - 2, 0))-D convolution (weight \(wDims)); nnmodel runs 2-D ones")
                }
                let group = node.attribute("group")?.int ?? 1
                guard group == 1 else { throw refuse(node, "group = \(group); nnmodel runs group 1 (no grouped or depthwise convolutions)") }
                let kernel = Array(wDims[2...])
                let declared = ints(node, "kernel_shape", default: kernel)
                guard declared == kernel else { throw refuse(node, "kernel_shape \(declared) does not match the weight's \(kernel)") }
                let (strides, dilations, padding) = try window(node, kernel: kernel)
                let (filters, inChannels, kh, kw) = (wDims[0], wDims[1], wDims[2], wDims[3])
                guard inChannels == shape[2] else { throw refuse(node, "the weight takes \(inChannels) channels, the image has \(shape[2])") }
                var bias: Tensor?
                if node.inputs.count >= 3, !node.inputs[2].isEmpty {
                    let (b, bDims) = try weight(node.inputs[2], of: node)
                    guard bDims == [filters] else { throw refuse(node, "the bias has shape \(bDims), expected [\(filters)]") }
                    bias = Tensor(shape: [filters], values: b)
                }
                var k = [Float](repeating: 0, count: w.count)
                for o in 0..<filters { for i in 0..<inChannels { for a in 0..<kh { for b in 0..<kw {
                    k[((a * kw + b) * inChannels + i) * filters + o] = w[((o * inChannels + i) * kh + a) * kw + b]
                } } } }
                let conv = Conv2D(filters: filters, kernelSize: kernel, strides: strides, padding: padding, dilationRate: dilations,
                                  useBias: bias != nil)
                guard let geometry = WindowGeometry(input: shape, window: kernel, strides: strides, dilation: dilations, padding: padding) else {
                    throw refuse(node, "its window does not fit the input")
                }
                steps.append(.layer(.conv2D(conv), weights: [Tensor(shape: [kh, kw, inChannels, filters], values: k)] + (bias.map { [$0] } ?? [])))
                shape = [geometry.outputHeight, geometry.outputWidth, filters]
                current = out
            case "MaxPool", "AveragePool":
                guard channelsFirst else {
                    throw refuse(node, "channels-first pooling is not supported: the value it reads is [batch, channels, ...] in the file")
                }
                let out = try single()
                guard node.outputs.filter({ !$0.isEmpty }).count == 1 else { throw refuse(node, "its Indices output is not supported") }
                guard shape.count == 3 else { throw refuse(node, "pooling of a rank-\(shape.count + 1) value; nnmodel pools 2-D images") }
                let kernel = ints(node, "kernel_shape", default: [])
                guard kernel.count == 2 else { throw refuse(node, "kernel_shape \(kernel); nnmodel pools 2-D windows") }
                for name in ["ceil_mode", "storage_order"] {
                    if let v = node.attribute(name)?.int, v != 0 { throw refuse(node, "\(name) = \(v); nnmodel pools with \(name) 0") }
                }
                let (strides, dilations, padding) = try window(node, kernel: kernel)
                guard dilations == [1, 1] else { throw refuse(node, "dilations \(dilations); nnmodel pools undilated windows") }
                let mode: PoolingMode = node.opType == "MaxPool" ? .max : .average
                let pads = ONNXLayout.pads(input: shape, window: kernel, strides: strides, padding: padding) ?? []
                if mode == .average, let include = node.attribute("count_include_pad")?.int, include != 0, pads.contains(where: { $0 != 0 }) {
                    throw refuse(node, "count_include_pad = \(include) with pads \(pads); nnmodel (as Keras) averages only the positions inside the image")
                }
                let pool = Pooling2D(mode: mode, poolSize: kernel, strides: strides, padding: padding)
                guard let geometry = WindowGeometry(input: shape, window: kernel, strides: strides, padding: padding) else {
                    throw refuse(node, "its window does not fit the input")
                }
                steps.append(.layer(.pooling2D(pool), weights: []))
                shape = [geometry.outputHeight, geometry.outputWidth, shape[2]]
                current = out
            case "GlobalAveragePool", "GlobalMaxPool":
                guard channelsFirst, shape.count == 3 else {
                    throw refuse(node, "channels-first pooling is not supported: the value it reads is [batch, channels, ...] in the file")
                }
                let out = try single()
                steps.append(.layer(.globalPooling2D(GlobalPooling2D(mode: node.opType == "GlobalMaxPool" ? .max : .average, keepDims: true)),
                                    weights: []))
                shape = [1, 1, shape[2]]
                current = out
            case "ReduceMean", "ReduceMax":
                let out = try single()
                var axes = node.attribute("axes")?.ints
                if node.inputs.count >= 2, !node.inputs[1].isEmpty {
                    guard let given = ONNXModel.integers(try constant(node.inputs[1], of: node)) else { throw refuse(node, "the axes are not a constant") }
                    axes = given
                }
                let rank = Int64(shape.count + 1)
                let spatial: Set<Int64> = channelsFirst ? [2, 3] : [1, 2]
                guard shape.count == 3, let axes, Set(axes.map { $0 < 0 ? $0 + rank : $0 }) == spatial, axes.count == 2 else {
                    throw refuse(node, "a reduction over axes \(axes.map { "\($0)" } ?? "(all)") of a rank-\(shape.count + 1) value; nnmodel reduces the two spatial axes of an image (\(spatial.sorted()) here)")
                }
                let keepDims = (node.attribute("keepdims")?.int ?? 1) != 0
                steps.append(.layer(.globalPooling2D(GlobalPooling2D(mode: node.opType == "ReduceMax" ? .max : .average, keepDims: keepDims)),
                                    weights: []))
                shape = keepDims ? [1, 1, shape[2]] : [shape[2]]
                if !keepDims { channelsFirst = false }  // [batch, channels] either way
                current = out
            case "BatchNormalization":
                guard channelsFirst || shape.count == 1 else {
                    throw refuse(node, "it normalizes axis 1 of a channels-last value; nnmodel normalizes the last (channels) axis")
                }
                let out = try single()
                guard node.outputs.filter({ !$0.isEmpty }).count == 1, (node.attribute("training_mode")?.int ?? 0) == 0 else {
                    throw refuse(node, "batch normalization in training mode")
                }
                guard node.inputs.count == 5 else { throw refuse(node, "\(node.inputs.count) inputs, expected 5") }
                let channels = shape.last ?? 0
                var weights: [Tensor] = []
                let scale = !isAbsent(node.inputs[1], fill: 1), center = !isAbsent(node.inputs[2], fill: 0)
                for (i, used) in [(1, scale), (2, center), (3, true), (4, true)] where used {
                    let (v, vDims) = try weight(node.inputs[i], of: node)
                    guard vDims == [channels] else { throw refuse(node, "input \(i) has shape \(vDims), expected [\(channels)]") }
                    weights.append(Tensor(shape: [channels], values: v))
                }
                let epsilon = Double(try attributeFloat(node, "epsilon", default: 1e-5))
                steps.append(.layer(.batchNormalization(BatchNormalization(epsilon: epsilon, center: center, scale: scale)), weights: weights))
                current = out
            case "LayerNormalization":
                guard !channelsFirst else { throw refuse(node, "it normalizes a channels-first image") }
                let out = try single()
                guard node.outputs.filter({ !$0.isEmpty }).count == 1 else { throw refuse(node, "its mean and deviation outputs are not supported") }
                let axis = node.attribute("axis")?.int ?? -1
                guard axis == -1 || axis == Int64(shape.count) else {
                    throw refuse(node, "normalization from axis \(axis); nnmodel normalizes the last axis")
                }
                guard node.inputs.count >= 2 else { throw refuse(node, "no scale") }
                let channels = shape.last ?? 0
                let scale = !isAbsent(node.inputs[1], fill: 1)
                let center = node.inputs.count >= 3 && !node.inputs[2].isEmpty && !isAbsent(node.inputs[2], fill: 0)
                var weights: [Tensor] = []
                for (i, used) in [(1, scale), (2, center)] where used {
                    let (v, vDims) = try weight(node.inputs[i], of: node)
                    guard vDims == [channels] || vDims == [1, channels] else {
                        throw refuse(node, "input \(i) has shape \(vDims), expected [\(channels)]")
                    }
                    weights.append(Tensor(shape: [channels], values: v))
                }
                let epsilon = Double(try attributeFloat(node, "epsilon", default: 1e-5))
                steps.append(.layer(.layerNormalization(LayerNormalization(epsilon: epsilon, center: center, scale: scale)), weights: weights))
                current = out
            case "PRelu":
                guard !channelsFirst else { throw refuse(node, "its slope broadcasts over a channels-first image") }
                let out = try single()
                guard node.inputs.count == 2, node.inputs[0] == current else { throw refuse(node, "its first input is not the previous layer's output") }
                let (v, vDims) = try weight(node.inputs[1], of: node)
                // The slope broadcasts to [batch, d1, ...] from the right: one dimension per sample axis (1 or the axis).
                var alphaShape = vDims
                while alphaShape.count > shape.count, alphaShape.first == 1 { alphaShape.removeFirst() }
                alphaShape = Array(repeating: 1, count: max(0, shape.count - alphaShape.count)) + alphaShape
                guard alphaShape.count == shape.count, zip(alphaShape, shape).allSatisfy({ $0 == 1 || $0 == $1 }) else {
                    throw refuse(node, "a slope of shape \(vDims) on samples of shape \(shape)")
                }
                let shared = (1...max(shape.count, 1)).filter { $0 <= shape.count && alphaShape[$0 - 1] == 1 && shape[$0 - 1] != 1 }
                steps.append(.layer(.prelu(PReLU(sharedAxes: shared)), weights: [Tensor(shape: alphaShape, values: v)]))
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
                guard !channelsFirst else { throw refuse(node, "softmax over a channels-first image") }
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
                case let .layer(kind, out):
                    steps.append(.layer(kind, weights: []))
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
        guard !channelsFirst else {
            throw .notAChain(path: path, node: output.name, reason: "the graph output is a channels-first image; nnmodel's outputs are channels last")
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

    /// Keras's default name for a layer of `kind` (before its `_1`, `_2` suffix).
    static func defaultName(_ kind: LayerKind) -> String {
        switch kind {
        case .conv2D: return "conv2d"
        case let .pooling2D(p): return p.mode == .max ? "max_pooling2d" : "average_pooling2d"
        case let .globalPooling2D(p): return p.mode == .max ? "global_max_pooling2d" : "global_average_pooling2d"
        case .reshape: return "reshape"
        case .batchNormalization: return "batch_normalization"
        case .layerNormalization: return "layer_normalization"
        case .relu: return "re_lu"
        case .leakyReLU: return "leaky_re_lu"
        case .elu: return "elu"
        case .softmax: return "softmax"
        case .prelu: return "p_re_lu"
        case .flatten: return "flatten"
        case .dense: return "dense"
        case .activation: return "activation"
        case .dropout: return "dropout"
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
                } else if let last = layers.last, case var .conv2D(c) = last.kind, c.activation == .linear {
                    c.activation = a
                    layers[layers.count - 1].kind = .conv2D(c)
                } else {
                    layers.append(Layer(name: name("activation"), kind: .activation(a)))
                }
            case let .layer(kind, layerWeights):
                layers.append(Layer(name: name(defaultName(kind)), kind: kind))
                weights += layerWeights
            }
        }
        guard !layers.isEmpty else { throw .notAChain(path: path, node: "(graph)", reason: "the graph computes nothing nnmodel runs") }
        let architecture = ModelArchitecture(name: "onnx", inputShape: inputShape, inputName: inputName.isEmpty ? "input" : inputName,
                                             layers: layers)
        do { _ = try architecture.validated() } catch { throw .invalidModel(path: path, reason: error.description) }
        return (architecture, weights)
    }
}
