import NNSchema

/// Recognises a run of element-wise nodes as one of nnmodel's activations, exactly.
///
/// Exporters write an activation as one operator (`Relu`, `HardSwish`) or as its definition
/// (`x · Sigmoid(x)`, `x / (1 + |x|)`, torch's `Where(x > 20, x, Softplus(x))`). The nodes that
/// start at one value and close again on one value are turned into an ``ONNXExpression`` in
/// canonical form and compared with the forms of each activation, constants included: a run is an
/// activation only if it is that activation's formula, never because it agrees on sample points.
enum ONNXElementwise {
    /// The most nodes one activation may take.
    static let maximumNodes = 64
    /// The largest expression (in terms) a run may build: a run that reuses values can otherwise
    /// double its expression at every node.
    static let maximumTerms = 256

    static let operators: Set<String> = [
        "Identity", "Cast", "Add", "Sub", "Mul", "Div", "Neg", "Reciprocal", "Relu", "Clip", "Max", "Min", "LeakyRelu", "Elu",
        "Selu", "HardSigmoid", "HardSwish", "Sigmoid", "Tanh", "Softplus", "Softsign", "Exp", "Erf", "Erfc", "Abs", "Mish",
        "Gelu", "Greater", "Less", "Where", "Pow", "Sqrt",
    ]

    /// What a run of nodes from a value computes.
    enum Outcome {
        /// The activation and the value that ends the run.
        case activation(Activation, String)
        /// A parametric element-wise layer (`ReLU`, `LeakyReLU`, `ELU` with options no activation
        /// has) and the value that ends the run.
        case layer(LayerKind, String)
        /// None of nnmodel's activations; the function of the longest closed run, when there is one.
        case unknown(ONNXExpression?)
    }

    /// Recognises the nodes from `nodes[first]` on that read `input` (a value of `rank`
    /// dimensions counting the batch).
    static func recognize(
        input: String, first: Int, rank: Int, onnx: ONNXModel, constants: [String: ONNXModel.TensorValue], consumers: [String: [Int]]
    ) -> Outcome {
        guard (consumers[input]?.count ?? 0) <= maximumNodes else { return .unknown(nil) }
        var values: [String: ONNXExpression] = [input: .x]
        var sizes: [String: Int] = [input: 1]
        var order: [String] = [input]
        var taken: Set<Int> = []
        var longest: ONNXExpression?
        var index = first
        while index < onnx.nodes.count, taken.count < maximumNodes {
            let node = onnx.nodes[index]
            index += 1
            if node.opType == "Constant" { continue }
            guard node.inputs.contains(where: { values[$0] != nil }), let output = node.outputs.first, !output.isEmpty,
                  values[output] == nil, constants[output] == nil else { break }
            var arguments: [ONNXExpression?] = []
            var size = 1
            for name in node.inputs {
                if name.isEmpty { arguments.append(nil); continue }
                if let e = values[name] {
                    arguments.append(e)
                    size += sizes[name] ?? 1
                } else if let c = constants[name], let v = scalar(c, rank: rank) {
                    arguments.append(.constant(v))
                    size += 1
                } else {
                    return .unknown(longest)
                }
            }
            guard size <= maximumTerms, let e = expression(node, arguments) else { break }
            values[output] = e
            sizes[output] = size
            order.append(output)
            taken.insert(index - 1)
            // Closed: every value but the last is read only by the nodes taken.
            let closed = order.dropLast().allSatisfy { name in (consumers[name] ?? []).allSatisfy { taken.contains($0) } }
            guard closed else { continue }
            longest = e
            if let activation = activation(of: e) { return .activation(activation, output) }
            if let kind = layer(of: e) { return .layer(kind, output) }
        }
        return .unknown(longest)
    }

    /// The activation whose formula `e` is.
    static func activation(of e: ONNXExpression) -> Activation? {
        if isThresholdedSoftplus(e) { return .softplus }
        return Activation.allCases.first { a in templates(a).contains { e.matches($0) } }
    }

