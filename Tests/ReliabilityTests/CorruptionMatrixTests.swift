import Foundation
import NNModel
import NNTestSupport
import Testing

/// Every truncation and thousands of seeded bit flips and byte overwrites of a small file of each
/// format: each must be read into a value that validates (and, for models, predicts) or refused
/// with a typed error — never a crash, trap or hang.
@Suite struct CorruptionMatrixTests {
    /// How many seeded corruptions of each kind every file gets.
    static let bitFlips = 2000
    static let byteOverwrites = 1000
    static let multiByteSmashes = 500

    /// Runs the matrix over `original` for every reader; returns (accepted, refused) counts.
    /// `truncations` lists the prefix lengths tried (every offset unless the caller thins them).
    @discardableResult
    static func run(_ name: String, _ original: [UInt8], readers: [Reader], seed: UInt64,
                    truncations: [Int]? = nil, mutations: Int = 1) -> (accepted: Int, refused: Int) {
        var accepted = 0, refused = 0
        func tally(_ o: Outcome) { if o == .accepted { accepted += 1 } else { refused += 1 } }
        for reader in readers {
            #expect(reader.check(original, "\(name) unmodified") == .accepted, "\(reader.name) must read the intact \(name)")
            for length in truncations ?? Array(0..<original.count) {
                tally(reader.check(Array(original.prefix(length)), "\(name) truncated to \(length) bytes"))
            }
        }
        var rng = SeededGenerator(seed: seed)
        let special: [UInt8] = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE, 0x20, 0x30, 0x39, 0x2C, 0x22, 0x5B, 0x7B]
        for i in 0..<(bitFlips * mutations) {
            var bytes = original
            let at = Int(rng.next() % UInt64(bytes.count))
            bytes[at] ^= UInt8(1) << UInt8(rng.next() % 8)
            for reader in readers { tally(reader.check(bytes, "\(name) bit flip #\(i) at \(at)")) }
        }
        for i in 0..<(byteOverwrites * mutations) {
            var bytes = original
            let at = Int(rng.next() % UInt64(bytes.count))
            bytes[at] = rng.next() % 2 == 0 ? special[Int(rng.next() % UInt64(special.count))] : UInt8(truncatingIfNeeded: rng.next())
            for reader in readers { tally(reader.check(bytes, "\(name) byte overwrite #\(i) at \(at)")) }
        }
        for i in 0..<(multiByteSmashes * mutations) {
            var bytes = original
            for _ in 0..<(2 + Int(rng.next() % 3)) {
                let at = Int(rng.next() % UInt64(bytes.count))
                bytes[at] = special[Int(rng.next() % UInt64(special.count))]
            }
            for reader in readers { tally(reader.check(bytes, "\(name) smash #\(i)")) }
        }
        print("CorruptionMatrix \(name) (\(original.count) bytes, \(readers.map(\.name).joined(separator: " + "))): "
              + "\(accepted + refused) inputs, \(accepted) accepted and usable, \(refused) refused with a typed error")
        return (accepted, refused)
    }

    /// Prefix lengths for a large file: every `stride`-th, plus the first and last 512.
    static func thinnedTruncations(_ count: Int, stride: Int) -> [Int] {
        Array(Set(Array(0..<min(512, count)) + Array(Swift.stride(from: 0, to: count, by: stride))
                  + Array(max(0, count - 512)..<count))).sorted()
    }

    /// A small model with every layer kind, written as `.nnm`, with and without optimizer state.
    static func smallNNM(dtype: DType) throws -> [UInt8] {
        let architecture = ModelArchitecture(name: "matrix", inputShape: [2, 3], layers: [
            Layer(name: "flatten", kind: .flatten),
            Layer(name: "hidden", kind: .dense(Dense(units: 4, activation: .tanh))),
            Layer(name: "drop", kind: .dropout(rate: 0.5)),
            Layer(name: "out", kind: .dense(Dense(units: 3, useBias: false))),
            Layer(name: "probabilities", kind: .activation(.softmax)),
        ])
        var model = try Sequential(architecture, seed: 11)
        model.metadata.classNames = ["a", "b", "c"]
        return NNMWriter.encode(model, dtype: dtype, producer: "matrix", createdAt: "2026-01-01T00:00:00Z")
    }

    @Test func nnmFloat32() throws {
        let bytes = try Self.smallNNM(dtype: .float32)
        let counts = Self.run("tiny.nnm", bytes, readers: [Readers.nnm, Readers.nnmFixedCRC], seed: 1)
        #expect(counts.refused > 0)
    }

    @Test func nnmFloat16() throws {
        Self.run("tiny-f16.nnm", try Self.smallNNM(dtype: .float16), readers: [Readers.nnmFixedCRC], seed: 2)
    }

    @Test func kerasH5() throws {
        try Self.runHDF5Fixture("keras/tiny_k3.h5", reader: Readers.keras, seed: 3)
    }

    @Test func kerasH5WithArchitecture() throws {
        try Self.runHDF5Fixture("keras/tiny_k3.h5", name: "tiny_k3.h5 (architecture given)",
                                reader: Readers.keras(architecture: tinyArchitecture), seed: 4)
    }

    @Test func kerasArchive() throws {
        try Self.runHDF5Fixture("keras/tiny_k3.keras", reader: Readers.keras, seed: 5)
    }

    /// The weights store of an archive nnmodel wrote (`nnmodel train --output`), damaged and zipped
    /// again with correct CRC-32s (a damaged member of an intact zip is refused by its CRC), so
    /// that the damage reaches libhdf5, the layer and optimizer variables, and nnmodel's metadata
    /// and optimizer records in the store's root attributes.
    @Test func kerasStoreWrittenByNNModel() throws {
        let archive = try ZipDirectory(try Fixture.bytes("fuzz/corpus/keras/nnmodel_tiny.keras"))
        let store = try archive.contents("model.weights.h5")
        let reader = Readers.kerasStore(metadata: try archive.contents("metadata.json"), config: try archive.contents("config.json"))
        let intact = ZipBuilder(members: archive.members.map { ZipBuilder.Member(name: $0.name, data: (try? archive.contents($0.name)) ?? []) })
        #expect(try KerasReader.read(contents: intact.bytes(), path: "m.keras").info.writtenByNNModel)
        Self.run("nnmodel_tiny.keras model.weights.h5", store, readers: [reader], seed: 19,
                 truncations: Self.thinnedTruncations(store.count, stride: 16))
    }

    /// tf_keras's `.h5` of a chain with every layer class beyond Dense (Conv2D, BatchNormalization,
    /// ReLU, LeakyReLU, pooling, PReLU, ELU, LayerNormalization, global pooling, Reshape, Softmax).
    @Test func kerasH5WithEveryLayerClass() throws {
        let bytes = try Fixture.bytes("keras/layers_tfk.h5")
        Self.run("layers_tfk.h5", bytes, readers: [Readers.keras], seed: 21, truncations: Self.thinnedTruncations(bytes.count, stride: 8))
    }

    /// Keras 3's `.keras` of a small CNN.
    @Test func kerasArchiveWithConvolution() throws {
        let bytes = try Fixture.bytes("keras/conv_small_k3.keras")
        Self.run("conv_small_k3.keras", bytes, readers: [Readers.keras], seed: 22, truncations: Self.thinnedTruncations(bytes.count, stride: 4))
    }

    @Test func weightsH5() throws {
        try Self.runHDF5Fixture("fuzz/corpus/h5/tiny_k3.weights.h5", reader: Readers.keras(architecture: tinyArchitecture), seed: 6)
    }

    /// Runs the matrix over an HDF5 or zip fixture, truncated as ``hdf5TruncationStride`` says.
    static func runHDF5Fixture(_ path: String, name: String? = nil, reader: Reader, seed: UInt64) throws {
        let bytes = try Fixture.bytes(path)
        run(name ?? String(path.split(separator: "/").last ?? Substring(path)), bytes, readers: [reader], seed: seed,
            truncations: thinnedTruncations(bytes.count, stride: hdf5TruncationStride))
    }

    /// Every how many bytes an HDF5 or zip file is truncated (beside its first and last 512).
    static let hdf5TruncationStride = 1

    static func idx(_ dims: [Int], _ body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0, 0, 8, UInt8(dims.count)]
        for d in dims { out += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
        return out + body
    }

    static let idxImages = idx([6, 3, 3], (0..<54).map { UInt8($0 * 4) })
    static let idxLabels = idx([6], [0, 1, 2, 2, 1, 0])

    @Test func idxImagesAndLabels() throws {
        Self.run("images.idx3", Self.idxImages, readers: [Readers.idx, Readers.idxDataset(other: Self.idxLabels, otherIsImages: false)], seed: 7)
        Self.run("labels.idx1", Self.idxLabels, readers: [Readers.idx, Readers.idxDataset(other: Self.idxImages, otherIsImages: true)], seed: 8)
        let gz = try Fixture.bytes("fuzz/corpus/idx/images.idx3.gz")
        Self.run("images.idx3.gz", gz, readers: [Readers.idx], seed: 9)
    }

    @Test func csv() throws {
        let text = "label,p1,p2,p3,p4\n0,0,12,255,3\n2,1,2,3,4\r\n1,9,8,7,6\n\n2,0.5,1,2,3\n"
        Self.run("small.csv", Array(text.utf8), readers: [Readers.csv], seed: 10)
        Self.run("small.csv.gz", try Fixture.bytes("fuzz/corpus/csv/gz.csv.gz"), readers: [Readers.csv], seed: 11)
    }

    @Test func npy() throws {
        Self.run("small.npy", NPYArray.encode(floats: [1, -2, 3.5, 0, .infinity, 6], shape: [2, 3]), readers: [Readers.npy], seed: 12)
        Self.run("f8-be.npy", try Fixture.bytes("fuzz/corpus/npy/f8-be.npy"), readers: [Readers.npy], seed: 13)
        Self.run("u1.npy", try Fixture.bytes("fuzz/corpus/npy/u1.npy"), readers: [Readers.npy], seed: 14)
    }

    @Test func onnx() throws {
        Self.run("tiny.onnx", try Fixture.bytes("fuzz/corpus/onnx/tiny.onnx"), readers: [Readers.onnx], seed: 17)
        Self.run("torch_mlp_dynamo.onnx", try Fixture.bytes("onnx/torch_mlp_dynamo.onnx"), readers: [Readers.onnx], seed: 18)
    }

    @Test func safetensors() throws {
        Self.run("tiny.safetensors", try Fixture.bytes("fuzz/corpus/safetensors/tiny.safetensors"),
                 readers: [Readers.safetensors, Readers.safetensorsGiven], seed: 19)
        Self.run("tiny-torch-f16.safetensors", try Fixture.bytes("fuzz/corpus/safetensors/tiny-torch-f16.safetensors"),
                 readers: [Readers.safetensors, Readers.safetensorsGiven], seed: 20)
    }

    @Test func configJSON() throws {
        Self.run("tiny_k3.json", try Fixture.bytes("fuzz/corpus/json/tiny_k3.json"), readers: [Readers.config], seed: 15)
        Self.run("functional_chain_k3.keras.json", try Fixture.bytes("fuzz/corpus/json/functional_chain_k3.keras.json"),
                 readers: [Readers.config], seed: 16)
    }
}
