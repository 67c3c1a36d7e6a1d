/// The protocol buffers wire format, as much of it as ONNX files need: a writer that appends
/// fields, and a reader that walks the fields of one message with every length and count checked
/// against the bytes (never trusting a declared size).

/// Appends protocol buffer fields to a byte array.
///
/// Large byte strings (a weight's raw data) can be left out and written later, a piece at a
/// time: ``deferredData(_:length:id:)`` records where one goes and how long it is, so the lengths
/// of the messages around it are exact while the message holds none of its bytes.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []
    /// The byte strings left out: where each goes in ``bytes``, its length and the caller's id for it.
    private(set) var deferred: [(position: Int, length: Int, id: Int)] = []
    /// The bytes left out in all.
    private(set) var deferredLength = 0

    /// The message's length once the byte strings left out are written.
    var count: Int { bytes.count + deferredLength }

    /// Appends a base-128 varint.
    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func tag(_ field: Int, _ wireType: Int) { varint(UInt64(field << 3 | wireType)) }

    /// A varint field (int32, int64, enum, bool).
    mutating func int(_ field: Int, _ value: Int64) {
        tag(field, 0)
        varint(UInt64(bitPattern: value))
    }

    /// A 32-bit float field.
    mutating func float(_ field: Int, _ value: Float) {
        tag(field, 5)
        let bits = value.bitPattern
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(i)))) }
    }

    /// A length-delimited field of raw bytes.
    mutating func data(_ field: Int, _ value: some Collection<UInt8>) {
        tag(field, 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A length-delimited field of `length` bytes that are written later (see ``write(_:deferred:)``).
    mutating func deferredData(_ field: Int, length: Int, id: Int) {
        tag(field, 2)
        varint(UInt64(length))
        deferred.append((bytes.count, length, id))
        deferredLength += length
    }

    /// A string field (UTF-8).
    mutating func string(_ field: Int, _ value: String) { data(field, Array(value.utf8)) }

    /// An embedded message field, written by `body`.
    mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        var nested = ProtobufWriter()
        body(&nested)
        tag(field, 2)
        varint(UInt64(nested.count))
        for d in nested.deferred { deferred.append((bytes.count + d.position, d.length, d.id)) }
        deferredLength += nested.deferredLength
        bytes.append(contentsOf: nested.bytes)
    }

    /// A packed repeated varint field.
    mutating func packedInts(_ field: Int, _ values: [Int64]) {
        var nested = ProtobufWriter()
        for v in values { nested.varint(UInt64(bitPattern: v)) }
        data(field, nested.bytes)
    }

    /// Hands the message to `output` in order: its own bytes, and in the place of each byte string
    /// left out a call of `deferred(id)`, which must write exactly its recorded length.
    func write(_ output: (UnsafeRawBufferPointer) throws -> Void, deferred write: (Int) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { all in
            var start = 0
            for d in deferred {
                if d.position > start { try output(UnsafeRawBufferPointer(rebasing: all[start..<d.position])) }
                try write(d.id)
                start = d.position
            }
            if all.count > start { try output(UnsafeRawBufferPointer(rebasing: all[start...])) }
        }
    }
}

/// One field of a message as read: its number and value.
struct ProtobufField {
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        /// The field's bytes, as a range of the buffer being read.
        case bytes(Range<Int>)
    }

    var number: Int
    var value: Value
}

/// Reads the fields of the message held in `range` of `bytes`, one at a time (nothing is
/// collected, so a message of many tiny fields costs no memory); errors name `path`.
struct ProtobufReader {
    let bytes: [UInt8]
    let range: Range<Int>
    let path: String

    /// A reader of the message in `range`, a part of the same bytes.
    func nested(_ range: Range<Int>) -> ProtobufReader { ProtobufReader(bytes: bytes, range: range, path: path) }

    private func invalid(_ reason: String, _ offset: Int) -> ONNXError {
        .invalidModel(path: path, reason: "\(reason) at byte \(offset)")
    }

    /// Calls `body` with every field in order. Refuses truncated fields, lengths past the
    /// message, varints over 10 bytes, the deprecated group wire types and field number 0.
    func forEachField(_ body: (ProtobufField) throws(ONNXError) -> Void) throws(ONNXError) {
        var at = range.lowerBound
        while at < range.upperBound {
            let start = at
            let key = try varint(&at)
            let number = Int(truncatingIfNeeded: key >> 3), wireType = Int(key & 7)
            guard number > 0, key >> 3 <= 0x1FFF_FFFF else { throw invalid("invalid field number", start) }
            switch wireType {
            case 0: try body(ProtobufField(number: number, value: .varint(try varint(&at))))
            case 1:
                guard range.upperBound - at >= 8 else { throw invalid("truncated 64-bit field", at) }
                var v: UInt64 = 0
                for i in (0..<8).reversed() { v = v << 8 | UInt64(bytes[at + i]) }
                at += 8
                try body(ProtobufField(number: number, value: .fixed64(v)))
            case 2:
                let length = try varint(&at)
                guard length <= UInt64(range.upperBound - at) else {
                    throw invalid("a field of \(length) bytes runs past the end of its message", at)
                }
                let field = at..<at + Int(length)
                at += Int(length)
                try body(ProtobufField(number: number, value: .bytes(field)))
            case 5:
                guard range.upperBound - at >= 4 else { throw invalid("truncated 32-bit field", at) }
                var v: UInt32 = 0
                for i in (0..<4).reversed() { v = v << 8 | UInt32(bytes[at + i]) }
                at += 4
                try body(ProtobufField(number: number, value: .fixed32(v)))
            default:
                throw invalid("unsupported wire type \(wireType)", start)
            }
        }
    }

    /// A varint at `at`, advancing past it.
    func varint(_ at: inout Int) throws(ONNXError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard at < range.upperBound else { throw invalid("truncated varint", at) }
            let byte = bytes[at]
            at += 1
            guard shift < 64 else { throw invalid("varint longer than 10 bytes", at) }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// Calls `body` with each varint packed in `range` (a packed repeated integer field).
    func forEachPackedVarint(_ range: Range<Int>, _ body: (UInt64) throws(ONNXError) -> Void) throws(ONNXError) {
        let packed = nested(range)
        var at = range.lowerBound
        while at < range.upperBound { try body(try packed.varint(&at)) }
    }

    /// The bytes of `range` as UTF-8 text (invalid sequences replaced).
    func string(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
}
