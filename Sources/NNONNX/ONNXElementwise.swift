import Foundation
import NNCore
import NNSchema

/// Recognises a run of element-wise nodes (an activation written as its definition, such as
/// `x · Sigmoid(x)` or `x / (1 + |x|)`) by evaluating it.
///
/// Exporters decompose activations in many equivalent ways; rather than match each shape of
/// graph, the nodes that start at one value and close again on one value are run on probe inputs
/// and compared with every activation nnmodel computes. Only element-wise operators with scalar
/// constants take part, so equal values on the probes mean the same function.
enum ONNXElementwise {
    /// The probe inputs: both sides of every kink (0, ±3, 6) and the far tails.
    static let probes: [Float] = [-30, -8, -6, -3.5, -3, -2.5, -1.5, -1, -0.7, -0.3, -0.1, 0, 0.1, 0.3, 0.7, 1, 1.5, 2.5, 3, 3.5,
                                  5.5, 6, 6.5, 8, 25]
    /// The most nodes one activation may take.
    static let maximumNodes = 64

    static let operators: Set<String> = [
        "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Where", "Neg",
        "Abs", "Exp", "Log", "Sqrt", "Reciprocal", "Erf", "Tanh", "Sigmoid", "Softplus", "Softsign", "Relu", "LeakyRelu",
        "Elu", "Selu", "HardSigmoid", "HardSwish", "Mish", "Gelu", "Clip", "Identity", "Cast",
    ]

    /// The activation computed by the element-wise nodes from `nodes[first]` on that read `input`
    /// and close on a single value, and that value; nil when they compute none of nnmodel's.
    static func recognize(
        input: String, first: Int, onnx: ONNXModel, constants: [String: ONNXModel.TensorValue], consumers: [String: [Int]]
    ) -> (Activation, String)? {
        guard (consumers[input]?.count ?? 0) <= maximumNodes else { return nil }
        var values: [String: [Double]] = [input: probes.map(Double.init)]
        var order: [String] = [input]
        var taken: Set<Int> = []
        var index = first
        while index < onnx.nodes.count, taken.count < maximumNodes {
            let node = onnx.nodes[index]
            index += 1
            if node.opType == "Constant" { continue }
            guard node.inputs.contains(where: { values[$0] != nil }), let output = node.outputs.first, !output.isEmpty,
                  let result = evaluate(node, values: values, constants: constants) else { break }
            values[output] = result
            order.append(output)
            taken.insert(index - 1)
            // Closed: every value but the last is read only by the nodes taken.
            let closed = order.dropLast().allSatisfy { name in (consumers[name] ?? []).allSatisfy { taken.contains($0) } }
            if closed, let activation = match(result) { return (activation, output) }
        }
        return nil
    }

    /// The activation whose values on the probes are `values`.
    static func match(_ values: [Double]) -> Activation? {
        Activation.allCases.first { activation in
            activation != .softmax && zip(probes, values).allSatisfy { x, got in
                let want = Double(activation.value(at: x))
                return abs(got - want) <= 2e-5 * max(1, abs(want))
            }
        }
    }

