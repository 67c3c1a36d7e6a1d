@_spi(Testing) import NNSystem
import Foundation
import NNHDF5
import NNModel
import NNTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The classes of defects a hand-crafted attack found after the first fuzzing round: sizes
/// that make the work grow faster than the file, files changing while read, and formats that
/// readers could understand differently. Each test feeds a small hostile input that used to
/// crash, hang or mislead, and expects a typed error (or the right answer) quickly.
@Suite struct RoundTwoTests {
    /// A Sequential config JSON of `count` unnamed `Dense(1)` layers on a `[1]` input.
    static func unnamedLayers(_ count: Int) -> [UInt8] {
        let layer = #"{"class_name": "Dense", "config": {"units": 1}}"#
        let layers = [#"{"class_name": "InputLayer", "config": {"batch_shape": [null, 1]}}"#]
            + Array(repeating: layer, count: count)
        return Array(#"{"class_name": "Sequential", "config": {"name": "s", "layers": [\#(layers.joined(separator: ", "))]}}"#.utf8)
    }

    /// The seconds `body` takes.
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Whether work on `n` items takes time linear in `n`: four times the items must take well
    /// under the sixteen times a quadratic pass would (a ratio, so a loaded machine does not fail it).
    static func expectLinear(_ label: String, _ n: Int, sourceLocation: SourceLocation = #_sourceLocation,
                             _ body: (Int) throws -> Void) throws {
        // The best of three runs of each: on a busy machine one run can stall for a while.
        var small = Double.infinity, large = Double.infinity
        for _ in 0..<3 {
            small = min(small, try seconds { try body(n / 4) })
            large = min(large, try seconds { try body(n) })
            if large < max(small, 0.05) * 9 { break }
        }
        #expect(large < max(small, 0.05) * 9, "\(label): \(n / 4) took \(small) s, \(n) took \(large) s", sourceLocation: sourceLocation)
    }

    /// A JSON string that mixes text and escapes parses in linear time (appending to a String run
    /// by run was quadratic: a 4 MB string took 96 s, a 21 KB .keras could keep inspect busy for hours).
    @Test func stringsWithEscapesParseInLinearTime() throws {
        func document(_ pieces: Int) -> [UInt8] {
            Array("{\"name\": \"".utf8) + Array(repeating: Array("ab\\n\\u00e9c".utf8), count: pieces).flatMap { $0 } + Array("\"}".utf8)
        }
        let parsed = try JSON(parsing: document(3))
        #expect(parsed["name"]?.stringValue == "ab\né" + "cab\né" + "cab\néc")
        try Self.expectLinear("parsing a string with escapes", 400_000) { n in
            let count = try JSON(parsing: document(n))["name"]?.stringValue?.unicodeScalars.count
            #expect(count == 5 * n)
        }
    }

    /// Naming unnamed layers is linear, and the layer count is capped.
    @Test func unnamedLayersAreNamedInLinearTime() throws {
        let architecture = try KerasConfig.architecture(fromJSON: Self.unnamedLayers(ModelArchitecture.maximumLayers))
        #expect(architecture.layers.count == ModelArchitecture.maximumLayers)
        #expect(architecture.layers[2].name == "dense_2" && architecture.layers.last?.name == "dense_\(ModelArchitecture.maximumLayers - 1)")
        #expect(architecture.parameterCounts().count == ModelArchitecture.maximumLayers)
        #expect(throws: ModelConfigError.tooManyLayers(count: 50_001, limit: ModelArchitecture.maximumLayers)) {
            try KerasConfig.architecture(fromJSON: Self.unnamedLayers(50_000))
        }
        try Self.expectLinear("naming layers", ModelArchitecture.maximumLayers) { n in
            _ = try KerasConfig.architecture(fromJSON: Self.unnamedLayers(n)).parameterCounts()
        }
    }

    /// A `.nnm` with many layers saves and inspects in time linear in its header.
    @Test func manyLayersInspectInLinearTime() throws {
        let folder = try TemporaryFolder("many-layers")
        try Self.expectLinear("saving and inspecting", ModelArchitecture.maximumLayers) { n in
            let model = try Sequential(try KerasConfig.architecture(fromJSON: Self.unnamedLayers(n)), seed: 1)
            let path = folder.file("many-\(n).nnm")
            try ModelFile.save(model, to: path)
            let info = try ModelFile.inspect(path)
            #expect(info.tensors.count == 2 * n)
        }
    }

    /// A legacy `.h5` whose layers have 3.6 KB names reads in time linear in its size. Checking
    /// `model_weights`'s symbol table used to copy the rest of its name heap for every link
    /// (600 layers 1.2 s, 2,400 layers 9.1 s, 4,700 layers 80 s in a release build).
    @Test func legacyH5WithLongLayerNamesReadsInLinearTime() throws {
        let folder = try TemporaryFolder("long-names-h5")
        let n = 1_200
        var files: [Int: String] = [:]
        for count in [n / 4, n] {
            var layers = (0..<count).map { Layer(name: String(repeating: "a", count: 3_600) + "\($0)", kind: .activation(.relu)) }
            layers.append(Layer(name: "head", kind: .dense(Dense(units: 3, activation: .softmax, useBias: true))))
            let model = try Sequential(ModelArchitecture(name: "long_names", inputShape: [4], layers: layers), seed: 1)
            files[count] = folder.file("m\(count).h5")
            try ModelFile.save(model, to: folder.file("m\(count).h5"))
        }
        try Self.expectLinear("reading a legacy .h5 with long layer names", n) { count in
            let model = try ModelFile.load(files[count] ?? "")
            #expect(model.architecture.layers.count == count + 1)
        }
    }

    /// A layer listed in `layer_names` without a group of its own is named once, cut to an
    /// excerpt, on one line (a 3,000-character name was quoted twice: a 519-byte line).
    @Test func aMissingLayerGroupIsNamedOnceInAShortLine() throws {
        let folder = try TemporaryFolder("missing-group")
        let file = try HDF5File.createInMemory(name: "w.h5")
        let root = try file.root
        try root.setStringArrayAttribute("layer_names", [String(repeating: "X", count: 3_000)])
        let path = try folder.write("w.h5", try file.fileImage())
        let architecture = try ModelFile.load(Repository.fixture("keras/tiny_k3.h5")).architecture
        do {
            _ = try ModelFile.load(path, architecture: architecture)
            Issue.record("a layer without its group was accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains("which has no group there") && text.contains("layer_names"), "\(text)")
            #expect(text.utf8.count < 400 && !text.contains("\n"), "\(text.utf8.count) bytes: \(text)")
        }
    }

    /// A layer whose name holds '/' is written as nested groups (as h5py writes it for Keras) and
    /// read back through them (it was written, then refused by the reader).
    @Test func aLayerNameWithASlashRoundTripsThroughH5() throws {
        let folder = try TemporaryFolder("slash-name")
        let layers = [Layer(name: "block/dense", kind: .dense(Dense(units: 3, activation: .softmax))),
                      Layer(name: "block/out", kind: .dense(Dense(units: 2)))]
        let model = try Sequential(ModelArchitecture(inputShape: [4], layers: layers), seed: 3)
        for format in ["h5", "keras"] {
            let path = folder.file("m." + format)
            try ModelFile.save(model, to: path)
            #expect(ModelComparison(model, try ModelFile.load(path)).equal, "\(format)")
        }
    }

    /// Listing a group's members takes one pass over it (`H5Lget_name_by_idx` walks an old-style
    /// group's B-tree from the start for every index). A `.keras` weights store lists `layers/`.
    @Test func listingAGroupIsLinear() throws {
        let folder = try TemporaryFolder("many-members")
        let n = 20_000
        var files: [Int: String] = [:]
        for count in [n / 4, n] {
            let file = try HDF5File.createInMemory(name: "m\(count).h5")
            let root = try file.root
            for index in 0..<count { try root.createGroup("group_\(index)") }
            files[count] = try folder.write("m\(count).h5", try file.fileImage())
        }
        try Self.expectLinear("listing a group's members", n) { count in
            let file = try HDF5File(readingFrom: files[count] ?? "")
            #expect(try file.root.memberNames().count == count)
        }
    }

    // MARK: JSON and archives that readers could read differently

    @Test func duplicateJSONKeysAreRefusedWithTheKeyAndWhere() {
        let text = #"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"units": 1, "units": 5}}]}}"#
        #expect(throws: (any Error).self) { try JSON(parsing: text) }
        do {
            _ = try JSON(parsing: text)
        } catch {
            #expect(error.description.contains("duplicate key 'units' in the object at $.config.layers[0].config"), "\(error)")
        }
        #expect(throws: (any Error).self) { try JSON(parsing: #"{"a": 1, "b": {"c": 2}, "a": 3}"#) }
        #expect((try? JSON(parsing: #"{"a": {"x": 1}, "b": {"x": 2}}"#)) != nil, "the same key in different objects is fine")
    }

    @Test func duplicateAndEncryptedArchiveMembersAreRefused() throws {
        let config = Array("{}".utf8)
        var twice = ZipBuilder()
        twice.members = [.init(name: "config.json", data: config), .init(name: "config.json", data: config)]
        var encrypted = ZipBuilder()
        encrypted.members = [.init(name: "config.json", data: config, flags: 1)]
        for (zip, reason) in [(twice, "member 'config.json' appears twice"), (encrypted, "member 'config.json' is encrypted")] {
            do {
                _ = try KerasReader.read(contents: zip.bytes(), path: "m.keras")
                Issue.record("accepted")
            } catch {
                #expect(error.description.contains(reason), "\(error)")
            }
        }
    }

    @Test func duplicateNPYHeaderKeysAreRefused() {
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'shape': (2,), }"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        var text = Array(header.utf8)
        while (10 + text.count + 1) % 64 != 0 { text.append(0x20) }
        text.append(0x0A)
        bytes += [UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text + [UInt8](repeating: 0, count: 8)
        #expect(throws: DataError.invalidNPY(path: "x.npy", reason: "header names 'shape' twice (readers disagree on which counts)")) {
            try NPYArray(contents: bytes, path: "x.npy")
        }
    }

    // MARK: Histories and headers

    @Test func historiesLongerThanTheCapAreRefusedAndWritersDoNotWriteThem() throws {
        let epochs = History.maximumLength + 1
        let numbers = JSON.array(Array(repeating: .number(0.5), count: epochs))
        #expect(throws: ModelConfigError.self) { try History(json: .object([("loss", numbers)])) }
        // A model whose history would exceed the cap is not written: the old file stays.
        var model = try Sequential(tinyArchitecture, seed: 1)
        model.metadata.history = History(epochs: (1...epochs).map { EpochRecord(epoch: $0, loss: 1, accuracy: nil, seconds: 0) })
        let folder = try TemporaryFolder("long-history")
        let path = folder.file("m.nnm")
        try ModelFile.save(try Sequential(tinyArchitecture, seed: 2), to: path)
        let before = try Repository.bytes(path)
        #expect(throws: ModelFileError.self) { try ModelFile.save(model, to: path) }
        #expect(try Repository.bytes(path) == before)
        #expect(folder.names == ["m.nnm"])
        // Huge epoch numbers are refused too.
        #expect(throws: ModelConfigError.self) {
            try History(json: .object([("epoch", .ints([9_000_000_000_000_000_000 / 1000])), ("loss", [0.5])]))
        }
    }

