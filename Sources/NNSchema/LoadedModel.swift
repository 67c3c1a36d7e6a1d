/// A model read from a file, with what the file said about itself.
public struct LoadedModel: Sendable {
    /// The model: architecture, weights, optimizer state and metadata.
    public var model: Sequential
    /// The file's format, version, storage dtype and provenance.
    public var file: FileDescription

    public init(model: Sequential, file: FileDescription) {
        self.model = model
        self.file = file
    }

    /// The file's format.
    public var format: ModelFormat { file.format }
}
