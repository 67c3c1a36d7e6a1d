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
        // Keras 3's options that tf_keras's optimizers refuse as unknown arguments (they are at
        // their defaults in any optimizer a legacy file can describe), and unset clipping.
        let keras3Only: Set<String> = ["use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                                       "gradient_accumulation_steps", "jit_compile", "is_legacy_optimizer"]
        let members = (config.objectValue ?? []).filter { member in
            if keras3Only.contains(member.key) { return false }
            if member.key == "weight_decay" { return name == "AdamW" }
            if ["clipnorm", "clipvalue", "global_clipnorm"].contains(member.key) { return !member.value.isNull }
            return true
        }
        return .object([("class_name", .string(name)), ("config", .object(members))])
    }
}

// MARK: Keras 3 (.keras archives)

extension KerasTrainingConfig {
    /// Keras 3's `compile_config` for a model trained with `loss`: the optimizer (from the
    /// optimizer state's configuration, else the recorded Keras optimizer, else Keras's default
    /// RMSprop) and the fields `model.compile` takes, as Keras 3 writes them. An empty object
    /// (what Keras writes for a model never compiled) when the loss is not a Keras loss.
    static func keras3CompileConfig(loss: String?, optimizer: OptimizerConfig?, optimizerJSON: JSON?) -> JSON {
        guard let loss, let known = Loss(kerasName: loss) else { return .object([]) }
        let written = optimizer.map(keras3Optimizer(_:)) ?? optimizerJSON.flatMap(keras3Optimizer(converting:))
            ?? keras3Optimizer(OptimizerConfig(.rmsprop))
        return .object([
            ("optimizer", written), ("loss", .string(known.rawValue)), ("loss_weights", .null), ("metrics", ["accuracy"]),
            ("weighted_metrics", .null), ("run_eagerly", false), ("steps_per_execution", 1), ("jit_compile", false),
        ])
    }

    /// The name Keras 3 gives an optimizer of this kind by default (its class in snake case), which
    /// it also records as the `name` of the optimizer's variables in the weights store.
    static func keras3OptimizerName(_ kind: OptimizerConfig.Kind) -> String {
        switch kind {
        case .gd, .sgd, .momentum: return "sgd"
        case .adagrad: return "adagrad"
        case .rmsprop: return "rm_sprop"
        case .adam: return "adam"
        }
    }

    /// The Keras 3 optimizer object for an nnmodel optimizer, with every key Keras 3's
    /// `get_config` writes (`gd` and `momentum` are Keras's SGD).
    static func keras3Optimizer(_ c: OptimizerConfig) -> JSON {
        let className: String
        let specific: [(key: String, value: JSON)]
        switch c.kind {
        case .gd, .sgd, .momentum:
            className = "SGD"
            specific = [("momentum", .number(c.momentum)), ("nesterov", .bool(c.nesterov))]
        case .adagrad:
            className = "Adagrad"
            specific = [("initial_accumulator_value", .number(c.initialAccumulatorValue)), ("epsilon", .number(c.epsilon))]
        case .rmsprop:
            className = "RMSprop"
            specific = [("rho", .number(c.rho)), ("momentum", .number(c.momentum)), ("epsilon", .number(c.epsilon)), ("centered", false)]
        case .adam:
            className = "Adam"
            specific = [("beta_1", .number(c.beta1)), ("beta_2", .number(c.beta2)), ("epsilon", .number(c.epsilon)), ("amsgrad", false)]
        }
        let common: [(key: String, value: JSON)] = [
            ("name", .string(keras3OptimizerName(c.kind))), ("learning_rate", .number(c.learningRate)), ("weight_decay", .null),
            ("clipnorm", .null), ("global_clipnorm", .null), ("clipvalue", .null), ("use_ema", false), ("ema_momentum", 0.99),
            ("ema_overwrite_frequency", .null), ("loss_scale_factor", .null), ("gradient_accumulation_steps", .null),
        ]
        return KerasConfig.keras3Object(module: "keras.optimizers", className: className, config: common + specific)
    }

    /// Keys of Keras 2 (tf_keras) optimizer configs that Keras 3's optimizers refuse.
    static let keras2OnlyOptimizerKeys: Set<String> = ["jit_compile", "is_legacy_optimizer", "decay"]

    /// A recorded Keras optimizer config in the form Keras 3 loads: a built-in optimizer (tf_keras's
    /// `Custom>Adam` becomes `Adam`) with its config less the keys Keras 3 refuses (tf_keras writes
    /// them in `.h5` and `.keras` files alike); `nil` when it names no built-in optimizer.
    static func keras3Optimizer(converting json: JSON) -> JSON? {
        guard let plain = plainOptimizer(json), let name = plain["class_name"]?.stringValue,
              let members = plain["config"]?.objectValue else { return nil }
        return KerasConfig.keras3Object(module: "keras.optimizers", className: name,
                                        config: members.filter { !keras2OnlyOptimizerKeys.contains($0.key) })
    }
}
