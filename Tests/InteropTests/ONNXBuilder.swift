import Foundation

/// Protocol buffer bytes for hand-made ONNX files, written independently of nnmodel's own writer
/// so the tests can build graphs no exporter would (and check the reader against a second encoder).
struct PB {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    mutating func key(_ field: Int, _ wire: Int) { varint(UInt64(field << 3 | wire)) }
    mutating func int(_ field: Int, _ value: Int64) { key(field, 0); varint(UInt64(bitPattern: value)) }
    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }
    mutating func data(_ field: Int, _ value: [UInt8]) { key(field, 2); varint(UInt64(value.count)); bytes += value }
    mutating func string(_ field: Int, _ value: String) { data(field, Array(value.utf8)) }
    mutating func message(_ field: Int, _ body: (inout PB) -> Void) {
        var m = PB()
        body(&m)
        data(field, m.bytes)
    }
}

/// A small ONNX model: nodes, float initializers, one input and one output.
struct ONNXBuilder {
    struct Node {
        var op: String
        var inputs: [String]
        var outputs: [String]
        var name: String = ""
        var attributes: [(inout PB) -> Void] = []
    }

    var irVersion: Int64 = 8
    var opset: Int64 = 17
    var producer = "hand"
    var nodes: [Node] = []
    var initializers: [(name: String, dims: [Int], values: [Float])] = []
    var input = ("x", [Int?]([nil, 4]))
    var output = ("y", [Int?]([nil, 3]))
    var metadata: [(String, String)] = []
    /// Raw bytes appended to the graph message (extra fields).
    var graphExtra: [UInt8] = []
    /// Raw bytes appended to the model message.
    var modelExtra: [UInt8] = []

    static func floatAttribute(_ name: String, _ value: Float) -> (inout PB) -> Void {
        { a in a.string(1, name); a.float(2, value); a.int(20, 1) }
    }
    static func intAttribute(_ name: String, _ value: Int64) -> (inout PB) -> Void {
        { a in a.string(1, name); a.int(3, value); a.int(20, 2) }
    }

    static func tensor(_ m: inout PB, name: String, dims: [Int], values: [Float]) {
        for d in dims { m.int(1, Int64(d)) }
        m.int(2, 1)
        m.string(8, name)
        var raw: [UInt8] = []
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw += $0 } }
        m.data(9, raw)
    }

    static func valueInfo(_ v: inout PB, _ name: String, _ dims: [Int?]) {
        v.string(1, name)
        v.message(2) { t in
            t.message(1) { tt in
                tt.int(1, 1)
                tt.message(2) { s in
                    for d in dims { s.message(1) { dim in if let d { dim.int(1, Int64(d)) } else { dim.string(2, "N") } } }
                }
            }
        }
    }

    var bytes: [UInt8] {
        var m = PB()
        m.int(1, irVersion)
        m.string(2, producer)
        m.message(7) { g in
            for n in nodes {
                g.message(1) { nm in
                    for i in n.inputs { nm.string(1, i) }
                    for o in n.outputs { nm.string(2, o) }
                    nm.string(3, n.name.isEmpty ? n.op + "_" + (n.outputs.first ?? "") : n.name)
                    nm.string(4, n.op)
                    for a in n.attributes { nm.message(5, a) }
                }
            }
            g.string(2, "hand_graph")
            for t in initializers { g.message(5) { Self.tensor(&$0, name: t.name, dims: t.dims, values: t.values) } }
            g.message(11) { Self.valueInfo(&$0, input.0, input.1) }
            g.message(12) { Self.valueInfo(&$0, output.0, output.1) }
            g.bytes += graphExtra
        }
        m.message(8) { o in o.string(1, ""); o.int(2, opset) }
        for (k, v) in metadata { m.message(14) { e in e.string(1, k); e.string(2, v) } }
        m.bytes += modelExtra
        return m.bytes
    }

    /// x [N, 4] → Gemm(W [4, 3], b) → Relu → y.
    static var mlp: ONNXBuilder {
        var b = ONNXBuilder()
        b.initializers = [("W", [4, 3], (0..<12).map { Float($0) / 10 - 0.5 }), ("b", [3], [0.1, -0.2, 0.3])]
        b.nodes = [Node(op: "Gemm", inputs: ["x", "W", "b"], outputs: ["h"]), Node(op: "Relu", inputs: ["h"], outputs: ["y"])]
        return b
    }
}
