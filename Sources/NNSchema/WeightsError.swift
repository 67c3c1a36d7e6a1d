/// Why a set of weights (or an optimizer state) does not fit a model's architecture.
///
/// The messages name the weight, what the architecture needs and what was given; callers that
/// read a file prefix the file's path.
public enum WeightsError: NNError, Equatable, Sendable {
    /// A weight the architecture needs was not given.
    case missing(name: String, expected: [Int])
    /// A weight has another shape than the architecture needs.
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    /// More (or fewer) weight tensors than the architecture has.
    case countMismatch(expected: Int, found: Int)
    /// The optimizer state does not match the trainable weights.
    case optimizerStateMismatch(String)

    public var description: String {
        switch self {
        case let .missing(name, expected): return "weight '\(Excerpt.quote(name))' (shape \(expected)) is missing"
        case let .shapeMismatch(name, expected, found): return "weight '\(Excerpt.quote(name))' has shape \(found), expected \(expected)"
        case let .countMismatch(expected, found):
            return "\(found) weight tensors given, the architecture has \(expected)"
        case let .optimizerStateMismatch(m): return "optimizer state does not match the model: \(m)"
        }
    }

    public var category: ErrorCategory { .invalidInput }
}