    /// What any command writes, every reader accepts; converting a file onto itself keeps it.
    @Test(arguments: ["nnm", "h5", "keras", "onnx", "safetensors"])
    func writersProduceWhatReadersAccept(format: String) throws {
        let folder = try TemporaryFolder("agreement")
        for name in ["tiny_k3.h5", "fmnist8_k3.keras", "nobias_act_dropout_tfk.h5", "float64_k3.h5", "functional_chain_k3.keras"] {
            let original = try ModelFile.load(Repository.fixture("keras/" + name))
            let path = folder.file(name + "." + format)
            try ModelFile.save(original, to: path)
            let back = try ModelFile.load(path)
            #expect(ModelComparison(original, back).equal, "\(name) through .\(format)")
            _ = try ModelFile.inspect(path, statistics: true)
            // Onto itself: read, then replaced atomically.
            try ModelFile.save(back, to: path)
            #expect(ModelComparison(original, try ModelFile.load(path)).equal)
        }
    }

    /// A history with a loss that was not finite (training diverged) is saved and read back: the
    /// writers store it as null, which the readers refused, so such a model could not be saved.
    @Test(arguments: ["nnm", "h5", "keras", "onnx", "safetensors"])
    func aDivergedHistoryIsSavedAndReadBack(format: String) throws {
        let folder = try TemporaryFolder("diverged")
        var model = try ModelFile.load(Repository.fixture("keras/tiny_k3.h5"))
        model.metadata.history = History(epochs: [EpochRecord(epoch: 1, loss: 3.5, accuracy: 0.25, seconds: 1),
                                                  EpochRecord(epoch: 2, loss: .nan, accuracy: 0.1, seconds: 1),
                                                  EpochRecord(epoch: 3, loss: .infinity, accuracy: 0.1, seconds: 1)])
        let path = folder.file("diverged." + format)
        try ModelFile.save(model, to: path)
        let epochs = try #require(try ModelFile.load(path).metadata.history?.epochs)
        #expect(epochs.map(\.epoch) == [1, 2, 3])
        #expect(epochs[0].loss == 3.5 && epochs[1].loss.isNaN && epochs[2].loss.isNaN, "\(epochs)")
        #expect(epochs.map(\.accuracy) == [0.25, 0.1, 0.1])
    }

