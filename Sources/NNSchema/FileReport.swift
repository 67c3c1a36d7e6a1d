/// What describing a file found: a model nnmodel runs, or a file it reads but cannot run.
public enum FileReport: Sendable {
    /// A model nnmodel can load and run, inspected in full.
    case model(Inspection)
    /// A file nnmodel reads but cannot run: what it holds, and why it cannot run it.
    case listing(FileListing)

    /// The file's format and the facts it states.
    public var file: FileDescription {
        switch self {
        case let .model(inspection): return inspection.file
        case let .listing(listing): return listing.file
        }
    }

    /// The file described.
    public var path: String { file.path }

    /// Whether nnmodel can run the model in the file (evaluate, predict, convert it).
    public var isRunnable: Bool {
        if case .model = self { return true }
        return false
    }
}
