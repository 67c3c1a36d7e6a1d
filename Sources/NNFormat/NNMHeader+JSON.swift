import NNSchema

/// Encoding and decoding of the header JSON (see `Spec/FORMAT.md`, "Header").
extension NNMHeader {
    /// The header JSON for a model about to be written.
    static func json(architecture: ModelArchitecture, tensors: [NNMTensorEntry], optimizer: OptimizerRecord?,
                     metadata: ModelMetadata) -> JSON {
        var members: [(key: String, value: JSON)] = [
            ("architecture", KerasConfig.json(for: architecture)),
            ("tensors", .array(tensors.map { t in
                .object([("name", .string(t.name)), ("dtype", .string(t.dtype.rawValue)), ("shape", .ints(t.shape)),
                         ("offset", .int(t.offset)), ("length", .int(t.length)), ("crc32", .int(Int(t.crc32)))])
            })),
        ]
        if let optimizer { members.append(("optimizer", optimizer.json)) }
        members.append(("metadata", metadata.json))
        return .object(members)
    }

    /// Reads the parsed header object of the file at `path`.
    static func decode(_ root: JSON, path: String) throws(ModelFileError)
        -> (architecture: ModelArchitecture, architectureJSON: JSON, tensors: [NNMTensorEntry], optimizer: OptimizerRecord?, metadata: ModelMetadata)
    {
        func invalid(_ reason: String) -> ModelFileError { .invalidHeader(path: path, reason: reason) }
        guard root.objectValue != nil else { throw invalid("expected a JSON object, found \(root.kindName)") }
        guard let archJSON = root["architecture"] else { throw invalid("missing 'architecture'") }
        let architecture: ModelArchitecture
        do { architecture = try KerasConfig.architecture(from: archJSON) } catch {
            throw .invalidArchitecture(path: path, error)
        }
        guard let table = root["tensors"]?.arrayValue else { throw invalid("missing 'tensors' array") }
        guard table.count <= NNMFormat.maximumTensorCount else {
            throw .tooManyTensors(path: path, count: table.count, limit: NNMFormat.maximumTensorCount)
        }
        var tensors: [NNMTensorEntry] = []
        var names: Set<String> = []
        for (i, entry) in table.enumerated() {
            guard let name = entry["name"]?.stringValue else { throw invalid("tensor \(i) has no 'name' string") }
            guard names.insert(name).inserted else { throw .duplicateTensor(path: path, tensor: name) }
            guard let dtypeName = entry["dtype"]?.stringValue else { throw invalid("tensor '\(name)' has no 'dtype' string") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw .unknownDType(path: path, tensor: name, dtype: dtypeName)
            }
            guard let dims = entry["shape"]?.arrayValue else { throw invalid("tensor '\(name)' has no 'shape' array") }
            guard dims.count <= NNMFormat.maximumRank else {
                throw .invalidTensorShape(path: path, tensor: name, reason: "rank \(dims.count) exceeds \(NNMFormat.maximumRank)")
            }
            var shape: [Int] = []
            for d in dims {
                guard let n = d.intValue, n >= 0 else {
                    throw .invalidTensorShape(path: path, tensor: name, reason: "dimension \(d.serialized()) is not a non-negative integer")
                }
                shape.append(n)
            }
            guard let count = Tensor.checkedCount(of: shape) else {
                throw .invalidTensorShape(path: path, tensor: name, reason: "shape \(shape) has more elements than can be addressed")
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow else {
                throw .invalidTensorShape(path: path, tensor: name, reason: "shape \(shape) has more bytes than can be addressed")
            }
            guard let offset = entry["offset"]?.intValue, offset >= 0 else { throw invalid("tensor '\(name)' has no valid 'offset'") }
            guard let length = entry["length"]?.intValue, length >= 0 else { throw invalid("tensor '\(name)' has no valid 'length'") }
            guard length == bytes else { throw .tensorLengthMismatch(path: path, tensor: name, expected: bytes, found: length) }
            guard let crc = entry["crc32"]?.intValue, crc >= 0, crc <= Int(UInt32.max) else {
                throw invalid("tensor '\(name)' has no valid 'crc32' (an integer 0...4294967295)")
            }
            tensors.append(NNMTensorEntry(name: name, dtype: dtype, shape: shape, offset: offset, length: length, crc32: UInt32(crc)))
        }
        var optimizer: OptimizerRecord?
        if let o = root["optimizer"], !o.isNull {
            do { optimizer = try OptimizerRecord(json: o) } catch { throw .invalidOptimizerState(path: path, reason: error.reason) }
        }
        let metadata: ModelMetadata
        do { metadata = try ModelMetadata(json: root["metadata"] ?? .object([])) } catch {
            throw .invalidHeader(path: path, reason: "metadata: " + error.reason)
        }
        return (architecture, archJSON, tensors, optimizer, metadata)
    }
}
