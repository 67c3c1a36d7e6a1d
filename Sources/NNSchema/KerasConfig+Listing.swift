extension KerasConfig {
    /// A Keras model config as written, layer by layer, whether or not nnmodel runs it.
    public struct WrittenModel: Sendable {
        /// The model class (`Sequential`, `Functional`).
        public var modelClass: String?
        /// The model's name.
        public var name: String?
        /// The layers in the config's order, the input layer first where the config has one;
        /// each says why nnmodel cannot run it, if it cannot. At most
        /// ``ModelArchitecture/maximumLayers`` + 1 (a config with more is refused when read).
        public var layers: [FileListing.Layer]
    }

    /// Reads the layers of a Keras model config as written, refusing none, and marks each layer
    /// nnmodel cannot run with the reason ``architecture(from:)`` gives for it.
    ///
    /// Each layer is checked on its own, as reading the config checks it (its class against the
    /// allowlist, its activation, its fields); in a functional model, a layer that is not fed by
    /// the one before it alone is marked as breaking the chain. Output shapes are those the
    /// config states (Keras 3 records each layer's input shape, so its producer's output shape),
    /// else those of the layers nnmodel knows, worked out from the input. Nothing named in the
    /// config is looked up or run.
    ///
    /// - Parameters:
    ///   - json: the config, `{"class_name": ..., "config": ...}`.
    ///   - failure: the error ``architecture(from:)`` gave for the config, if known; a layer it
    ///     names is marked with it.
    public static func writtenModel(_ json: JSON, failure: ModelConfigError? = nil) -> WrittenModel {
        let modelClass = json["class_name"]?.stringValue
        let config = json["config"] ?? .null
        let name = config["name"]?.stringValue
        let list = config.arrayValue ?? config["layers"]?.arrayValue ?? []
        let limit = ModelArchitecture.maximumLayers + 1
        let entries = Array(list.prefix(limit))
        let functional = modelClass == "Functional" || modelClass == "Model"

        // Names, inputs and the output shapes the config states.
        var names: [String] = []
        var classCounts: [String: Int] = [:]
        var inputs: [[String]?] = []
        var stated: [String: [Int]] = [:]
        for (index, entry) in entries.enumerated() {
            let className = entry["class_name"]?.stringValue ?? "?"
            let ordinal = classCounts[className, default: 0]
            classCounts[className] = ordinal + 1
            names.append(entry["config"]?["name"]?.stringValue ?? entry["name"]?.stringValue
                ?? defaultName(className, ordinal: ordinal))
            if functional {
                inputs.append(try? inboundLayerNames(entry["inbound_nodes"], layer: names[index]))
                for (producer, shape) in inboundShapes(entry["inbound_nodes"]) where stated[producer] == nil {
                    stated[producer] = shape
                }
            } else {
                inputs.append(nil)
            }
        }
        if !functional {
            // Keras 3 records each layer's input shape: the output shape of the layer before it.
            for index in entries.indices.dropFirst() {
                if let shape = entries[index]["build_config"]?["input_shape"].flatMap(shapeAfterBatch) {
                    stated[names[index - 1]] = stated[names[index - 1]] ?? shape
                }
            }
        }

        let named = failure.flatMap(layerNamed)
        var computed: [String: [Int]] = [:]
        var layers: [FileListing.Layer] = []
        for (index, entry) in entries.enumerated() {
            let className = entry["class_name"]?.stringValue ?? "?"
            let layerName = names[index]
            var problems: [String] = []
            var probe = Builder(name: name ?? "model")
            do throws(ModelConfigError) { try probe.add(entry) } catch { problems.append(error.description) }
            if functional, let broken = chainBreak(layer: layerName, inbound: inputs[index] ?? [],
                                                   previous: index > 0 ? names[index - 1] : nil) {
                problems.append(broken.description)
            }
            if problems.isEmpty, let failure, named == layerName { problems.append(failure.description) }

            // The input this layer sees: the preceding layer's output, or its one producer's.
            var input: [Int]?
            if functional {
                if let inbound = inputs[index], inbound.count == 1 { input = stated[inbound[0]] ?? computed[inbound[0]] }
            } else if index > 0 {
                input = stated[names[index - 1]] ?? computed[names[index - 1]]
            }
            if className == "InputLayer" {
                let c = entry["config"] ?? .null
                if let shape = (c["batch_shape"] ?? c["batch_input_shape"]).flatMap(shapeAfterBatch) {
                    computed[layerName] = shape
                } else if let dims = (c["shape"] ?? c["input_shape"])?.arrayValue {
                    computed[layerName] = shapeAfterBatch(.array([.null] + dims))
                }
            } else {
                // Keras 2 states the model's input on the first layer.
                if input == nil, let shape = (entry["config"]?["batch_input_shape"]).flatMap(shapeAfterBatch) {
                    input = shape
                }
                if let kind = probe.layers.last?.kind, let input {  // a layer nnmodel knows
                    computed[layerName] = outputShape(of: kind, input: input)
                }
            }

            var registered: String?
            if let r = entry["registered_name"]?.stringValue, r != className {
                registered = r
            } else if let module = entry["module"]?.stringValue, !KerasConfig.isKerasModule(module) {
                registered = "\(module).\(className)"
            }
            layers.append(FileListing.Layer(
                name: layerName, className: className, registeredName: registered, config: entry["config"] ?? .object([]),
                inputs: functional ? (inputs[index] ?? []) : nil, outputShape: stated[layerName] ?? computed[layerName],
                problem: problems.isEmpty ? nil : problems.joined(separator: "; ")))
        }
        return WrittenModel(modelClass: modelClass, name: name, layers: layers)
    }

    /// The layer an error about a config names, if it names one.
    static func layerNamed(_ error: ModelConfigError) -> String? {
        switch error {
        case let .unsupportedLayer(name, _): return name
        case let .unsupportedActivation(layer, _), let .invalidField(layer, _, _, _), let .missingField(layer, _),
             let .notAChain(layer, _):
            return layer
        case let .duplicateLayerName(name): return name
        default: return nil
        }
    }

    /// A shape as Keras writes one, `[null, d1, ...]`, without its batch axis; an open dimension
    /// is -1. Nil for anything else (a list of shapes, a rank over ``ModelArchitecture/maximumRank``).
    static func shapeAfterBatch(_ value: JSON) -> [Int]? {
        guard let dims = value.arrayValue, dims.count >= 2, dims.count <= ModelArchitecture.maximumRank + 1 else { return nil }
        var shape: [Int] = []
        for d in dims.dropFirst() {
            if d.isNull { shape.append(-1) } else if let n = d.intValue, n >= 0 { shape.append(n) } else { return nil }
        }
        return shape
    }

    /// The output shape of a layer nnmodel knows, for `input` (open dimensions -1).
    static func outputShape(of kind: LayerKind, input: [Int]) -> [Int]? {
        switch kind {
        case .flatten:
            if input.contains(-1) { return [-1] }
            let (product, overflow) = input.reduce((1, false)) { acc, d in
                let r = acc.0.multipliedReportingOverflow(by: d)
                return (r.partialValue, acc.1 || r.overflow)
            }
            return overflow ? nil : [product]
        case let .dense(d):
            return input.isEmpty ? nil : input.dropLast() + [d.units]
        case .activation, .dropout, .relu, .leakyReLU, .elu, .softmax, .batchNormalization, .layerNormalization:
            return input
        default:
            guard !input.contains(where: { $0 < 1 }) else { return nil }
            var parameters = 0
            return try? Layer(name: "layer", kind: kind).outputShape(input: input, parameters: &parameters)
        }
    }

    /// The shapes of the tensors a Keras 3 functional layer is called on, by the layer that
    /// produced each (`__keras_tensor__` entries with `keras_history` and `shape`).
    static func inboundShapes(_ nodes: JSON?) -> [(layer: String, shape: [Int])] {
        var found: [(layer: String, shape: [Int])] = []
        func collect(_ value: JSON, depth: Int) {
            guard depth < 16, found.count < 64 else { return }
            if let history = value["config"]?["keras_history"]?.arrayValue, let producer = history.first?.stringValue {
                if let shape = value["config"]?["shape"].flatMap(shapeAfterBatch) { found.append((producer, shape)) }
                return
            }
            if let array = value.arrayValue {
                for element in array.prefix(64) { collect(element, depth: depth + 1) }
            } else if let args = value["args"] {
                collect(args, depth: depth + 1)
            }
        }
        if let nodes { collect(nodes, depth: 0) }
        return found
    }
}
