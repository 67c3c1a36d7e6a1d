/// Why a metadata or optimizer-state record cannot be read; callers that read a file say which
/// file and which part of it.
public struct MetadataError: NNError, Equatable, Sendable {
    /// What is wrong, naming the field.
    public var reason: String

    public init(reason: String) { self.reason = reason }

    public var description: String { reason }

    public var category: ErrorCategory { .invalidInput }
}
