/// Why training, evaluation or prediction could not run.
public enum TrainingError: NNError, Equatable, Sendable {
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
    /// Training was asked to stop (``TrainingOptions/shouldStop``) and did, after step `batch`
    /// of `of` in epoch `epoch`; the model holds what the finished steps learned.
    case interrupted(epoch: Int, batch: Int, of: Int)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(epoch, batch, value):
            return "training stopped: the loss became \(value) at epoch \(epoch), batch \(batch) (a lower learning rate may help)"
        case let .invalidOption(name, value, expected): return "invalid \(name) \(value): expected \(expected)"
        case let .dataMismatch(m): return m
        case let .emptyDataset(what): return "\(what) holds no samples"
        case let .unsupportedInitializer(name):
            return "initializer '\(name)' is not supported for training; supported: \(Initializer.supportedClassNames.joined(separator: ", "))"
        case let .incompatibleLoss(loss, reason): return "loss '\(loss)' cannot be used here: \(reason)"
        case let .interrupted(epoch, batch, of): return "training interrupted after step \(batch) of \(of) in epoch \(epoch)"
        }
    }

    public var category: ErrorCategory {
        switch self {
        case .nonFiniteLoss: return .negativeResult
        case .interrupted: return .interrupted
        case .invalidOption: return .usage
        default: return .invalidInput
        }
    }
}
