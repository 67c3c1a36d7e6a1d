import NNSchema

/// The parts of an ONNX `ModelProto` nnmodel reads, decoded from protocol buffer bytes with every
/// count and size checked against its limit (see Spec/LIMITS.md).
struct ONNXModel {
    /// One tensor: name, element type, dimensions, and its elements' bytes (little-endian, as
    /// `raw_data` stores them).
    struct TensorValue {
        var name: String
        var dataType: Int
        var dims: [Int]
        var raw: [UInt8]
    }

    struct Attribute {
        var name: String
        var float: Float?
        var int: Int64?
        var ints: [Int64] = []
        var floats: [Float] = []
        var string: String?
        var tensor: TensorValue?
        /// Whether the attribute holds a graph (a subgraph: never supported).
        var hasGraph = false
    }

    struct Node {
        var name: String
        var opType: String
        var domain: String
        var inputs: [String]
        var outputs: [String]
        var attributes: [Attribute]

        func attribute(_ name: String) -> Attribute? { attributes.first { $0.name == name } }
    }

    struct ValueInfo {
        var name: String
        var elementType: Int?
        /// Dimensions; `nil` for a symbolic (named or unknown) dimension.
        var dims: [Int?]?
    }

    var irVersion: Int64 = 0
    var opsets: [(domain: String, version: Int64)] = []
    var producerName = ""
    var producerVersion = ""
    var graphName = ""
    var nodes: [Node] = []
    var initializers: [String: TensorValue] = [:]
    /// The initializers' names in the file's order.
    var initializerNames: [String] = []
    var inputs: [ValueInfo] = []
    var outputs: [ValueInfo] = []
    var metadata: [(key: String, value: String)] = []

    // MARK: Limits

    static let maximumNodes = 100_000
    static let maximumInitializers = 1 << 16
    static let maximumAttributes = 256
    static let maximumRank = 8
    static let maximumInputsPerNode = 64
    static let maximumMetadataEntries = 4096
    static let maximumOpsets = 256
    /// The most elements a tensor may keep in typed fields (`float_data`, `int64_data`, ...) rather
    /// than `raw_data`: varints decode to up to eight times their size.
    static let maximumTypedElements = 1 << 24
    /// The largest nnmodel architecture or metadata JSON read from `metadata_props`.
    static let maximumMetadataValue = 16 << 20
    static let maximumAttributeValues = 1 << 16

    // MARK: Element types (TensorProto.DataType)

    static let float = 1, int32 = 6, int64 = 7, bool = 9, float16 = 10, double = 11, bfloat16 = 16

    /// Decodes `bytes`; `path` names the file in errors.
    init(bytes: [UInt8], path: String) throws(ONNXError) {
        let reader = ProtobufReader(bytes: bytes, range: 0..<bytes.count, path: path)
        var model = ONNXModel()
        var sawGraph = false
        var metadataKeys: Set<String> = []
        try reader.forEachField { field throws(ONNXError) in
            switch (field.number, field.value) {
            case (1, .varint(let v)): model.irVersion = Int64(bitPattern: v)
            case (2, .bytes(let r)): model.producerName = reader.string(r)
            case (3, .bytes(let r)): model.producerVersion = reader.string(r)
            case (7, .bytes(let r)):
                guard !sawGraph else { throw .invalidModel(path: path, reason: "two graphs") }
                sawGraph = true
                try model.readGraph(reader.nested(r))
            case (8, .bytes(let r)):
                guard model.opsets.count < Self.maximumOpsets else {
                    throw .tooLarge(path: path, what: "operator set imports", count: model.opsets.count + 1, limit: Self.maximumOpsets)
                }
                var domain = "", version: Int64 = 0
                try reader.nested(r).forEachField { f throws(ONNXError) in
                    if f.number == 1, case let .bytes(s) = f.value { domain = reader.string(s) }
                    if f.number == 2, case let .varint(v) = f.value { version = Int64(bitPattern: v) }
                }
                model.opsets.append((domain, version))
            case (14, .bytes(let r)):
                guard model.metadata.count < Self.maximumMetadataEntries else {
                    throw .tooLarge(path: path, what: "metadata entries", count: model.metadata.count + 1, limit: Self.maximumMetadataEntries)
                }
                var key = "", value = ""
                try reader.nested(r).forEachField { f throws(ONNXError) in
                    if f.number == 1, case let .bytes(s) = f.value { key = reader.string(s) }
                    if f.number == 2, case let .bytes(s) = f.value { value = reader.string(s) }
                }
                guard metadataKeys.insert(key).inserted else {
                    throw .invalidModel(path: path, reason: "metadata key '\(key)' appears twice")
                }
                model.metadata.append((key, value))
            default:
                break  // fields nnmodel does not use (doc strings, functions, training info) are skipped
            }
        }
        guard sawGraph else { throw .invalidModel(path: path, reason: "no graph") }
        guard model.irVersion >= 3 else { throw .invalidModel(path: path, reason: "IR version \(model.irVersion); expected 3 or later") }
        guard model.opsetVersion >= 1 else { throw .invalidModel(path: path, reason: "no operator set import for the ONNX domain") }
        self = model
    }