    /// The node's output on the probes, or nil when it is not an element-wise operator of values
    /// and scalar constants.
    static func evaluate(_ node: ONNXModel.Node, values: [String: [Double]], constants: [String: ONNXModel.TensorValue]) -> [Double]? {
        guard operators.contains(node.opType) else { return nil }
        var arguments: [[Double]?] = []
        for name in node.inputs {
            if name.isEmpty { arguments.append(nil); continue }
            if let v = values[name] { arguments.append(v); continue }
            guard let c = constants[name], let scalar = scalar(c) else { return nil }
            arguments.append([Double](repeating: scalar, count: probes.count))
        }
        guard let x = arguments.first ?? nil else { return nil }
        func attribute(_ name: String, _ fallback: Double) -> Double { node.attribute(name)?.float.map(Double.init) ?? fallback }
        func binary(_ f: (Double, Double) -> Double) -> [Double]? {
            guard arguments.count == 2, let y = arguments[1] else { return nil }
            return zip(x, y).map(f)
        }
        func unary(_ f: (Double) -> Double) -> [Double]? { arguments.count == 1 ? x.map(f) : nil }
        func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        func softplus(_ v: Double) -> Double { max(v, 0) + log1p(exp(-abs(v))) }
        func hardSigmoid(_ v: Double, _ alpha: Double, _ beta: Double) -> Double { min(max(alpha * v + beta, 0), 1) }
        switch node.opType {
        case "Add": return binary(+)
        case "Sub": return binary(-)
        case "Mul": return binary(*)
        case "Div": return binary(/)
        case "Pow": return binary { pow($0, $1) }
        case "Greater": return binary { $0 > $1 ? 1 : 0 }
        case "Less": return binary { $0 < $1 ? 1 : 0 }
        case "GreaterOrEqual": return binary { $0 >= $1 ? 1 : 0 }
        case "LessOrEqual": return binary { $0 <= $1 ? 1 : 0 }
        case "Max", "Min":
            guard arguments.allSatisfy({ $0 != nil }) else { return nil }
            let all = arguments.compactMap { $0 }
            return (0..<probes.count).map { i in
                let column = all.map { $0[i] }
                return (node.opType == "Max" ? column.max() : column.min()) ?? 0
            }
        case "Where":
            guard arguments.count == 3, let a = arguments[1], let b = arguments[2] else { return nil }
            return (0..<probes.count).map { x[$0] != 0 ? a[$0] : b[$0] }
        case "Neg": return unary { -$0 }
        case "Abs": return unary { abs($0) }
        case "Exp": return unary { exp($0) }
        case "Log": return unary { log($0) }
        case "Sqrt": return unary { sqrt($0) }
        case "Reciprocal": return unary { 1 / $0 }
        case "Erf": return unary { erf($0) }
        case "Tanh": return unary { tanh($0) }
        case "Sigmoid": return unary(sigmoid)
        case "Softplus": return unary(softplus)
        case "Softsign": return unary { $0 / (1 + abs($0)) }
        case "Relu": return unary { $0 > 0 ? $0 : 0 }
        case "LeakyRelu":
            let alpha = attribute("alpha", 0.01)
            return unary { $0 >= 0 ? $0 : alpha * $0 }
        case "Elu":
            let alpha = attribute("alpha", 1)
            return unary { $0 > 0 ? $0 : alpha * expm1($0) }
        case "Selu":
            let alpha = attribute("alpha", 1.67326319217681884765625), gamma = attribute("gamma", 1.05070102214813232421875)
            return unary { $0 > 0 ? gamma * $0 : gamma * alpha * expm1($0) }
        case "HardSigmoid":
            let alpha = attribute("alpha", 0.2), beta = attribute("beta", 0.5)
            return unary { hardSigmoid($0, alpha, beta) }
        case "HardSwish": return unary { $0 * hardSigmoid($0, 1.0 / 6, 0.5) }
        case "Mish": return unary { $0 * tanh(softplus($0)) }
        case "Gelu":
            if (node.attribute("approximate")?.string ?? "none") == "tanh" {
                return unary { 0.5 * $0 * (1 + tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }
            }
            return unary { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }
        case "Clip":
            let low = arguments.count > 1 ? arguments[1]?.first : node.attribute("min")?.float.map(Double.init)
            let high = arguments.count > 2 ? arguments[2]?.first : node.attribute("max")?.float.map(Double.init)
            return x.map { min(max($0, low ?? -.infinity), high ?? .infinity) }
        case "Identity": return unary { $0 }
        case "Cast":
            let to = node.attribute("to")?.int ?? Int64(ONNXModel.float)
            return to == Int64(ONNXModel.float) || to == Int64(ONNXModel.double) ? unary { $0 } : nil
        default: return nil
        }
    }

    /// The value of a one-element floating-point or integer constant.
    static func scalar(_ tensor: ONNXModel.TensorValue) -> Double? {
        if let f = ONNXModel.floats(tensor), f.count == 1 { return Double(f[0]) }
        if let i = ONNXModel.integers(tensor), i.count == 1 { return Double(i[0]) }
        return nil
    }
}
