/// Why a metadata or optimizer-state record cannot be read; callers that read a file say which
/// file and which part of it.
public struct MetadataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, naming the field.
    public var reason: String

    public init(reason: String) { self.reason = reason }

    public var description: String { reason }
}
