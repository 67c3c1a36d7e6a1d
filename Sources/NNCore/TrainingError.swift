/// Why training, evaluation or prediction could not run.
public enum TrainingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The loss became NaN or infinite (training stops, like Keras's TerminateOnNaN).
    case nonFiniteLoss(epoch: Int, batch: Int, value: Float)
    /// A hyperparameter is out of range.
    case invalidOption(name: String, value: String, expected: String)
    /// The data does not fit the model.
    case dataMismatch(String)
    /// The dataset holds no samples.
    case emptyDataset(String)
    /// The model's initializer is not one nnmodel implements.
    case unsupportedInitializer(String)
    /// The loss cannot be used with this model or these targets.
    case incompatibleLoss(loss: String, reason: String)
    /// Optimizer state does not match the model's weights.
    case optimizerStateMismatch(String)
    /// A weight tensor is missing or has the wrong shape.
    case weightMismatch(name: String, expected: [Int], found: [Int]?)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(epoch, batch, value):
            return "training stopped: the loss became \(value) at epoch \(epoch), batch \(batch) (try a lower --learning-rate)"
        case let .invalidOption(name, value, expected): return "invalid \(name) \(value): expected \(expected)"
        case let .dataMismatch(m): return m
        case let .emptyDataset(what): return "\(what) holds no samples"
        case let .unsupportedInitializer(name):
            return "initializer '\(name)' is not supported for training; supported: \(Initializer.supportedClassNames.joined(separator: ", "))"
        case let .incompatibleLoss(loss, reason): return "loss '\(loss)' cannot be used here: \(reason)"
        case let .optimizerStateMismatch(m): return "optimizer state does not match the model: \(m)"
        case let .weightMismatch(name, expected, found):
            if let found { return "weight '\(name)' has shape \(found), expected \(expected)" }
            return "weight '\(name)' (shape \(expected)) is missing"
        }
    }
}
