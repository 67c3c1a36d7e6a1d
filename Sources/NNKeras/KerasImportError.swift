import NNSchema
import NNHDF5
import NNSystem

/// Why a Keras file cannot be read or written. Every message names the file, and where it
/// applies the layer, the weight, what was expected and what was found.
public enum KerasImportError: NNError, Equatable, Sendable {
    /// The file is neither HDF5 nor a zip archive.
    case notKeras(path: String, found: String)
    /// HDF5, but not laid out as any Keras format.
    case unknownLayout(path: String, found: String)
    /// A weights-only file: the architecture must come from elsewhere.
    case missingArchitecture(path: String, layout: String)
    /// The model config is unusable.
    case invalidConfig(path: String, ModelConfigError)
    /// The number of layers with weights differs between file and architecture.
    case layerCountMismatch(path: String, expected: [String], found: [String])
    /// A layer has a different number of weights than the architecture needs.
    case weightCountMismatch(path: String, layer: String, expected: Int, found: Int)
    /// A weight listed or needed is not in the file.
    case missingWeight(path: String, layer: String, weight: String)
    /// A weight has the wrong shape.
    case shapeMismatch(path: String, layer: String, weight: String, expected: [Int], found: [Int])
    /// A weight dataset is not a floating-point array.
    case unsupportedDType(path: String, weight: String, found: String)
    /// A required member of a `.keras` archive is missing.
    case missingArchiveMember(path: String, member: String)
    /// A `.keras` member would expand beyond what is plausible.
    case archiveMemberTooLarge(path: String, member: String, size: UInt64, limit: UInt64)
    /// The zip archive itself is damaged.
    case invalidArchive(path: String, reason: String)
    /// A JSON member of the archive or attribute of the file is malformed.
    case invalidMetadata(path: String, field: String, reason: String)
    /// The HDF5 layer failed (the message carries libhdf5's reason).
    case hdf5(HDF5Error)
    /// A file-system failure.
    case file(FileError)
    /// The model cannot be written in Keras's format.
    case cannotExport(path: String, reason: String)
    /// An activation the file's Keras version defines differently from Keras 3 (which nnmodel follows).
    case differentActivation(path: String, layer: String, activation: String, kerasVersion: String, definition: String)

    public var description: String {
        switch self {
        case let .notKeras(path, found):
            return "\(path): not a Keras file: expected HDF5 (.h5, .weights.h5) or a .keras zip archive, found \(Excerpt.quote(found))"
        case let .unknownLayout(path, found):
            return "\(path): HDF5 file not laid out as Keras saves models (expected a 'model_config' attribute, 'layer_names', or a 'layers' group), found \(Excerpt.quote(found))"
        case let .missingArchitecture(path, layout):
            return "\(path): \(layout) holds weights only, no architecture; the architecture must be given separately (a model file or a Keras model config of the same model)"
        case let .invalidConfig(path, e): return "\(path): \(e)"
        case let .layerCountMismatch(path, expected, found):
            return "\(path): the architecture has \(expected.count) layers with weights (\(Excerpt.quote(expected.joined(separator: ", ")))), the file has \(found.count) (\(Excerpt.quote(found.joined(separator: ", "))))"
        case let .weightCountMismatch(path, layer, expected, found):
            return "\(path): layer '\(Excerpt.quote(layer))' needs \(expected) weight\(expected == 1 ? "" : "s"), the file has \(Excerpt.quote(found))"
        case let .missingWeight(path, layer, weight): return "\(path): layer '\(Excerpt.quote(layer))': weight '\(Excerpt.quote(weight))' is missing"
        case let .shapeMismatch(path, layer, weight, expected, found):
            return "\(path): layer '\(Excerpt.quote(layer))': weight '\(Excerpt.quote(weight))' has shape \(Excerpt.quote(found)), expected \(expected)"
        case let .unsupportedDType(path, weight, found):
            return "\(path): weight '\(Excerpt.quote(weight))' is \(Excerpt.quote(found)), expected a float16, float32 or float64 array"
        case let .missingArchiveMember(path, member): return "\(path): the .keras archive has no '\(Excerpt.quote(member))'"
        case let .archiveMemberTooLarge(path, member, size, limit):
            return "\(path): archive member '\(Excerpt.quote(member))' expands to \(size) bytes, more than the limit of \(limit)"
        case let .invalidArchive(path, reason): return "\(path): damaged .keras (zip) archive: \(Excerpt.quote(reason))"
        case let .invalidMetadata(path, field, reason): return "\(path): invalid \(Excerpt.quote(field)): \(Excerpt.quote(reason))"
        case let .hdf5(e): return e.description
        case let .file(e): return e.description
        case let .cannotExport(path, reason): return "\(path): cannot write as a Keras file: \(Excerpt.quote(reason))"
        case let .differentActivation(path, layer, activation, version, definition):
            return "\(path): layer '\(Excerpt.quote(layer))' uses \(Excerpt.quote(activation)), which Keras \(version) defines as \(definition); nnmodel computes Keras 3's definition, so its predictions would differ"
        }
    }
}

extension KerasImportError {
    public var category: ErrorCategory {
        switch self {
        case let .file(e): return e.category
        case let .hdf5(e): return e.category
        default: return .invalidInput
        }
    }

    public var path: String? {
        switch self {
        case let .file(e): return e.path
        case let .hdf5(e): return e.path
        case let .notKeras(path, _), let .unknownLayout(path, _), let .missingArchitecture(path, _), let .invalidConfig(path, _),
             let .layerCountMismatch(path, _, _), let .weightCountMismatch(path, _, _, _), let .missingWeight(path, _, _),
             let .shapeMismatch(path, _, _, _, _), let .unsupportedDType(path, _, _), let .missingArchiveMember(path, _),
             let .archiveMemberTooLarge(path, _, _, _), let .invalidArchive(path, _), let .invalidMetadata(path, _, _),
             let .cannotExport(path, _), let .differentActivation(path, _, _, _, _):
            return path
        }
    }

    /// Runs `body`, passing ``KerasImportError`` through and wrapping HDF5 and other errors, so
    /// every failure of a Keras read is a ``KerasImportError`` that names the file.
    static func mapping<T>(path: String, field: String, _ body: () throws -> T) throws(KerasImportError) -> T {
        do {
            return try body()
        } catch let e as KerasImportError {
            throw e
        } catch let e as HDF5Error {
            throw .hdf5(e)
        } catch {
            throw .invalidMetadata(path: path, field: field, reason: "\(error)")
        }
    }
}
