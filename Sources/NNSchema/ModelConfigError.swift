/// Why a model description (a Keras config or an architecture) cannot be used.
///
/// The messages name the layer, what was expected and what was found; callers that read a file
/// prefix the file's path.
public enum ModelConfigError: NNError, Equatable, Sendable {
    /// The text is not JSON.
    case invalidJSON(JSONParseError)
    /// The JSON is not a model config at all.
    case notAModelConfig(found: String)
    /// A model class other than Sequential or a plain-chain Functional model.
    case unsupportedModelClass(String)
    /// A layer class outside the allowlist.
    case unsupportedLayer(name: String, className: String)
    /// An activation name outside the allowlist.
    case unsupportedActivation(layer: String, name: String)
    /// A layer of a supported class uses an option nnmodel does not implement (a grouped or
    /// channels-first convolution, batch renormalization, ...).
    case unsupportedOption(layer: String, field: String, supported: String, found: String)
    /// A field holds a value of the wrong kind or out of range.
    case invalidField(layer: String, field: String, expected: String, found: String)
    /// A required field is absent.
    case missingField(layer: String, field: String)
    /// A training history field holds a value of the wrong kind, count or range.
    case invalidHistory(field: String, expected: String, found: String)
    /// A training history lacks a field it needs.
    case missingHistoryField(String)
    /// No layer or config says what the input shape is.
    case missingInputShape
    /// The input shape is unusable.
    case invalidInputShape([Int], reason: String)
    /// Two layers share a name.
    case duplicateLayerName(String)
    /// A functional model whose layers are not a single chain from input to output.
    case notAChain(layer: String, reason: String)
    /// The model has no layers after the input.
    case noLayers
    /// More layers than ``ModelArchitecture/maximumLayers``.
    case tooManyLayers(count: Int, limit: Int)
    /// An optimizer hyperparameter is out of range.
    case invalidHyperparameter(name: String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .invalidJSON(e): return "model config is not valid JSON: \(e)"
        case let .notAModelConfig(found):
            return "expected a Keras model config (an object with \"class_name\" and \"config\"), found \(Excerpt.quote(found))"
        case let .unsupportedModelClass(c):
            return "unsupported model class '\(Excerpt.quote(c))'; supported: Sequential, and Functional models that are a plain chain"
        case let .unsupportedLayer(name, className):
            return "layer '\(Excerpt.quote(name))' has unsupported class '\(Excerpt.quote(className))'; supported: \(LayerKind.supportedClassNames.joined(separator: ", "))"
        case let .unsupportedActivation(layer, name):
            return "layer '\(Excerpt.quote(layer))' uses unsupported activation '\(Excerpt.quote(name))'; supported: \(Activation.supportedNames.joined(separator: ", "))"
        case let .invalidField(layer, field, expected, found):
            return "layer '\(Excerpt.quote(layer))': field '\(Excerpt.quote(field))' should be \(expected), found \(Excerpt.quote(found))"
        case let .unsupportedOption(layer, field, supported, found):
            return "layer '\(Excerpt.quote(layer))': \(Excerpt.quote(field)) = \(Excerpt.quote(found)) is not supported (nnmodel supports \(supported))"
        case let .missingField(layer, field): return "layer '\(Excerpt.quote(layer))': missing field '\(Excerpt.quote(field))'"
        case let .invalidHistory(field, expected, found):
            return "training history: '\(Excerpt.quote(field))' should be \(expected), found \(Excerpt.quote(found))"
        case let .missingHistoryField(field): return "training history: missing '\(Excerpt.quote(field))'"
        case .missingInputShape:
            return "the config does not give an input shape (expected an InputLayer with batch_shape, a first layer with batch_input_shape, or build_input_shape)"
        case let .invalidInputShape(shape, reason): return "invalid input shape \(shape): \(reason)"
        case let .duplicateLayerName(n): return "two layers are named '\(Excerpt.quote(n))'"
        case let .notAChain(layer, reason): return "functional model is not a plain chain at layer '\(Excerpt.quote(layer))': \(reason)"
        case .noLayers: return "the model has no layers after its input"
        case let .tooManyLayers(count, limit): return "the model has \(count) layers, more than the limit of \(limit)"
        case let .invalidHyperparameter(name, value, expected): return "invalid \(Excerpt.quote(name)) \(value): expected \(expected)"
        }
    }

    public var category: ErrorCategory { .invalidInput }
}