    /// The parametric layer whose formula `e` is: `LeakyRelu(x, a)` is `LeakyReLU(a)`, `Elu(x, a)`
    /// is `ELU(a)`, `clip(x, 0, m)` is `ReLU(max_value=m)`, and
    /// `Where(x > t, min(x, m), min(s·(x - t), m))` (the form nnmodel writes; `min` absent without
    /// a cap) is `ReLU(max_value=m, negative_slope=s, threshold=t)`.
    static func layer(of e: ONNXExpression) -> LayerKind? {
        guard case let .apply(op, args) = e else { return nil }
        switch (op, args.count) {
        case ("leakyrelu", 2):
            guard args[0] == .x, let slope = args[1].constantValue else { return nil }
            return .leakyReLU(negativeSlope: slope)
        case ("elu", 2):
            guard args[0] == .x, let alpha = args[1].constantValue else { return nil }
            return .elu(alpha: alpha)
        case ("clip", 3):
            guard args[0] == .x, args[1].constantValue == 0, let m = args[2].constantValue, m.isFinite else { return nil }
            return .relu(ReLULayer(maxValue: m))
        case ("where", 3):
            guard case let .apply("greater", sides) = args[0], sides.count == 2, sides[0] == .x,
                  let threshold = sides[1].constantValue, threshold.isFinite else { return nil }
            var maxValue: Double?
            if case let .apply("clip", capped) = args[1], capped.count == 3, capped[0] == .x, capped[1].constantValue == -.infinity,
               let m = capped[2].constantValue, m.isFinite {
                maxValue = m
            }
            var below = args[2]
            if maxValue != nil, case let .apply("clip", capped) = below, capped.count == 3 { below = capped[0] }
            var slope: Double
            if below.constantValue == 0 {
                slope = 0
            } else if case let .apply("mul", factors) = below, factors.count == 2, let s = factors[0].constantValue {
                slope = s
            } else {
                return nil
            }
            let r = ReLULayer(maxValue: maxValue, negativeSlope: slope, threshold: threshold)
            return e.matches(reluTemplate(r)) ? .relu(r) : nil
        default:
            return nil
        }
    }

    /// The canonical form of the `Where` formula nnmodel writes for a `ReLU` layer (see
    /// `ONNXExport.relu`).
    static func reluTemplate(_ r: ReLULayer) -> ONNXExpression {
        typealias E = ONNXExpression
        let x = E.x
        var below = r.threshold == 0 ? x : E.add([x, E.mul([.constant(-1), .constant(r.threshold)])])
        below = E.mul([below, .constant(r.negativeSlope)])
        var above = x
        if let m = r.maxValue {
            below = E.clip(below, -.infinity, m)
            above = E.clip(x, -.infinity, m)
        }
        return .apply("where", [.apply("greater", [x, .constant(r.threshold)]), above, below])
    }

    /// torch's softplus: `Where(x > t, x, Softplus(x))` for a threshold past which the two agree
    /// in float32 (t ≥ 15), in either comparison direction.
    static func isThresholdedSoftplus(_ e: ONNXExpression) -> Bool {
        guard case let .apply("where", args) = e, args.count == 3, case let .apply("greater", sides) = args[0], sides.count == 2 else {
            return false
        }
        let softplus = ONNXExpression.unary("softplus", .x)
        if sides[0] == .x, let t = sides[1].constantValue, (15...100).contains(t) { return args[1] == .x && args[2] == softplus }
        if sides[1] == .x, let t = sides[0].constantValue, (15...100).contains(t) { return args[1] == softplus && args[2] == .x }
        return false
    }

    /// The canonical forms each activation is written in.
    static func templates(_ activation: Activation) -> [ONNXExpression] {
        typealias E = ONNXExpression
        let x = E.x
        let sixth = 1.0 / 6.0, root = 1.0 / 2.0.squareRoot()
        switch activation {
        case .linear: return [x]
        case .softmax: return []
        case .relu: return [E.clip(x, 0, .infinity)]
        case .relu6: return [E.clip(x, 0, 6)]
        case .sigmoid: return [E.unary("sigmoid", x)]
        case .tanh: return [E.unary("tanh", x)]
        case .exponential: return [E.unary("exp", x)]
        case .softplus: return [E.unary("softplus", x)]
        case .elu: return [.apply("elu", [x, .constant(1)])]
        case .selu: return [.apply("selu", [x, .constant(1.67326324), .constant(1.05070098)])]
        case .leakyRelu: return [.apply("leakyrelu", [x, .constant(0.2)]), .apply("max", [x, E.mul([.constant(0.2), x])])]
        case .softsign:
            let denominator = E.add([.constant(1), E.unary("abs", x)])
            return [E.unary("softsign", x), .apply("div", [x, denominator]), E.mul([x, .apply("div", [.constant(1), denominator])])]
        case .hardSigmoid:
            return [E.hardSigmoid(x, alpha: sixth, beta: 0.5), E.mul([.constant(sixth), E.clip(E.add([x, .constant(3)]), 0, 6)])]
        case .hardSilu:
            return [E.mul([x, E.hardSigmoid(x, alpha: sixth, beta: 0.5)]),
                    E.mul([.constant(sixth), x, E.clip(E.add([x, .constant(3)]), 0, 6)])]
        case .swish: return [E.mul([x, E.unary("sigmoid", x)])]
        case .mish: return [E.unary("mish", x), E.mul([x, E.unary("tanh", E.unary("softplus", x))])]
        case .gelu:
            return [E.unary("gelu_none", x),
                    E.mul([.constant(0.5), x, E.add([.constant(1), E.unary("erf", E.mul([.constant(root), x]))])]),
                    E.mul([.constant(0.5), x, E.unary("erfc", E.mul([.constant(-root), x]))])]
        }
    }