    private init() {}

    /// The version of the default (`ai.onnx`) operator set the model imports; 0 when it imports none.
    var opsetVersion: Int64 { opsets.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version ?? 0 }

    /// The value of the metadata entry `key`.
    func metadataValue(_ key: String) -> String? { metadata.first { $0.key == key }?.value }

    private mutating func readGraph(_ reader: ProtobufReader) throws(ONNXError) {
        let path = reader.path
        var inputsAndOutputs = 0
        try reader.forEachField { field throws(ONNXError) in
            guard case let .bytes(r) = field.value else { return }
            switch field.number {
            case 2: graphName = reader.string(r)
            case 1:
                guard nodes.count < Self.maximumNodes else {
                    throw .tooLarge(path: path, what: "nodes", count: nodes.count + 1, limit: Self.maximumNodes)
                }
                nodes.append(try Self.readNode(reader.nested(r)))
            case 5:
                guard initializers.count < Self.maximumInitializers else {
                    throw .tooLarge(path: path, what: "initializers", count: initializers.count + 1, limit: Self.maximumInitializers)
                }
                let tensor = try Self.readTensor(reader.nested(r))
                guard initializers[tensor.name] == nil else {
                    throw .invalidModel(path: path, reason: "initializer '\(tensor.name)' appears twice")
                }
                initializers[tensor.name] = tensor
                initializerNames.append(tensor.name)
            case 15:
                throw .unsupportedTensor(path: path, tensor: "(sparse initializer)", reason: "sparse initializers are not supported")
            case 11, 12:
                inputsAndOutputs += 1
                guard inputsAndOutputs <= Self.maximumInitializers else {
                    throw .tooLarge(path: path, what: "graph inputs and outputs", count: inputsAndOutputs, limit: Self.maximumInitializers)
                }
                let info = try Self.readValueInfo(reader.nested(r))
                if field.number == 11 { inputs.append(info) } else { outputs.append(info) }
            default: break
            }
        }
    }

    private static func readNode(_ reader: ProtobufReader) throws(ONNXError) -> Node {
        let path = reader.path
        var node = Node(name: "", opType: "", domain: "", inputs: [], outputs: [], attributes: [])
        try reader.forEachField { field throws(ONNXError) in
            guard case let .bytes(r) = field.value else { return }
            switch field.number {
            case 1: node.inputs.append(reader.string(r))
            case 2: node.outputs.append(reader.string(r))
            case 3: node.name = reader.string(r)
            case 4: node.opType = reader.string(r)
            case 7: node.domain = reader.string(r)
            case 5:
                guard node.attributes.count < maximumAttributes else {
                    throw .tooLarge(path: path, what: "attributes of a node", count: node.attributes.count + 1, limit: maximumAttributes)
                }
                node.attributes.append(try readAttribute(reader.nested(r)))
            default: break
            }
            guard node.inputs.count + node.outputs.count <= maximumInputsPerNode else {
                throw .tooLarge(path: path, what: "inputs and outputs of a node", count: node.inputs.count + node.outputs.count,
                                limit: maximumInputsPerNode)
            }
        }
        return node
    }

    private static func readAttribute(_ reader: ProtobufReader) throws(ONNXError) -> Attribute {
        let path = reader.path
        var attribute = Attribute(name: "")
        func checkCount() throws(ONNXError) {
            guard attribute.ints.count + attribute.floats.count <= maximumAttributeValues else {
                throw .tooLarge(path: path, what: "values in attribute '\(attribute.name)'", count: attribute.ints.count + attribute.floats.count,
                                limit: maximumAttributeValues)
            }
        }
        try reader.forEachField { field throws(ONNXError) in
            switch (field.number, field.value) {
            case (1, .bytes(let r)): attribute.name = reader.string(r)
            case (2, .fixed32(let bits)): attribute.float = Float(bitPattern: bits)
            case (3, .varint(let v)): attribute.int = Int64(bitPattern: v)
            case (4, .bytes(let r)): attribute.string = reader.string(r)
            case (5, .bytes(let r)): attribute.tensor = try readTensor(reader.nested(r))
            case (6, .bytes), (11, .bytes): attribute.hasGraph = true
            case (7, .fixed32(let bits)):
                attribute.floats.append(Float(bitPattern: bits))
                try checkCount()
            case (7, .bytes(let r)):
                guard r.count % 4 == 0 else { throw .invalidModel(path: path, reason: "packed floats of \(r.count) bytes in attribute '\(attribute.name)'") }
                guard r.count / 4 + attribute.floats.count <= maximumAttributeValues else {
                    throw .tooLarge(path: path, what: "values in attribute '\(attribute.name)'", count: r.count / 4, limit: maximumAttributeValues)
                }
                for i in stride(from: r.lowerBound, to: r.upperBound, by: 4) { attribute.floats.append(Float(bitPattern: littleEndian32(reader.bytes, i))) }
            case (8, .varint(let v)):
                attribute.ints.append(Int64(bitPattern: v))
                try checkCount()
            case (8, .bytes(let r)):
                try reader.forEachPackedVarint(r) { v throws(ONNXError) in
                    attribute.ints.append(Int64(bitPattern: v))
                    try checkCount()
                }
            default: break
            }
        }
        return attribute
    }

