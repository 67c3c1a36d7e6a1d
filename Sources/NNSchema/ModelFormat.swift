/// The identity of a model file format: the short name the command line uses (`nnm`, `h5`,
/// `keras`). Each codec module declares its own formats as static members.
public struct ModelFormat: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The short name.
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
}
