import NNSchema
import NNSystem

/// Why an ONNX file cannot be read or written. Every message names the file, and where it
/// applies the node, its operator and what is supported.
public enum ONNXError: NNError, Equatable, Sendable {
    /// The bytes are not a valid ONNX model (protocol buffer structure, missing fields).
    case invalidModel(path: String, reason: String)
    /// A node nnmodel does not run.
    case unsupportedNode(path: String, node: String, opType: String, reason: String)
    /// The graph is not a single chain from the input to the output.
    case notAChain(path: String, node: String, reason: String)
    /// A tensor keeps its data in another file.
    case externalData(path: String, tensor: String)
    /// A count beyond nnmodel's limits.
    case tooLarge(path: String, what: String, count: Int, limit: Int)
    /// A weight tensor of a type nnmodel does not read.
    case unsupportedTensor(path: String, tensor: String, reason: String)
    /// The graph does not compute what the architecture given for it computes.
    case architectureMismatch(path: String, reason: String)
    /// The model cannot be written as ONNX.
    case cannotExport(path: String, reason: String)
    /// The file could not be read or written.
    case file(FileError)

    public var category: ErrorCategory {
        if case let .file(e) = self { return e.category }
        if case .cannotExport = self { return .usage }
        return .invalidInput
    }

    public var path: String? {
        switch self {
        case let .invalidModel(path, _), let .unsupportedNode(path, _, _, _), let .notAChain(path, _, _),
             let .externalData(path, _), let .tooLarge(path, _, _, _), let .unsupportedTensor(path, _, _),
             let .architectureMismatch(path, _),
             let .cannotExport(path, _):
            return path
        case let .file(e): return e.path
        }
    }

    public var description: String {
        switch self {
        case let .invalidModel(path, reason): return "\(path): not a valid ONNX model: \(Excerpt.quote(reason))"
        case let .unsupportedNode(path, node, opType, reason):
            return "\(path): node '\(Excerpt.quote(node))' (\(Excerpt.quote(opType))) is not supported: \(Excerpt.quote(reason)); nnmodel reads chains of \(ONNXImport.supportedOperators.joined(separator: ", "))"
        case let .notAChain(path, node, reason):
            return "\(path): the graph is not a single chain at node '\(Excerpt.quote(node))': \(Excerpt.quote(reason))"
        case let .externalData(path, tensor):
            return "\(path): tensor '\(Excerpt.quote(tensor))' keeps its data in an external file; nnmodel reads only self-contained ONNX files (save with onnx.save_model(..., save_as_external_data=False))"
        case let .tooLarge(path, what, count, limit): return "\(path): \(count) \(what), more than the limit of \(limit)"
        case let .unsupportedTensor(path, tensor, reason): return "\(path): tensor '\(Excerpt.quote(tensor))': \(Excerpt.quote(reason))"
        case let .architectureMismatch(path, reason): return "\(path): the architecture does not fit the graph: \(reason)"
        case let .cannotExport(path, reason): return "\(path): cannot write as ONNX: \(reason)"
        case let .file(e): return e.description
        }
    }
}
