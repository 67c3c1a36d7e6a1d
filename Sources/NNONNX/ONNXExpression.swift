import Foundation

/// An element-wise function of one value `x`, built from a run of ONNX nodes and put in a
/// canonical form, so that the different ways exporters write an activation compare equal.
///
/// Canonical form: `Identity` and casts to float vanish; `Sub` and `Neg` become `add` and `mul`
/// by −1; division by a constant becomes multiplication by its inverse; `Relu`, `Max`/`Min` with
/// a constant and `Clip` become one `clip(a, low, high)` (nested clips merged); `HardSigmoid` and
/// `HardSwish` become their clip formulas; `add` and `mul` are n-ary, flattened, with their
/// constants folded into one. Everything else keeps its operator and parameters.
indirect enum ONNXExpression: Equatable, CustomStringConvertible {
    /// The value the run starts from.
    case x
    case constant(Double)
    case apply(String, [ONNXExpression])

    var description: String {
        switch self {
        case .x: return "x"
        case let .constant(v):
            if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
            return Double(Float(v)) == v ? String(Float(v)) : String(v)
        case let .apply(op, args): return "\(op)(\(args.map(\.description).joined(separator: ", ")))"
        }
    }

    var constantValue: Double? {
        if case let .constant(v) = self { return v }
        return nil
    }

    // MARK: Canonical builders

    static func add(_ terms: [ONNXExpression]) -> ONNXExpression {
        var flat: [ONNXExpression] = []
        var constants: [Double] = []
        for t in terms {
            switch t {
            case let .constant(v): constants.append(v)
            case let .apply("add", inner): for i in inner { if let v = i.constantValue { constants.append(v) } else { flat.append(i) } }
            default: flat.append(t)
            }
        }
        // Constants are summed only when float32 would give the same: no large terms that cancel
        // (in float32, (x + 1e8) − 1e8 is not x).
        let sum = constants.reduce(0, +)
        let largest = constants.map(abs).max() ?? 0
        if constants.count > 1, largest > 1e3 * max(1, abs(sum)) {
            flat.insert(contentsOf: constants.map(ONNXExpression.constant), at: 0)
        } else if sum != 0 || flat.isEmpty {
            flat.insert(.constant(sum), at: 0)
        }
        return flat.count == 1 ? flat[0] : .apply("add", flat)
    }

    static func mul(_ factors: [ONNXExpression]) -> ONNXExpression {
        var flat: [ONNXExpression] = []
        var constants: [Double] = []
        for f in factors {
            switch f {
            case let .constant(v): constants.append(v)
            case let .apply("mul", inner): for i in inner { if let v = i.constantValue { constants.append(v) } else { flat.append(i) } }
            default: flat.append(f)
            }
        }
        // Constants are multiplied only when float32 would give the same: no factors that would
        // overflow or underflow on the way.
        let product = constants.reduce(1, *)
        if constants.count > 1, constants.contains(where: { $0 != 0 && (abs($0) > 1e6 || abs($0) < 1e-6) }) {
            flat.insert(contentsOf: constants.map(ONNXExpression.constant), at: 0)
        } else {
            if product == 0 && !constants.isEmpty { return .constant(0) }
            if product != 1 || flat.isEmpty { flat.insert(.constant(product), at: 0) }
        }
        return flat.count == 1 ? flat[0] : .apply("mul", flat)
    }

    static func clip(_ a: ONNXExpression, _ low: Double, _ high: Double) -> ONNXExpression {
        if case let .apply("clip", args) = a, args.count == 3, let l = args[1].constantValue, let h = args[2].constantValue {
            return .apply("clip", [args[0], .constant(max(l, low)), .constant(min(h, high))])
        }
        return .apply("clip", [a, .constant(low), .constant(high)])
    }

    static func hardSigmoid(_ a: ONNXExpression, alpha: Double, beta: Double) -> ONNXExpression {
        clip(add([mul([.constant(alpha), a]), .constant(beta)]), 0, 1)
    }

    static func unary(_ op: String, _ a: ONNXExpression) -> ONNXExpression { .apply(op, [a]) }

    // MARK: Matching

    /// Whether `self` equals `template`: the same operators, `add`/`mul` arguments in any order,
    /// constants equal within float32 rounding.
    func matches(_ template: ONNXExpression) -> Bool {
        switch (self, template) {
        case (.x, .x): return true
        case let (.constant(a), .constant(b)):
            if a.isInfinite || b.isInfinite { return a == b }
            return abs(a - b) <= 1e-6 * max(1, abs(b))
        case let (.apply(op, args), .apply(top, targs)):
            guard op == top, args.count == targs.count else { return false }
            if op == "add" || op == "mul" { return Self.matchUnordered(args, targs) }
            return zip(args, targs).allSatisfy { $0.matches($1) }
        default: return false
        }
    }

    private static func matchUnordered(_ args: [ONNXExpression], _ templates: [ONNXExpression]) -> Bool {
        guard let first = templates.first else { return args.isEmpty }
        for (i, a) in args.enumerated() where a.matches(first) {
            var rest = args
            rest.remove(at: i)
            if matchUnordered(rest, Array(templates.dropFirst())) { return true }
        }
        return false
    }
}