    /// A model whose architecture JSON is larger than the readers accept (120 layers with
    /// 150,000-character names: 18 MB) is refused by the writers whose readers cap it (and by
    /// HDF5, whose attributes hold at most 64 KB: Keras refuses such names too), and read back
    /// whole from the others. The ONNX writer used to write a file its reader refused.
    @Test(arguments: ["nnm", "onnx", "safetensors", "keras", "h5"])
    func writersRefuseWhatTheirReadersWouldRefuse(format: String) throws {
        let folder = try TemporaryFolder("fat-architecture")
        let layers = (0..<120).map { i in
            Layer(name: String(repeating: "a", count: 150_000) + String(i), kind: .activation(.relu))
        } + [Layer(name: "head", kind: .dense(Dense(units: 3)))]
        let fat = try Sequential(ModelArchitecture(inputShape: [4], layers: layers), seed: 1)
        let path = folder.file("fat." + format)
        do {
            try ModelFile.save(fat, to: path)
        } catch {
            #expect(["nnm", "onnx", "h5"].contains(format), "\(format) refused: \(error)")
            #expect(!FileManager.default.fileExists(atPath: path), "a refused save left \(path)")
            return
        }
        #expect(!["nnm", "onnx", "h5"].contains(format), "\(format) wrote a file its reader refuses")
        #expect(ModelComparison(fat, try ModelFile.load(path)).equal, "\(format)")
    }