    private static func readValueInfo(_ reader: ProtobufReader) throws(ONNXError) -> ValueInfo {
        let path = reader.path
        var info = ValueInfo(name: "", elementType: nil, dims: nil)
        try reader.forEachField { field throws(ONNXError) in
            guard case let .bytes(r) = field.value else { return }
            if field.number == 1 { info.name = reader.string(r) }
            guard field.number == 2 else { return }
            // TypeProto → tensor_type (1) → elem_type (1), shape (2) → dim (1) → dim_value (1) | dim_param (2)
            try reader.nested(r).forEachField { t throws(ONNXError) in
                guard t.number == 1, case let .bytes(tr) = t.value else { return }
                try reader.nested(tr).forEachField { f throws(ONNXError) in
                    if f.number == 1, case let .varint(v) = f.value { info.elementType = Int(truncatingIfNeeded: v) }
                    guard f.number == 2, case let .bytes(sr) = f.value else { return }
                    var dims: [Int?] = []
                    try reader.nested(sr).forEachField { d throws(ONNXError) in
                        guard d.number == 1, case let .bytes(dr) = d.value else { return }
                        var value: Int?
                        try reader.nested(dr).forEachField { v throws(ONNXError) in
                            if v.number == 1, case let .varint(n) = v.value, n <= 1 << 40 { value = Int(n) }
                        }
                        dims.append(value)
                        guard dims.count <= maximumRank + 1 else {
                            throw .tooLarge(path: path, what: "dimensions of '\(info.name)'", count: dims.count, limit: maximumRank + 1)
                        }
                    }
                    info.dims = dims
                }
            }
        }
        return info
    }

