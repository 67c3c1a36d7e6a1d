/// The optimizer state as files record it beside the slot tensors: the optimizer and its
/// hyperparameters, the step count, and the slot names (one tensor per slot and trainable
/// weight, in weight order, stored under `optimizer/<slot>/<weight>`).
public struct OptimizerRecord: Sendable, Equatable {
    public var config: OptimizerConfig
    public var iterations: Int
    public var slotNames: [String]

    public init(config: OptimizerConfig, iterations: Int, slotNames: [String]) {
        self.config = config
        self.iterations = iterations
        self.slotNames = slotNames
    }

    /// The record of a state (its slot tensors are stored separately).
    public init(_ state: OptimizerState) {
        self.init(config: state.config, iterations: state.iterations, slotNames: state.config.slotNames)
    }
}

extension OptimizerRecord {
    /// The record as JSON: the hyperparameters, `iterations` and `slots`.
    public var json: JSON {
        let c = config
        let o = self
        return .object([
            ("name", .string(c.kind.rawValue)), ("learning_rate", .number(c.learningRate)), ("momentum", .number(c.momentum)),
            ("nesterov", .bool(c.nesterov)), ("beta_1", .number(c.beta1)), ("beta_2", .number(c.beta2)),
            ("epsilon", .number(c.epsilon)), ("rho", .number(c.rho)),
            ("initial_accumulator_value", .number(c.initialAccumulatorValue)),
            ("iterations", .int(o.iterations)), ("slots", .array(o.slotNames.map { .string($0) })),
        ])
    }

    /// Reads the form written by ``json``, checking every hyperparameter and the slot names.
    public init(json o: JSON) throws(MetadataError) {
        func invalid(_ reason: String) -> MetadataError { MetadataError(reason: reason) }
        guard let name = o["name"]?.stringValue, let kind = OptimizerConfig.Kind(rawValue: name) else {
            throw invalid("unknown optimizer \(o["name"]?.serialized() ?? "(none)"); expected one of \(OptimizerConfig.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var c = OptimizerConfig(kind)
        func number(_ key: String, _ current: Double) throws(MetadataError) -> Double {
            guard let v = o[key] else { return current }
            guard let d = v.doubleValue else { throw invalid("'\(key)' should be a number, found \(v.kindName)") }
            return d
        }
        c.learningRate = try number("learning_rate", c.learningRate)
        c.momentum = try number("momentum", c.momentum)
        c.beta1 = try number("beta_1", c.beta1)
        c.beta2 = try number("beta_2", c.beta2)
        c.epsilon = try number("epsilon", c.epsilon)
        c.rho = try number("rho", c.rho)
        c.initialAccumulatorValue = try number("initial_accumulator_value", c.initialAccumulatorValue)
        c.nesterov = o["nesterov"]?.boolValue ?? false
        do { try c.validate() } catch { throw invalid(error.description) }
        guard let iterations = o["iterations"]?.intValue, iterations >= 0, iterations <= OptimizerState.maximumIterations else {
            throw invalid("'iterations' should be an integer from 0 to \(OptimizerState.maximumIterations), found \(o["iterations"].map { $0.doubleValue.map { "\($0)" } ?? $0.kindName } ?? "none")")
        }
        guard let slots = o["slots"]?.arrayValue?.compactMap(\.stringValue), slots == c.slotNames else {
            throw invalid("'slots' should be \(c.slotNames) for \(kind.rawValue)")
        }
        self.init(config: c, iterations: iterations, slotNames: slots)
    }
}
