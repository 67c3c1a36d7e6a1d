@_spi(Testing) import NNSystem
@_spi(Testing) import NNData
@_spi(Testing) import NNCore
import Foundation
import NNTestSupport
import NNModel
import NNHDF5
import Testing

/// Files of the repository's `Fixtures/` folder, found from this source file's path.
enum Fixture {
    static func path(_ relative: String) -> String { Repository.fixture(relative) }

    static func bytes(_ relative: String) throws -> [UInt8] { try Repository.fixtureBytes(relative) }

    /// The regular files of a `Fixtures/` folder (none when it does not exist), sorted.
    static func files(in folder: String) -> [String] { Repository.fixtureFiles(in: folder) }
}

/// The typed errors nnmodel promises for bad input; anything else thrown by a reader is a bug.
func isTypedError(_ error: any Error) -> Bool {
    switch error {
    case is ModelFileError, is KerasImportError, is ONNXError, is SafetensorsError, is HDF5Error, is DataError, is FileError, is ModelConfigError,
         is TrainingError, is JSONParseError:
        return true
    default:
        return false
    }
}

/// The largest input and activation (in elements) the usability check predicts with.
let maximumPredictElements = 1 << 16

/// Checks that an accepted model is usable: its architecture validates, its weights match the
/// specs, and (when small enough) it predicts the right shape on two samples without trapping.
func checkUsable(_ model: Sequential) throws {
    let shapes = try model.architecture.validated()
    let specs = try model.architecture.weightSpecs()
    guard specs.count == model.weights.count, zip(specs, model.weights).allSatisfy({ $0.shape == $1.shape }) else {
        throw ReliabilityFailure("accepted model's weights do not match its architecture")
    }
    guard let perSample = Tensor.checkedCount(of: model.architecture.inputShape), perSample <= maximumPredictElements,
          shapes.allSatisfy({ (Tensor.checkedCount(of: $0) ?? .max) <= maximumPredictElements }) else { return }
    let values = (0..<(2 * perSample)).map { Float($0 % 5) * 0.5 - 1 }
    let output = try model.predict(Tensor(shape: [2] + model.architecture.inputShape, values: values), batchSize: 2, threads: 1)
    guard output.shape == [2] + model.architecture.outputShape else {
        throw ReliabilityFailure("predict returned shape \(output.shape)")
    }
}

/// A broken promise found by a test (not one of nnmodel's typed errors, so it is reported).
struct ReliabilityFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What happened to one input.
enum Outcome: Equatable {
    case accepted
    case refused
}

/// One reader as the matrix and the regression tests drive it: bytes in, a validated and usable
/// value or a typed error out.
struct Reader: Sendable {
    var name: String
    var read: @Sendable ([UInt8]) throws -> Void

    /// Runs the reader on `bytes`, recording an issue for an untyped error or an input that takes
    /// longer than `slow` (a hang would stop the test run; a crash stops the process).
    @discardableResult
    func check(_ bytes: [UInt8], _ label: @autoclosure () -> String, slow: Duration = .seconds(5)) -> Outcome {
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            if elapsed > slow { Issue.record("\(name) \(label()): took \(elapsed)") }
        }
        do {
            try read(bytes)
            return .accepted
        } catch {
            if !isTypedError(error) { Issue.record("\(name) \(label()): untyped error \(type(of: error)): \(error)") }
            return .refused
        }
    }
}

/// The small architecture of `Fixtures/keras/tiny_k3.*` (6 → Dense 8 relu → Dense 3 softmax).
let tinyArchitecture = ModelArchitecture(inputShape: [6], layers: [
    Layer(name: "hidden", kind: .dense(Dense(units: 8, activation: .relu))),
    Layer(name: "head", kind: .dense(Dense(units: 3, activation: .softmax))),
])

/// The architecture of `Fixtures/keras/fmnist8_*`.
let fmnist8Architecture = ModelArchitecture.multilayerPerceptron(
    inputShape: [28, 28], hidden: [8], activation: .relu, outputs: 10, outputActivation: .softmax)

enum Readers {
    /// A `.nnm` file: open, checksums, weights against the architecture, predict.
    static let nnm = Reader(name: "nnm") { bytes in
        let file = try NNMFile(contents: bytes, path: "matrix.nnm")
        try checkUsable(try file.model(verify: true))
    }

    /// A `.nnm` file whose header CRC-32 is recomputed first, so damage reaches the JSON and placement checks.
    static let nnmFixedCRC = Reader(name: "nnm (header CRC fixed)") { bytes in
        try nnm.read(fixingNNMHeaderChecksum(bytes))
    }

    /// A Keras HDF5 or `.keras` file read with its own config.
    static let keras = Reader(name: "keras") { bytes in
        try checkUsable(try KerasReader.read(contents: bytes, path: "matrix.keras-file").model)
    }

    /// A `.keras` weights store, zipped with the given `metadata.json` and `config.json` (stored,
    /// correct CRC-32s) and read as an archive.
    static func kerasStore(metadata: [UInt8], config: [UInt8]) -> Reader {
        Reader(name: "keras store (zipped with correct CRCs)") { bytes in
            let zip = ZipBuilder(members: [ZipBuilder.Member(name: "metadata.json", data: metadata),
                                           ZipBuilder.Member(name: "config.json", data: config),
                                           ZipBuilder.Member(name: "model.weights.h5", data: bytes)])
            try checkUsable(try KerasReader.read(contents: zip.bytes(), path: "matrix.keras").model)
        }
    }

