import NNSchema

/// Translates between Keras's compile information (`training_config`, `compile_config`) and
/// ``ModelMetadata``'s loss and optimizer.
enum KerasTrainingConfig {
    /// Fills `metadata.loss` and `metadata.optimizer` from a legacy `training_config` or a
    /// `.keras` `compile_config` object.
    static func apply(_ config: JSON, to metadata: inout ModelMetadata) {
        if let loss = config["loss"] {
            metadata.loss = lossName(loss)
        }
        if let optimizer = config["optimizer_config"] ?? config["optimizer"], !optimizer.isNull {
            metadata.optimizer = optimizer
        }
    }

    /// A loss given as a name, a `{"class_name": ...}` object, or a one-element list/dict of those.
    static func lossName(_ value: JSON) -> String? {
        if let s = value.stringValue { return Loss(kerasName: s)?.rawValue ?? s }
        if let c = value["class_name"]?.stringValue {
            if c == "LossFunctionWrapper", let fn = value["config"]?["fn"]?.stringValue { return Loss(kerasName: fn)?.rawValue ?? fn }
            return Loss(kerasName: c)?.rawValue ?? c
        }
        if let first = value.arrayValue?.first { return lossName(first) }
        if let first = value.objectValue?.first?.value { return lossName(first) }
        return nil
    }

    /// The Keras optimizer config for an nnmodel optimizer (`gd` and `momentum` are Keras's SGD).
    static func optimizerJSON(_ c: OptimizerConfig) -> JSON {
        let className: String
        var extra: [(key: String, value: JSON)]
        switch c.kind {
        case .gd, .sgd, .momentum:
            className = "SGD"
            extra = [("momentum", .number(c.momentum)), ("nesterov", .bool(c.nesterov))]
        case .adagrad:
            className = "Adagrad"
            extra = [("initial_accumulator_value", .number(c.initialAccumulatorValue)), ("epsilon", .number(c.epsilon))]
        case .rmsprop:
            className = "RMSprop"
            extra = [("rho", .number(c.rho)), ("momentum", .number(c.momentum)), ("epsilon", .number(c.epsilon)), ("centered", false)]
        case .adam:
            className = "Adam"
            extra = [("beta_1", .number(c.beta1)), ("beta_2", .number(c.beta2)), ("epsilon", .number(c.epsilon)), ("amsgrad", false)]
        }
        let config: [(key: String, value: JSON)] = [("name", .string(className)), ("learning_rate", .number(c.learningRate))] + extra
        return .object([("class_name", .string(className)), ("config", .object(config))])
    }

    /// A legacy `training_config` Keras can compile from, or `nil` when the loss is unknown.
    static func legacyTrainingConfig(loss: String?, optimizer: OptimizerConfig?, optimizerJSON: JSON?) -> JSON? {
        guard let loss, Loss(kerasName: loss) != nil else { return nil }
        let optimizer = optimizer.map(optimizerJSON(_:)) ?? optimizerJSON.flatMap(plainOptimizer)
        var members: [(key: String, value: JSON)] = [
            ("loss", .string(loss)), ("metrics", .array([.string("accuracy")])), ("weighted_metrics", .null),
            ("loss_weights", .null),
        ]
        if let optimizer { members.append(("optimizer_config", optimizer)) }
        return .object(members)
    }

    /// Reduces a Keras 3 optimizer config (`module`, `registered_name`) to `{"class_name", "config"}`
    /// when it names one of Keras's built-in optimizers.
    static func plainOptimizer(_ json: JSON) -> JSON? {
        guard var name = json["class_name"]?.stringValue, let config = json["config"] else { return nil }
        if name.hasPrefix("Custom>") { name = String(name.dropFirst("Custom>".count)) }
        guard ["SGD", "Adam", "RMSprop", "Adagrad", "Adamax", "Nadam", "Adadelta", "AdamW", "Ftrl"].contains(name) else { return nil }
        return .object([("class_name", .string(name)), ("config", config)])
    }
}
