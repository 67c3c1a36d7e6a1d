/// nnmodel's version, written into every file it saves.
public enum NNModelVersion {
    /// The release version.
    public static let string = "0.1.0"
    /// The producer string recorded in model files.
    public static let producer = "nnmodel \(string)"
}