    /// An ONNX file: the chain, the nnmodel metadata of its own files, then predict.
    static let onnx = Reader(name: "onnx") { bytes in
        try checkUsable(try ONNXCodec().read(contents: bytes, name: "matrix.onnx", options: ReadOptions()).model)
    }

    /// A safetensors file: nnmodel's own (architecture in its metadata), then read into the tiny architecture.
    static let safetensors = Reader(name: "safetensors") { bytes in
        try checkUsable(try SafetensorsCodec().read(contents: bytes, name: "matrix.safetensors", options: ReadOptions()).model)
    }

    /// A safetensors file read into the tiny architecture (weights only, naming detected).
    static let safetensorsGiven = Reader(name: "safetensors (architecture given)") { bytes in
        try checkUsable(try SafetensorsCodec().read(contents: bytes, name: "matrix.safetensors", options: ReadOptions(architecture: tinyArchitecture)).model)
    }

    /// A Keras file read with the given architecture (weights-only layouts need one).
    static func keras(architecture: ModelArchitecture) -> Reader {
        Reader(name: "keras (architecture given)") { bytes in
            let model = try KerasReader.read(contents: bytes, path: "matrix.weights.h5", architecture: architecture).model
            guard model.architecture == architecture else { throw ReliabilityFailure("the given architecture was not used") }
            try checkUsable(model)
        }
    }

    /// An IDX file, gzip or raw, as `IDXFile` reads it.
    static let idx = Reader(name: "idx") { bytes in
        let data = Gzip.isGzip(bytes) ? try Gzip.decompress(bytes, path: "matrix.idx.gz") : bytes
        let file = try IDXFile(contents: data, path: "matrix.idx")
        guard Tensor.checkedCount(of: file.dimensions) == file.bytes.count else {
            throw ReliabilityFailure("IDX dimensions \(file.dimensions) for \(file.bytes.count) bytes")
        }
    }

    /// IDX images paired with fixed labels (or fixed images with labels, `imagesFixed`).
    static func idxDataset(other: [UInt8], otherIsImages: Bool) -> Reader {
        Reader(name: otherIsImages ? "idx labels" : "idx images") { bytes in
            func parse(_ b: [UInt8], _ name: String) throws -> IDXFile {
                try IDXFile(contents: Gzip.isGzip(b) ? try Gzip.decompress(b, path: name) : b, path: name)
            }
            let images = try parse(otherIsImages ? other : bytes, "images")
            let labels = try parse(otherIsImages ? bytes : other, "labels")
            let dataset = try IDXDataset.load(images: images, labels: labels, imagesPath: "images", labelsPath: "labels",
                                              classNames: ["a", "b", "c"], name: "matrix")
            try checkDataset(dataset)
        }
    }

    /// A CSV file (gzip or raw), with three class names.
    static let csv = Reader(name: "csv") { bytes in
        let data = Gzip.isGzip(bytes) ? try Gzip.decompress(bytes, path: "matrix.csv.gz") : bytes
        try checkDataset(try CSVDataset.load(contents: data, path: "matrix.csv", classNames: ["a", "b", "c"]))
    }

    /// A NumPy `.npy` file.
    static let npy = Reader(name: "npy") { bytes in
        let array = try NPYArray(contents: bytes, path: "matrix.npy")
        guard Tensor.checkedCount(of: array.shape) == array.count, array.floats.count == array.count else {
            throw ReliabilityFailure("NPY shape \(array.shape) for \(array.count) values")
        }
    }

    /// A Keras model config; a small accepted architecture is instantiated and must predict.
    static let config = Reader(name: "config") { bytes in
        let architecture = try KerasConfig.architecture(fromJSON: bytes)
        let parameters = try architecture.weightSpecs().reduce(0) { $0 + (Tensor.checkedCount(of: $1.shape) ?? .max / 2) }
        guard parameters <= maximumPredictElements else { return }
        try checkUsable(try Sequential(architecture, seed: 3))
    }

    /// Every reader of a fuzz target's inputs, as the regression tests feed them.
    static func forTarget(_ target: String) -> [Reader] {
        switch target {
        case "nnm": return [nnm, nnmFixedCRC]
        case "json": return [config]
        case "idx": return [idx]
        case "csv": return [csv]
        case "npy": return [npy]
        case "h5", "keras": return [keras, keras(architecture: tinyArchitecture), keras(architecture: fmnist8Architecture)]
        default: return []
        }
    }
}

/// Checks an accepted dataset: samples and labels agree and a batch can be gathered.
func checkDataset(_ dataset: Dataset) throws {
    guard dataset.count > 0 else { throw ReliabilityFailure("accepted dataset is empty") }
    if case let .classes(labels)? = dataset.labels, labels.count != dataset.count {
        throw ReliabilityFailure("\(labels.count) labels for \(dataset.count) samples")
    }
    let n = min(dataset.count, 3)
    guard dataset.sampleSize <= maximumPredictElements else { return }
    var out = [Float](repeating: 0, count: n * dataset.sampleSize)
    let indices = Array(0..<n)
    indices.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { dataset.gather(i, into: $0.baseAddress!) } }
}

/// A copy of a `.nnm` image with its header CRC-32 recomputed (unchanged when the length does not fit).
func fixingNNMHeaderChecksum(_ data: [UInt8]) -> [UInt8] {
    guard data.count >= 24 else { return data }
    var length = 0
    for i in 0..<8 { length |= Int(data[16 + i]) << (8 * i) }
    guard length >= 0, length <= data.count - 24 else { return data }
    let crc = CRC32.checksum(Array(data[24..<24 + length]))
    var out = data
    for i in 0..<4 { out[12 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
    return out
}
