import NNJSON
import NNSchema
import NNSystem

/// Lists ONNX graphs nnmodel reads but cannot run (operators it does not run, graphs that are not
/// a plain chain): every node with its operator, attributes and inputs, like Netron shows a
/// graph, and every initializer with its type and shape.
enum ONNXListing {
    /// Values of a node's attribute shown; the rest are left out.
    static let maximumAttributeValues = 64
    /// Characters of a metadata value shown.
    static let maximumMetadataCharacters = 4096

    /// Whether a read that failed with `error` means nnmodel cannot run the graph, rather than
    /// that the file is damaged; the node it names, if any.
    static func cannotRun(_ error: any Error) -> (Bool, node: String?) {
        switch error as? ONNXError {
        case let .unsupportedNode(_, node, _, _)?, let .notAChain(_, node, _)?: return (true, node)
        case let .unsupportedTensor(_, tensor, _)?: return (true, tensor)
        default: return (false, nil)
        }
    }

    /// The listing of the ONNX file held in `bytes`, after reading it as a model failed with `error`.
    static func listing(_ bytes: [UInt8], path: String, options: InspectOptions, after error: any Error)
        throws(ONNXError) -> FileListing?
    {
        let (unsupported, named) = cannotRun(error)
        guard unsupported else { return nil }
        let onnx = try ONNXModel(bytes: bytes, path: path)
        // Each value by the node that computes it, so a node's inputs name the nodes feeding it.
        var producers: [String: String] = [:]
        for node in onnx.nodes {
            for output in node.outputs where !output.isEmpty { producers[output] = node.name.isEmpty ? output : node.name }
        }
        let message = "\(error)"
        let problem = message.hasPrefix(path + ": ") ? String(message.dropFirst(path.count + 2)) : message
        var layers: [FileListing.Layer] = []
        for node in onnx.nodes {
            let name = node.name.isEmpty ? (node.outputs.first ?? node.opType) : node.name
            let weights = node.inputs.compactMap { onnx.initializers[$0] }
            let count = weights.reduce(0) { $0 + (Tensor.checkedCount(of: $1.dims) ?? 0) }
            layers.append(FileListing.Layer(
                name: name, className: node.domain.isEmpty || node.domain == "ai.onnx" ? node.opType : "\(node.domain).\(node.opType)",
                config: .object(node.attributes.map { ($0.name, value(of: $0)) }),
                inputs: node.inputs.filter { !$0.isEmpty && onnx.initializers[$0] == nil }.map { producers[$0] ?? $0 },
                parameterCount: weights.isEmpty ? nil : count,
                problem: named != nil && (node.name == named || name == named) ? problem : nil))
        }
        var tensors: [FileListing.Tensor] = []
        for name in onnx.initializerNames {
            guard let t = onnx.initializers[name] else { continue }
            var statistics: Inspection.Statistics?
            if options.statistics {
                let values = ONNXModel.floats(t) ?? ONNXModel.integers(t)?.map(Float.init)
                statistics = values?.withUnsafeBufferPointer { Inspection.Statistics($0) }
            }
            tensors.append(FileListing.Tensor(name: name, dtype: typeName(t.dataType), shape: t.dims,
                                              byteLength: t.raw.isEmpty && (Tensor.checkedCount(of: t.dims) ?? 0) > 0 ? nil : t.raw.count,
                                              statistics: statistics))
        }
        let attributes = onnx.metadata.map { key, value in
            value.count > maximumMetadataCharacters
                ? FileListing.Attribute(name: key, value: .string(String(value.prefix(maximumMetadataCharacters))), complete: false)
                : FileListing.Attribute(name: key, value: .string(value))
        }
        let producer = ONNXCodec.producer(of: onnx)
        let file = FileDescription(path: path, format: .onnx, formatVersion: "IR \(onnx.irVersion), opset \(onnx.opsetVersion)",
                                   fileSize: bytes.count, writtenByNNModel: onnx.producerName == "nnmodel", producer: producer)
        var metadata = ModelMetadata()
        metadata.producer = producer
        return FileListing(file: file, obstacle: .unsupportedArchitecture, reason: message, modelClass: "ONNX graph",
                           modelName: onnx.graphName.isEmpty ? nil : onnx.graphName, layers: layers, tensors: tensors,
                           attributes: attributes, metadata: metadata)
    }

    /// An attribute's value as JSON (at most ``maximumAttributeValues`` values of a list).
    static func value(of attribute: ONNXModel.Attribute) -> JSON {
        func number(_ f: Float) -> JSON { f.isFinite ? .number(Double(f)) : .string("\(f)") }
        if attribute.hasGraph { return .string("(graph)") }
        if let t = attribute.tensor { return .string("(tensor \(typeName(t.dataType)) \(t.dims))") }
        if let s = attribute.string { return .string(s) }
        if let f = attribute.float { return number(f) }
        if let i = attribute.int { return .number(Double(i)) }
        if !attribute.floats.isEmpty { return .array(attribute.floats.prefix(maximumAttributeValues).map(number)) }
        if !attribute.ints.isEmpty { return .array(attribute.ints.prefix(maximumAttributeValues).map { .number(Double($0)) }) }
        return .null
    }

    /// The name of an ONNX element type (`TensorProto.DataType`).
    static func typeName(_ dataType: Int) -> String {
        let names = [1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string", 9: "bool",
                     10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 14: "complex64", 15: "complex128", 16: "bfloat16",
                     17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4",
                     23: "float4e2m1"]
        return names[dataType] ?? "type \(dataType)"
    }
}

extension ONNXCodec {
    /// Every node and initializer of a graph nnmodel does not run (see ``FileListing``).
    public func listing(_ path: String, options: InspectOptions, after error: any Error) throws -> FileListing? {
        guard ONNXListing.cannotRun(error).0 else { return nil }
        let bytes: [UInt8]
        do { bytes = try FileReader.bytes(path, limit: Self.maximumFileSize) } catch { throw ONNXError.file(error) }
        return try ONNXListing.listing(bytes, path: path, options: options, after: error)
    }

    public func listing(contents: [UInt8], name: String, options: InspectOptions, after error: any Error) throws -> FileListing? {
        guard contents.count <= Self.maximumFileSize else { return nil }
        return try ONNXListing.listing(contents, path: name, options: options, after: error)
    }
}
