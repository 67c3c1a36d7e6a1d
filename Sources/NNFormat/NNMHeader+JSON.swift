import NNCore

/// Encoding and decoding of the header JSON (see `Spec/FORMAT.md`, "Header").
extension NNMHeader {
    /// The header JSON for a model about to be written.
    static func json(architecture: ModelArchitecture, tensors: [NNMTensorEntry], optimizer: NNMOptimizerEntry?,
                     metadata: ModelMetadata) -> JSON {
        var members: [(key: String, value: JSON)] = [
            ("architecture", KerasConfig.json(for: architecture)),
            ("tensors", .array(tensors.map { t in
                .object([("name", .string(t.name)), ("dtype", .string(t.dtype.rawValue)), ("shape", .ints(t.shape)),
                         ("offset", .int(t.offset)), ("length", .int(t.length)), ("crc32", .int(Int(t.crc32)))])
            })),
        ]
        if let optimizer { members.append(("optimizer", json(optimizer))) }
        members.append(("metadata", json(metadata)))
        return .object(members)
    }

    /// The header's `optimizer` object.
    public static func json(_ o: NNMOptimizerEntry) -> JSON {
        let c = o.config
        return .object([
            ("name", .string(c.kind.rawValue)), ("learning_rate", .number(c.learningRate)), ("momentum", .number(c.momentum)),
            ("nesterov", .bool(c.nesterov)), ("beta_1", .number(c.beta1)), ("beta_2", .number(c.beta2)),
            ("epsilon", .number(c.epsilon)), ("rho", .number(c.rho)),
            ("initial_accumulator_value", .number(c.initialAccumulatorValue)),
            ("iterations", .int(o.iterations)), ("slots", .array(o.slotNames.map { .string($0) })),
        ])
    }

    /// The header's `metadata` object.
    public static func json(_ m: ModelMetadata) -> JSON {
        var members: [(key: String, value: JSON)] = []
        if let v = m.producer { members.append(("producer", .string(v))) }
        if let v = m.createdAt { members.append(("created", .string(v))) }
        if let v = m.classNames { members.append(("class_names", .array(v.map { .string($0) }))) }
        if let v = m.dataset { members.append(("dataset", .string(v))) }
        if let v = m.loss { members.append(("loss", .string(v))) }
        if let v = m.optimizer { members.append(("optimizer", v)) }
        if let v = m.history { members.append(("history", v.json)) }
        if !m.user.isEmpty { members.append(("user", .object(m.user.map { ($0.key, .string($0.value)) }))) }
        let known = Set(members.map(\.key) + ["user"])
        members += m.extra.filter { !known.contains($0.key) }
        return .object(members)
    }

    /// Reads the parsed header object of the file at `path`.
    static func decode(_ root: JSON, path: String) throws(ModelFileError)
        -> (architecture: ModelArchitecture, architectureJSON: JSON, tensors: [NNMTensorEntry], optimizer: NNMOptimizerEntry?, metadata: ModelMetadata)
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
            guard let dtype = StorageDType(rawValue: dtypeName) else {
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
        let optimizer = try root["optimizer"].flatMap { $0.isNull ? nil : $0 }.map { (o) throws(ModelFileError) in
            try decodeOptimizer(o, path: path)
        }
        let metadata = try decodeMetadata(root["metadata"] ?? .object([]), path: path)
        return (architecture, archJSON, tensors, optimizer, metadata)
    }

    /// Reads a header `optimizer` object; `path` names the file in errors.
    public static func decodeOptimizer(_ o: JSON, path: String) throws(ModelFileError) -> NNMOptimizerEntry {
        func invalid(_ reason: String) -> ModelFileError { .invalidOptimizerState(path: path, reason: reason) }
        guard let name = o["name"]?.stringValue, let kind = OptimizerConfig.Kind(rawValue: name) else {
            throw invalid("unknown optimizer \(o["name"]?.serialized() ?? "(none)"); expected one of \(OptimizerConfig.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var c = OptimizerConfig(kind)
        func number(_ key: String, _ current: Double) throws(ModelFileError) -> Double {
            guard let v = o[key] else { return current }
            guard let d = v.doubleValue else { throw invalid("'\(key)' should be a number, found \(v.kindName)") }
            return d
        }
        c.learningRate = try number("learning_rate", c.learningRate)
        c.momentum = try number("momentum", c.momentum)
        c.beta1 = try number("beta_1", c.beta1)
        c.beta2 = try number("beta_2", c.beta2)
        c.epsilon = try number("epsilon", c.epsilon)
        c.rho = try number("rho", c.rho)
        c.initialAccumulatorValue = try number("initial_accumulator_value", c.initialAccumulatorValue)
        c.nesterov = o["nesterov"]?.boolValue ?? false
        do { try c.validate() } catch { throw invalid(error.description) }
        guard let iterations = o["iterations"]?.intValue, iterations >= 0 else { throw invalid("missing a non-negative 'iterations'") }
        guard let slots = o["slots"]?.arrayValue?.compactMap(\.stringValue), slots == c.slotNames else {
            throw invalid("'slots' should be \(c.slotNames) for \(kind.rawValue)")
        }
        return NNMOptimizerEntry(config: c, iterations: iterations, slotNames: slots)
    }

    /// Reads a header `metadata` object; `path` names the file in errors.
    public static func decodeMetadata(_ m: JSON, path: String) throws(ModelFileError) -> ModelMetadata {
        func invalid(_ reason: String) -> ModelFileError { .invalidHeader(path: path, reason: "metadata: " + reason) }
        guard let members = m.objectValue else { throw invalid("expected an object, found \(m.kindName)") }
        var meta = ModelMetadata()
        func string(_ key: String) throws(ModelFileError) -> String? {
            guard let v = m[key], !v.isNull else { return nil }
            guard let s = v.stringValue else { throw invalid("'\(key)' should be a string, found \(v.kindName)") }
            return s
        }
        meta.producer = try string("producer")
        meta.createdAt = try string("created")
        meta.dataset = try string("dataset")
        meta.loss = try string("loss")
        if let names = m["class_names"], !names.isNull {
            guard let list = names.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
                throw invalid("'class_names' should be an array of strings")
            }
            meta.classNames = list.compactMap(\.stringValue)
        }
        if let o = m["optimizer"], !o.isNull { meta.optimizer = o }
        if let h = m["history"], !h.isNull {
            do { meta.history = try History(json: h) } catch { throw invalid("history: \(error)") }
        }
        if let u = m["user"], !u.isNull {
            guard let entries = u.objectValue else { throw invalid("'user' should be an object of strings") }
            for (k, v) in entries {
                guard let s = v.stringValue else { throw invalid("user entry '\(k)' should be a string, found \(v.kindName)") }
                meta.user.append((k, s))
            }
        }
        let known: Set<String> = ["producer", "created", "dataset", "loss", "class_names", "optimizer", "history", "user"]
        meta.extra = members.filter { !known.contains($0.key) }
        return meta
    }
}