    /// The canonical expression of `node` applied to `arguments` (nil for an absent optional
    /// input), or nil when the node is not an element-wise operator nnmodel follows.
    static func expression(_ node: ONNXModel.Node, _ arguments: [ONNXExpression?]) -> ONNXExpression? {
        typealias E = ONNXExpression
        guard operators.contains(node.opType), let a = arguments.first ?? nil else { return nil }
        func attribute(_ name: String, _ onnxDefault: Double) -> Double? {
            guard let attr = node.attribute(name) else { return onnxDefault }
            return attr.float.map(Double.init)  // an attribute of another type is invalid
        }
        func second() -> E? { arguments.count == 2 ? arguments[1] : nil }
        switch node.opType {
        case "Identity": return arguments.count == 1 ? a : nil
        case "Cast":
            // Casts to float32 or float64 keep the values; any other type changes them.
            let to = node.attribute("to")?.int
            return to == Int64(ONNXModel.float) || to == Int64(ONNXModel.double) ? a : nil
        case "Add": return second().map { E.add([a, $0]) }
        case "Sub": return second().map { E.add([a, E.mul([.constant(-1), $0])]) }
        case "Mul": return second().map { E.mul([a, $0]) }
        case "Div":
            guard let b = second() else { return nil }
            if let v = b.constantValue, v != 0 { return E.mul([a, .constant(1 / v)]) }
            return .apply("div", [a, b])
        case "Neg": return E.mul([.constant(-1), a])
        case "Reciprocal": return .apply("div", [.constant(1), a])
        case "Relu": return E.clip(a, 0, .infinity)
        case "Clip":
            // Opset 11+: optional min and max inputs; earlier: min and max attributes.
            var low = -Double.infinity, high = Double.infinity
            if arguments.count > 1 {
                if let m = arguments[1] { guard let v = m.constantValue else { return nil }; low = v }
                if arguments.count > 2, let m = arguments[2] { guard let v = m.constantValue else { return nil }; high = v }
            } else {
                if let v = node.attribute("min")?.float { low = Double(v) }
                if let v = node.attribute("max")?.float { high = Double(v) }
            }
            return E.clip(a, low, high)
        case "Max", "Min":
            guard arguments.count == 2, let b = arguments[1] else { return nil }
            let isMax = node.opType == "Max"
            if let v = b.constantValue { return isMax ? E.clip(a, v, .infinity) : E.clip(a, -.infinity, v) }
            if let v = a.constantValue { return isMax ? E.clip(b, v, .infinity) : E.clip(b, -.infinity, v) }
            return .apply(isMax ? "max" : "min", [a, b])
        case "LeakyRelu": return attribute("alpha", 0.01).map { .apply("leakyrelu", [a, .constant($0)]) }
        case "Elu": return attribute("alpha", 1).map { .apply("elu", [a, .constant($0)]) }
        case "Selu":
            guard let alpha = attribute("alpha", 1.67326319217681884765625),
                  let gamma = attribute("gamma", 1.05070102214813232421875) else { return nil }
            return .apply("selu", [a, .constant(alpha), .constant(gamma)])
        case "HardSigmoid":
            guard let alpha = attribute("alpha", 0.2), let beta = attribute("beta", 0.5) else { return nil }
            return E.hardSigmoid(a, alpha: alpha, beta: beta)
        case "HardSwish": return E.mul([a, E.hardSigmoid(a, alpha: 1.0 / 6.0, beta: 0.5)])
        case "Sigmoid", "Tanh", "Softplus", "Softsign", "Exp", "Erf", "Erfc", "Abs", "Mish", "Sqrt":
            return arguments.count == 1 ? E.unary(node.opType.lowercased(), a) : nil
        case "Gelu":
            let approximate = node.attribute("approximate")?.string ?? "none"
            return E.unary("gelu_" + approximate, a)
        case "Greater": return second().map { .apply("greater", [a, $0]) }
        case "Less": return second().map { .apply("greater", [$0, a]) }
        case "Where":
            guard arguments.count == 3, let b = arguments[1], let c = arguments[2] else { return nil }
            return .apply("where", [a, b, c])
        case "Pow": return second().map { .apply("pow", [a, $0]) }
        default: return nil
        }
    }

    /// The value of a one-element floating-point or integer constant that broadcasts without
    /// raising the rank of a `rank`-dimensional value.
    static func scalar(_ tensor: ONNXModel.TensorValue, rank: Int) -> Double? {
        guard tensor.dims.count <= rank else { return nil }
        if let f = ONNXModel.floats(tensor), f.count == 1 { return Double(f[0]) }
        if let i = ONNXModel.integers(tensor), i.count == 1 { return Double(i[0]) }
        return nil
    }
}
