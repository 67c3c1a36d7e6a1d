import NNCore
import NNFormat
import NNSystem

/// The model file formats nnmodel reads and writes.
public enum ModelFormat: String, CaseIterable, Sendable {
    /// nnmodel's own format (`Spec/FORMAT.md`).
    case nnm
}

/// Loads and saves models in any supported format, choosing by content and extension.
public enum ModelFile {
    /// The format of the file at `path`, from its first bytes.
    public static func detectFormat(path: String) throws -> ModelFormat {
        let head = try FileReader.prefix(path, count: 8)
        if head == NNMFormat.magic { return .nnm }
        return .nnm  // let the .nnm reader explain what it found
    }

    /// The format implied by a file name's extension.
    public static func format(forExtension path: String) -> ModelFormat? {
        if path.hasSuffix(".nnm") { return .nnm }
        return nil
    }

    /// Reads a model.
    ///
    /// - Parameter verify: check stored checksums (the default).
    public static func load(_ path: String, verify: Bool = true) throws -> Sequential {
        switch try detectFormat(path: path) {
        case .nnm:
            return try NNMFile(path: path).model(verify: verify)
        }
    }

    /// Writes a model atomically, in `format` or the one the extension names (default `.nnm`).
    public static func save(_ model: Sequential, to path: String, format: ModelFormat? = nil, dtype: StorageDType = .float32) throws {
        switch format ?? self.format(forExtension: path) ?? .nnm {
        case .nnm:
            try NNMWriter.write(model, to: path, dtype: dtype, producer: NNModelVersion.producer)
        }
    }
}
