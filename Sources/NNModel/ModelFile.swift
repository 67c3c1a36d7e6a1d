import NNCore
import NNFormat
import NNKeras
import NNSystem

/// The model file formats nnmodel reads and writes.
public enum ModelFormat: String, CaseIterable, Sendable {
    /// nnmodel's own format (`Spec/FORMAT.md`).
    case nnm
    /// Keras's HDF5 layouts: legacy `.h5` models, Keras 2 `save_weights` `.h5`, `.weights.h5` stores
    /// (read), and the legacy `.h5` model layout (written).
    case h5
    /// Keras's `.keras` zip archive (read only).
    case keras

    /// The format a file name's extension names, if any.
    public init?(pathExtension path: String) {
        let lower = path.lowercased()
        if lower.hasSuffix(".nnm") { self = .nnm }
        else if lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") || lower.hasSuffix(".hdf") { self = .h5 }
        else if lower.hasSuffix(".keras") { self = .keras }
        else { return nil }
    }
}

/// Where a model's architecture comes from when its file holds only weights.
public enum ArchitectureSource: Sendable {
    /// A Keras model config JSON file (the `model_config` Keras writes, or a `.keras` `config.json`).
    case config(path: String)
    /// Another model file of any supported format whose architecture to use.
    case model(path: String)

    /// Loads the architecture.
    public func load() throws -> ModelArchitecture {
        switch self {
        case let .config(path):
            let bytes = try FileReader.bytes(path, limit: 64 << 20)
            do { return try KerasConfig.architecture(fromJSON: bytes) } catch {
                throw KerasImportError.invalidConfig(path: path, error)
            }
        case let .model(path):
            return try ModelFile.open(path, verify: false).model.architecture
        }
    }
}

/// A model read from a file, with what the file said about itself.
public struct LoadedModel: Sendable {
    public var model: Sequential
    /// The file's format as read (`.nnm` or one of Keras's layouts).
    public var format: ModelFormat
    /// A human description of the format and version (`nnm 1.0`, `Keras legacy HDF5 model (...)`).
    public var formatDescription: String
    /// Format-specific facts, in display order.
    public var details: [(key: String, value: String)]
}

/// Loads and saves models in any supported format, choosing by content (and, for writing, by
/// extension or an explicit format).
public enum ModelFile {
    /// The format of the file at `path`, from its first bytes (its extension when they are unknown).
    public static func detectFormat(path: String) throws -> ModelFormat {
        let head = try FileReader.prefix(path, count: 8)
        if head == NNMFormat.magic { return .nnm }
        if head.starts(with: [0x89, 0x48, 0x44, 0x46]) { return .h5 }
        if head.starts(with: [0x50, 0x4B]) { return .keras }
        // Unknown content: let the reader the extension names explain what it expected.
        return ModelFormat(pathExtension: path) ?? .nnm
    }

    /// Reads a model and describes its file.
    ///
    /// - Parameters:
    ///   - verify: check stored checksums (`.nnm`; Keras files have none).
    ///   - architecture: the architecture for weights-only Keras files (and instead of a Keras file's own).
    public static func open(_ path: String, verify: Bool = true, architecture: ModelArchitecture? = nil) throws -> LoadedModel {
        switch try detectFormat(path: path) {
        case .nnm:
            let file = try NNMFile(path: path)
            return LoadedModel(model: try file.model(verify: verify), format: .nnm,
                               formatDescription: "nnm \(file.header.major).\(file.header.minor)", details: [])
        case .h5, .keras:
            let (model, info) = try KerasReader.read(path, architecture: architecture)
            return LoadedModel(model: model, format: info.layout == .archive ? .keras : .h5,
                               formatDescription: info.layout.rawValue, details: kerasDetails(info))
        }
    }

    static func kerasDetails(_ info: KerasFileInfo) -> [(key: String, value: String)] {
        var details: [(key: String, value: String)] = [("layout", info.layout.rawValue)]
        if let v = info.kerasVersion { details.append(("keras version", v)) }
        if let b = info.backend { details.append(("backend", b)) }
        details.append(("weights dtype", info.weightsDType))
        if info.writtenByNNModel { details.append(("written by", "nnmodel (Keras 2 legacy layout)")) }
        if !info.layout.hasArchitecture { details.append(("architecture", "given separately (weights-only file)")) }
        return details
    }

    /// Reads a model.
    public static func load(_ path: String, verify: Bool = true, architecture: ModelArchitecture? = nil) throws -> Sequential {
        try open(path, verify: verify, architecture: architecture).model
    }

    /// Notes on how other tools will treat a model saved to `path` in `format` (for example
    /// activations tf_keras defines differently); empty when there is nothing to say.
    public static func compatibilityNotes(_ model: Sequential, path: String, format: ModelFormat? = nil) -> [String] {
        (format ?? ModelFormat(pathExtension: path) ?? .nnm) == .h5 ? KerasHDF5Writer.compatibilityNotes(for: model.architecture) : []
    }

    /// Writes a model atomically, in `format` or the one the extension names (default `.nnm`).
    ///
    /// - Parameter dtype: storage dtype of the weights in `.nnm` files.
    public static func save(_ model: Sequential, to path: String, format: ModelFormat? = nil, dtype: DType = .float32) throws {
        switch format ?? ModelFormat(pathExtension: path) ?? .nnm {
        case .nnm:
            try NNMWriter.write(model, to: path, dtype: dtype, producer: NNModelVersion.producer)
        case .h5:
            try KerasHDF5Writer.write(model, to: path, producer: NNModelVersion.producer)
        case .keras:
            throw KerasImportError.cannotExport(path: path, reason: "writing .keras archives is not supported; save as .h5 (Keras loads it with keras.models.load_model) or .nnm")
        }
    }
}