    static func readTensor(_ reader: ProtobufReader) throws(ONNXError) -> TensorValue {
        let path = reader.path
        let bytes = reader.bytes
        var tensor = TensorValue(name: "", dataType: 0, dims: [], raw: [])
        var rawRange: Range<Int>?
        var external = false
        // Typed fields are counted on the first pass and decoded only once their count matches the dims.
        var typedCount = 0
        func dimension(_ v: UInt64) throws(ONNXError) {
            guard v <= 1 << 40 else { throw .unsupportedTensor(path: path, tensor: tensor.name, reason: "dimension \(v) is too large") }
            guard tensor.dims.count < maximumRank else {
                throw .tooLarge(path: path, what: "dimensions of tensor '\(tensor.name)'", count: tensor.dims.count + 1, limit: maximumRank)
            }
            tensor.dims.append(Int(v))
        }
        func countVarints(_ r: Range<Int>) -> Int { bytes[r].reduce(0) { $0 + ($1 & 0x80 == 0 ? 1 : 0) } }
        try reader.forEachField { field throws(ONNXError) in
            switch (field.number, field.value) {
            case (1, .varint(let v)): try dimension(v)
            case (1, .bytes(let r)): try reader.forEachPackedVarint(r) { v throws(ONNXError) in try dimension(v) }
            case (2, .varint(let v)): tensor.dataType = Int(truncatingIfNeeded: v)
            case (4, .bytes(let r)): typedCount += r.count / 4
            case (4, .fixed32): typedCount += 1
            case (5, .bytes(let r)), (7, .bytes(let r)): typedCount += countVarints(r)
            case (5, .varint), (7, .varint): typedCount += 1
            case (8, .bytes(let r)): tensor.name = reader.string(r)
            case (9, .bytes(let r)): rawRange = r
            case (10, .bytes(let r)): typedCount += r.count / 8
            case (10, .fixed64): typedCount += 1
            case (13, .bytes): external = true
            case (14, .varint(let v)): if v == 1 { external = true }
            default: break
            }
        }
        if external { throw .externalData(path: path, tensor: tensor.name) }
        guard let count = Tensor.checkedCount(of: tensor.dims) else {
            throw .unsupportedTensor(path: path, tensor: tensor.name, reason: "shape \(tensor.dims) overflows")
        }
        guard let size = elementSize(tensor.dataType) else {
            // A type nnmodel never reads as data: kept as raw bytes, refused if used.
            if let rawRange { tensor.raw = Array(bytes[rawRange]) }
            return tensor
        }
        let (expected, overflow) = count.multipliedReportingOverflow(by: size)
        if let rawRange {
            guard !overflow, expected == rawRange.count else {
                throw .unsupportedTensor(path: path, tensor: tensor.name,
                                         reason: "shape \(tensor.dims) needs \(count) elements, the data holds \(rawRange.count) bytes")
            }
            tensor.raw = Array(bytes[rawRange])
            return tensor
        }
        guard count <= maximumTypedElements else {
            throw .tooLarge(path: path, what: "elements in typed fields of tensor '\(tensor.name)' (exporters store large tensors as raw_data)",
                            count: count, limit: maximumTypedElements)
        }
        guard typedCount == count else {
            throw .unsupportedTensor(path: path, tensor: tensor.name, reason: "shape \(tensor.dims) needs \(count) elements, the data holds \(typedCount)")
        }
        // Typed fields (float_data, int32_data, int64_data, double_data) as raw little-endian bytes.
        var raw = [UInt8]()
        raw.reserveCapacity(expected)
        func append(_ v: UInt64, _ width: Int) { for i in 0..<width { raw.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
        try reader.forEachField { field throws(ONNXError) in
            switch (tensor.dataType, field.number, field.value) {
            case (float, 4, .bytes(let r)): raw.append(contentsOf: bytes[r.lowerBound..<r.lowerBound + r.count / 4 * 4])
            case (float, 4, .fixed32(let bits)): append(UInt64(bits), 4)
            case (double, 10, .bytes(let r)): raw.append(contentsOf: bytes[r.lowerBound..<r.lowerBound + r.count / 8 * 8])
            case (double, 10, .fixed64(let bits)): append(bits, 8)
            case (float16, 5, _), (bfloat16, 5, _), (int32, 5, _), (bool, 5, _), (int64, 7, _):
                let width = size
                if case let .varint(v) = field.value { append(v, width) }
                if case let .bytes(r) = field.value { try reader.forEachPackedVarint(r) { append($0, width) } }
            default: break
            }
        }
        guard raw.count == expected else {
            throw .unsupportedTensor(path: path, tensor: tensor.name, reason: "shape \(tensor.dims) needs \(count) elements of type \(tensor.dataType), the data holds another type's")
        }
        tensor.raw = raw
        return tensor
    }

    /// The little-endian 32-bit word at `offset`.
    static func littleEndian32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
    }

    /// Bytes per element of the types nnmodel reads.
    static func elementSize(_ dataType: Int) -> Int? {
        switch dataType {
        case float, int32: return 4
        case int64, double: return 8
        case float16, bfloat16: return 2
        case bool: return 1
        default: return nil
        }
    }

    /// The nnmodel dtype of an ONNX element type, for the floating-point types.
    static func dtype(of dataType: Int) -> DType? {
        switch dataType {
        case float: return .float32
        case float16: return .float16
        case bfloat16: return .bfloat16
        case double: return .float64
        default: return nil
        }
    }

    /// The tensor's elements as Float32 (nil for a type that is not floating point).
    static func floats(_ t: TensorValue) -> [Float]? {
        guard let dtype = dtype(of: t.dataType) else { return nil }
        let count = t.raw.count / dtype.byteSize
        guard count > 0 else { return [] }
        var out = [Float](repeating: 0, count: count)
        t.raw.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { buffer in
                if let base = buffer.baseAddress { dtype.decode(raw, count: count, into: base) }
            }
        }
        return out
    }

    /// The tensor's elements as Booleans (nil for a tensor that is not Boolean).
    static func booleans(_ t: TensorValue) -> [Bool]? {
        t.dataType == bool ? t.raw.map { $0 != 0 } : nil
    }

    /// The tensor's elements as integers (nil for a type that is not an integer).
    static func integers(_ t: TensorValue) -> [Int64]? {
        let size: Int
        switch t.dataType {
        case int64: size = 8
        case int32: size = 4
        default: return nil
        }
        var out: [Int64] = []
        out.reserveCapacity(t.raw.count / size)
        for i in stride(from: 0, to: t.raw.count - size + 1, by: size) {
            var bits: UInt64 = 0
            for b in (0..<size).reversed() { bits = bits << 8 | UInt64(t.raw[i + b]) }
            out.append(size == 8 ? Int64(bitPattern: bits) : Int64(Int32(truncatingIfNeeded: bits)))
        }
        return out
    }
}