    // MARK: Files that change while they are read

    /// A file truncated after it was opened is an error, not SIGBUS (files are never mapped).
    @Test func filesTruncatedWhileReadAreErrors() throws {
        let folder = try TemporaryFolder("truncated")
        let model = try Sequential(.seed(), seed: 3)
        let nnm = folder.file("m.nnm")
        try ModelFile.save(model, to: nnm)
        let file = try NNMFile(path: nnm)
        #expect(truncate(nnm, 1000) == 0)
        do {
            _ = try file.model()
            Issue.record("a truncated file was read")
        } catch {
            guard case let .file(.changedWhileReading(path, expected, _)) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(path == nnm && expected == file.header.fileSize)
        }
        let h5 = folder.file("m.h5")
        try ModelFile.save(model, to: h5)
        let hdf5 = try HDF5File(readingFrom: h5)
        let size = try Repository.bytes(h5).count
        #expect(truncate(h5, off_t(size / 2)) == 0)
        #expect(throws: HDF5Error.self) {
            let root = try hdf5.root
            _ = try root.stringAttribute("model_config")
            _ = try root.group("model_weights").group("dense").group("dense").dataset("kernel:0").readFloats()
        }
    }

    // MARK: Inference memory

    /// Inference splits its batches to stay within the work-buffer budget; only a sample that
    /// does not fit alone is refused.
    @Test func inferenceStaysWithinTheWorkBudget() throws {
        let wide = ModelArchitecture(inputShape: [1000, 1], layers: [
            Layer(name: "wide", kind: .dense(Dense(units: 20_000))),
            Layer(name: "flatten", kind: .flatten),
            Layer(name: "out", kind: .dense(Dense(units: 1))),
        ])
        let model = try Sequential(wide, seed: 1)
        let output = try model.predict(Tensor(zeros: [64, 1000, 1]), batchSize: 256, threads: 2)
        #expect(output.shape == [64, 1])
        let huge = ModelArchitecture(inputShape: [784, 1], layers: [Layer(name: "huge", kind: .dense(Dense(units: 500_000)))])
        let weights = [Tensor(zeros: [1, 500_000]), Tensor(zeros: [500_000])]
        let unrunnable = try Sequential(architecture: huge, weights: weights)
        #expect(throws: ModelConfigError.self) { try unrunnable.predict(Tensor(zeros: [1, 784, 1])) }
    }

    // MARK: Decompression

    /// A gzip stream is inflated into a buffer of exactly its size (two passes), never from what
    /// its trailer claims.
    @Test func gzipWithALyingTrailerCostsOnlyItsRealSize() throws {
        let payload = [UInt8](repeating: 7, count: 100_000)
        var gz = storedGzip(payload)
        for i in 0..<4 { gz[gz.count - 4 + i] = 0xFF }  // ISIZE claims 4 GiB
        #expect(throws: FileError.self) { try Gzip.decompress(gz, path: "lying.gz") }  // the trailer is checked by zlib
        let honest = storedGzip(payload)
        #expect(try Gzip.decompress(honest, path: "ok.gz") == payload)
        #expect(throws: FileError.tooLarge(path: "cap.gz", size: 50_001, limit: 50_000)) {
            try Gzip.decompress(honest, path: "cap.gz", limit: 50_000)
        }
    }
}

