@_spi(Testing) import NNSystem
import NNModel

/// Helpers shared by the harnesses. A harness traps (via `fuzzFailure`) only on a real
/// defect: an error of an untyped kind, or a broken invariant of a value that was accepted.
public enum FuzzSupport {
    /// The largest per-sample input, and total activation size, a harness predicts with:
    /// bigger models are valid but too slow and large to run on every input.
    public static let maximumPredictElements = 1 << 12

    /// Runs `model` on two small deterministic samples, if its size allows, and checks the output shape.
    public static func tinyPredict(_ model: Sequential) {
        let architecture = model.architecture
        guard let shapes = try? architecture.validated() else {
            fuzzFailure("an accepted model has an architecture that does not validate")
        }
        guard let perSample = Tensor.checkedCount(of: architecture.inputShape), perSample <= maximumPredictElements else { return }
        for shape in shapes {
            guard let n = Tensor.checkedCount(of: shape), n <= maximumPredictElements else { return }
        }
        var values = [Float](repeating: 0, count: 2 * perSample)
        for i in values.indices { values[i] = Float(i % 7) * 0.25 - 0.5 }
        let input = Tensor(shape: [2] + architecture.inputShape, values: values)
        do {
            let output = try model.predict(input, batchSize: 2, threads: 1)
            guard output.shape == [2] + architecture.outputShape else {
                fuzzFailure("predict returned shape \(output.shape), expected \([2] + architecture.outputShape)")
            }
        } catch {
            fuzzFailure("predict on a loaded model threw \(error)")
        }
    }

    /// Whether `error` is one of the typed errors nnmodel promises for bad input.
    public static func isTyped(_ error: any Error) -> Bool {
        error is any NNError
    }

    /// Traps unless `error` is typed.
    public static func expectTyped(_ error: any Error, _ context: String) {
        if !isTyped(error) { fuzzFailure("\(context): untyped error \(type(of: error)): \(error)") }
    }

    /// Reports a defect and aborts, so libFuzzer records the input.
    public static func fuzzFailure(_ message: String) -> Never {
        fatalError("fuzz invariant broken: \(message)")
    }

    /// A copy of a `.nnm` image whose header CRC-32 is recomputed, so mutations of the header
    /// reach the JSON and placement checks; nil when the preamble's length does not fit.
    public static func fixingNNMHeaderChecksum(_ data: [UInt8]) -> [UInt8]? {
        guard data.count >= 24 else { return nil }
        var length = 0
        for i in 0..<8 { length |= Int(data[16 + i]) << (8 * i) }
        guard length >= 0, length <= data.count - 24 else { return nil }
        let crc = CRC32.checksum(Array(data[24..<24 + length]))
        var out = data
        for i in 0..<4 { out[12 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        return out == data ? nil : out
    }
}

extension FuzzSupport {
    /// A stored (uncompressed) zip archive of `members`, the way a `.keras` file holds them.
    public static func storedZip(_ members: [(name: String, data: [UInt8])]) -> [UInt8] {
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        var out: [UInt8] = [], central: [UInt8] = []
        for (name, data) in members {
            let offset = out.count, crc = Int(CRC32.checksum(data)), n = Array(name.utf8)
            let common = le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21) + le32(crc) + le32(data.count) + le32(data.count)
                + le16(n.count) + le16(0)
            out += [0x50, 0x4B, 0x03, 0x04] + common + n + data
            central += [0x50, 0x4B, 0x01, 0x02] + le16(20) + common + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + n
        }
        let centralOffset = out.count
        out += central + [0x50, 0x4B, 0x05, 0x06] + le16(0) + le16(0) + le16(members.count) + le16(members.count)
            + le32(central.count) + le32(centralOffset) + le16(0)
        return out
    }
}

extension FuzzSupport {
    /// The architectures of the Keras fixtures the HDF5 and `.keras` corpora are seeded from.
    public static let tinyArchitecture = ModelArchitecture(inputShape: [6], layers: [
        Layer(name: "hidden", kind: .dense(Dense(units: 8, activation: .relu))),
        Layer(name: "head", kind: .dense(Dense(units: 3, activation: .softmax))),
    ])
    /// See ``tinyArchitecture``.
    public static let fmnist8Architecture = ModelArchitecture.multilayerPerceptron(
        inputShape: [28, 28], hidden: [8], activation: .relu, outputs: 10, outputActivation: .softmax)

    /// Reads `bytes` as the Keras file `path` (with `architecture`, when given, instead of the
    /// file's) and predicts with the model it gives; errors are expected, broken invariants trap.
    public static func readKeras(_ bytes: [UInt8], path: String, architecture: ModelArchitecture?) {
        do {
            let model = try ModelFile.open(contents: bytes, name: path, architecture: architecture).model
            if let architecture, model.architecture != architecture {
                fuzzFailure("the given architecture was not used")
            }
            tinyPredict(model)
        } catch {
            expectTyped(error, "reading \(path)")
        }
    }
}
