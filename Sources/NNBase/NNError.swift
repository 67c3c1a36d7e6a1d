/// What kind of failure an error reports; the command line derives its exit status from it.
public enum ErrorCategory: String, Sendable, CaseIterable {
    /// The caller asked for something impossible (an out-of-range option, a missing argument).
    case usage
    /// An input is damaged, malformed or unsupported (a bad file, an unknown layer, data that
    /// does not fit the model).
    case invalidInput
    /// An input file does not exist.
    case missingInput
    /// An output file cannot be created or written.
    case cannotWrite
    /// Another input/output failure (a read error, a permission problem).
    case io
    /// The work ran and the answer is negative: training diverged, a checksum does not match.
    case negativeResult
    /// The work was interrupted (Ctrl-C, SIGTERM).
    case interrupted
}

/// An error nnmodel reports: it says which file it is about (when it is about one), what kind
/// of failure it is, and its `description` is one line naming what was expected and what was
/// found.
public protocol NNError: Error, CustomStringConvertible {
    /// The kind of failure.
    var category: ErrorCategory { get }
    /// The file the error is about, if any.
    var path: String? { get }
}

extension NNError {
    public var path: String? { nil }
}
