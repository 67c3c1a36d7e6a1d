import Foundation
import NNHDF5
import NNModel
import NNTestSupport
import Testing

/// `.keras` archives nnmodel writes: lossless round trips, the layout of Keras 3's own archives,
/// saves that fail cleanly, and a check by Python's `zipfile` and h5py.
@Suite struct KerasArchiveWriterTests {
    /// One model to write, with a name for the test list.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var architecture: ModelArchitecture
        var optimizer: OptimizerConfig?
        var loss: Loss? = .sparseCategoricalCrossentropy
        var testDescription: String { name }
    }

    static func dense(_ name: String, _ units: Int, _ activation: Activation = .linear, bias: Bool = true) -> Layer {
        Layer(name: name, kind: .dense(Dense(units: units, activation: activation, useBias: bias)))
    }

    /// Every activation, on Dense layers and on Activation layers of their own.
    static let everyActivation: ModelArchitecture = {
        var layers: [Layer] = []
        for (i, activation) in Activation.allCases.enumerated() {
            layers.append(dense("dense_\(i)", 5, activation))
            layers.append(Layer(name: "act_\(i)", kind: .activation(activation)))
        }
        layers.append(dense("out", 3, .softmax))
        return ModelArchitecture(name: "every_activation", inputShape: [6], inputName: "features", layers: layers)
    }()

    static let cases: [Case] = {
        var float64 = ModelArchitecture(name: "f64", inputShape: [6], layers: [dense("dense", 8, .tanh), dense("dense_1", 3, .softmax)])
        float64.sourceDType = .float64
        var frozen = ModelArchitecture.seed(hidden: [16, 12])
        frozen.layers[1].trainable = false
        var momentum = OptimizerConfig(.momentum, learningRate: 0.05)
        momentum.nesterov = true
        var rmsprop = OptimizerConfig(.rmsprop)
        rmsprop.momentum = 0.5
        return [
            Case(name: "seed MLP, Adam", architecture: .seed(), optimizer: OptimizerConfig(.adam)),
            Case(name: "dropout and activation layers, RMSprop with momentum", architecture: ModelArchitecture(
                name: "drop", inputShape: [3, 4],
                layers: [Layer(name: "flatten", kind: .flatten), dense("dense", 8), Layer(name: "activation", kind: .activation(.relu)),
                         Layer(name: "dropout", kind: .dropout(rate: 0.25)), dense("dense_1", 4),
                         Layer(name: "activation_1", kind: .activation(.softmax))]),
                 optimizer: rmsprop),
            Case(name: "no bias, Nesterov momentum", architecture: ModelArchitecture(
                inputShape: [6], layers: [dense("dense", 8, .sigmoid, bias: false), dense("dense_1", 4, .tanh, bias: false),
                                          dense("dense_2", 3, .softmax)]),
                 optimizer: momentum),
            Case(name: "every activation, Adagrad", architecture: everyActivation, optimizer: OptimizerConfig(.adagrad)),
            Case(name: "a frozen layer, RMSprop", architecture: frozen, optimizer: OptimizerConfig(.rmsprop)),
            Case(name: "SGD (no slots), mean squared error", architecture: .seed(hidden: [4]), optimizer: OptimizerConfig(.sgd),
                 loss: .meanSquaredError),
            Case(name: "float64, Adam", architecture: float64, optimizer: OptimizerConfig(.adam)),
            Case(name: "never trained", architecture: .seed(hidden: [4]), optimizer: nil, loss: nil),
        ]
    }()

    /// A model of `c` with every kind of metadata and, when `c` names an optimizer, a state with
    /// distinct values in every slot.
    static func model(_ c: Case, seed: UInt64 = 7) throws -> Sequential {
        var model = try Sequential(c.architecture, seed: seed)
        let outputs = c.architecture.outputShape.last ?? 1
        model.metadata.classNames = (0..<outputs).map { "class \($0) ✓" }
        model.metadata.dataset = "fashion-mnist"
        model.metadata.loss = c.loss?.rawValue
        model.metadata.history = History(epochs: [EpochRecord(epoch: 1, loss: 0.5, accuracy: 0.8, seconds: 1.25),
                                                  EpochRecord(epoch: 2, loss: 0.25, accuracy: 0.9, validationLoss: 0.3,
                                                              validationAccuracy: 0.875, seconds: 1.5)])
        model.metadata.user = [("note", "written by a test"), ("run", "3")]
        if let config = c.optimizer {
            let trainable = model.weightSpecs.filter(\.trainable)
            var value: Float = 0.001
            let slots = config.slotNames.map { _ in
                trainable.map { spec in
                    Tensor(shape: spec.shape, values: (0..<spec.shape.reduce(1, *)).map { _ in
                        value = value * 1.37
                        if value > 10 { value = value / 997 }
                        return value
                    })
                }
            }
            model.optimizerState = OptimizerState(config: config, iterations: 1234, slots: slots)
        }
        return model
    }

    static func bits(_ tensors: [Tensor]) -> [[UInt32]] { tensors.map { $0.scalars.map(\.bitPattern) } }

    /// `.nnm → .keras → .nnm` keeps the architecture, every weight bit, the metadata and the
    /// optimizer state; the archive says nnmodel wrote it.
    @Test(arguments: cases)
    func roundTripIsLossless(_ c: Case) throws {
        let folder = try TemporaryFolder("keras-archive")
        try ModelFile.save(try Self.model(c), to: folder.file("a.nnm"))
        let a = try ModelFile.load(folder.file("a.nnm"))
        try ModelFile.save(a, to: folder.file("b.keras"))
        let opened = try ModelFile.open(folder.file("b.keras"))
        #expect(opened.file.format == .keras && opened.file.writtenByNNModel)
        #expect(opened.file.weightsDType == (c.architecture.sourceDType == .float64 ? .float64 : .float32))
        #expect(opened.file.kerasVersion == KerasArchiveWriter.kerasVersion)
        let b = opened.model
        try ModelFile.save(b, to: folder.file("c.nnm"))
        let c2 = try ModelFile.load(folder.file("c.nnm"))
        for back in [b, c2] {
            #expect(back.architecture == a.architecture)
            #expect(Self.bits(back.weights) == Self.bits(a.weights))
            #expect(back.metadata == a.metadata)
            #expect(back.optimizerState == a.optimizerState)
            #expect(back.optimizerState.map { Self.bits($0.slots.flatMap { $0 }) } == a.optimizerState.map { Self.bits($0.slots.flatMap { $0 }) })
            let comparison = ModelComparison(a, back)
            #expect(comparison.equal && comparison.metadataDifferences.isEmpty, "\(comparison.metadataDifferences)")
        }
        #expect(folder.names == ["a.nnm", "b.keras", "c.nnm"])
    }

    /// A float32 model saved as float64 stores float64 weights and says so; the values are the same.
    @Test func float64OnRequest() throws {
        let folder = try TemporaryFolder("keras-archive")
        let model = try Self.model(Self.cases[0])
        try ModelFile.save(model, to: folder.file("m.keras"), dtype: .float64)
        let opened = try ModelFile.open(folder.file("m.keras"))
        #expect(opened.file.weightsDType == .float64)
        #expect(opened.model.architecture.sourceDType == .float64)
        #expect(Self.bits(opened.model.weights) == Self.bits(model.weights))
        #expect(opened.model.optimizerState == model.optimizerState)
        #expect(throws: CodecError.self) { try ModelFile.save(model, to: folder.file("h.keras"), dtype: .float16) }
        #expect(folder.names == ["m.keras"])
    }

    /// Without the optimizer (a writer option), the archive holds no optimizer variables.
    @Test func optimizerStateIsLeftOutWhenAsked() throws {
        let folder = try TemporaryFolder("keras-archive")
        let model = try Self.model(Self.cases[0])
        try KerasArchiveCodec().write(model, to: folder.file("m.keras"),
                                      options: WriteOptions(producer: "nnmodel test", includeOptimizer: false))
        let back = try ModelFile.load(folder.file("m.keras"))
        #expect(back.optimizerState == nil)
        #expect(Self.bits(back.weights) == Self.bits(model.weights))
    }

    @Test func capabilitiesAndNotes() throws {
        let codec = try ModelFile.codec(writing: "m.keras")
        #expect(codec.format == .keras)
        #expect(codec.capabilities.canWrite && codec.capabilities.writableDTypes == [.float32, .float64])
        #expect(codec.capabilities.optimizerState)
        let model = try Self.model(Self.cases[3])
        #expect(ModelFile.compatibilityNotes(model, path: "m.keras").isEmpty)
        #expect(!ModelFile.compatibilityNotes(model, path: "m.h5").isEmpty, "tf_keras notes belong to .h5")
    }

    /// The optimizer recorded from a Keras file without its state (Keras 3, tf_keras `.h5` and
    /// `.keras`) goes into `compile_config` as a Keras 3 built-in, without tf_keras-only keys.
    @Test(arguments: ["fmnist8_k3.keras", "fmnist8_tfk.h5", "fmnist8_tfk.keras"])
    func recordedOptimizersAreWrittenAsKeras3Loads(_ file: String) throws {
        let folder = try TemporaryFolder("keras-archive")
        let model = try ModelFile.load(Repository.fixture("keras/" + file))
        #expect(model.optimizerState == nil && model.metadata.optimizer != nil)
        try ModelFile.save(model, to: folder.file("m.keras"))
        let config = try JSON(parsing: try ZipDirectory(try Repository.bytes(folder.file("m.keras"))).contents("config.json"))
        let optimizer = try #require(config["compile_config"]?["optimizer"])
        #expect(optimizer["module"] == "keras.optimizers" && optimizer["class_name"] == "Adam" && optimizer["registered_name"] == .null)
        let keys = optimizer["config"]?.objectValue?.map(\.key) ?? []
        #expect(keys.contains("learning_rate") && !keys.contains("jit_compile") && !keys.contains("is_legacy_optimizer"), "\(keys)")
        // nnmodel's own record keeps the optimizer exactly as it was read.
        let back = try ModelFile.load(folder.file("m.keras"))
        var expected = model.metadata
        expected.producer = back.metadata.producer
        expected.createdAt = expected.createdAt ?? back.metadata.createdAt  // a save records its time when the source had none
        #expect(back.metadata == expected && back.metadata.producer?.hasPrefix("nnmodel") == true)
    }

    /// Our own archive check (the one every read runs) accepts what we write.
    @Test func archivePassesOurArchiveCheck() throws {
        let folder = try TemporaryFolder("keras-archive")
        try ModelFile.save(try Self.model(Self.cases[1]), to: folder.file("m.keras"))
        let file = try ReadableFile(path: folder.file("m.keras"))
        let entries = try KerasArchiveCheck.entries(of: file).get()
        #expect(entries.map(\.name) == KerasArchiveWriter.memberNames)
        #expect(entries.allSatisfy { !$0.encrypted })
    }

    // MARK: The layout of Keras 3's own archives

    /// An HDF5 file's objects, depth first in name order: path, kind, shape, element type and
    /// string attributes.
    static func tree(_ group: HDF5Group, prefix: String = "") throws -> [String] {
        var lines: [String] = []
        for name in try group.memberNames() {
            let path = prefix + name
            let attributes = { (object: HDF5Group) throws -> String in
                try object.attributeNames().sorted().map { "\($0)=\(try object.stringAttribute($0) ?? "?")" }.joined(separator: ",")
            }
            switch try group.kind(of: name) {
            case .group:
                let child = try group.group(name)
                lines.append("\(path)/ [\(try attributes(child))]")
                lines += try tree(child, prefix: path + "/")
            case .dataset:
                let d = try group.dataset(name)
                lines.append("\(path) \(d.shape) \(d.elementType)")
            default:
                lines.append("\(path) ?")
            }
        }
        return lines
    }

    /// The keys of every object in a JSON value, with their paths; array elements by index.
    static func keys(_ json: JSON, _ path: String = "") -> [String] {
        if let members = json.objectValue {
            let own = members.map(\.key).filter { $0 != "shared_object_id" }
            return ["\(path): \(own)"] + members.flatMap { keys($0.value, path + "/" + $0.key) }
        }
        if let elements = json.arrayValue { return elements.enumerated().flatMap { keys($1, "\(path)[\($0)]") } }
        return []
    }

    /// `json` without the `shared_object_id` members Keras adds to repeated objects (a Python id).
    static func withoutObjectIDs(_ json: JSON) -> JSON {
        if let members = json.objectValue {
            return .object(members.filter { $0.key != "shared_object_id" }.map { ($0.key, withoutObjectIDs($0.value)) })
        }
        if let elements = json.arrayValue { return .array(elements.map(withoutObjectIDs)) }
        return json
    }

    /// What Keras 3.15 wrote for Flatten(28×28) → Dense(8, relu) → Dense(10, softmax) trained
    /// with Adam (`Fixtures/keras/fmnist8_k3.keras`, the structure of the reference corpus's
    /// `seed_k3.keras`), and what nnmodel writes for the same model: the same members, stored,
    /// in the same order; the same `metadata.json` keys; the same `config.json` keys everywhere;
    /// the same groups, datasets, shapes, element types and `name` attributes in `model.weights.h5`.
    @Test func layoutMatchesKeras3() throws {
        let folder = try TemporaryFolder("keras-layout")
        let keras = try ZipDirectory(try Repository.fixtureBytes("keras/fmnist8_k3.keras"))
        var c = Self.cases[0]
        c.architecture = .seed(hidden: [8])
        try ModelFile.save(try Self.model(c), to: folder.file("m.keras"))
        let ours = try ZipDirectory(try Repository.bytes(folder.file("m.keras")))

        #expect(ours.members.map(\.name) == ["metadata.json", "config.json", "model.weights.h5"])
        #expect(ours.members.map(\.name) == keras.members.map(\.name))
        #expect(ours.members.map(\.method) == [0, 0, 0] && keras.members.map(\.method) == [0, 0, 0], "stored, as Keras stores them")

        let metadata = try JSON(parsing: try ours.contents("metadata.json"))
        let kerasMetadata = try JSON(parsing: try keras.contents("metadata.json"))
        #expect(metadata.objectValue?.map(\.key) == kerasMetadata.objectValue?.map(\.key))
        let date = metadata["date_saved"]?.stringValue ?? ""
        #expect(date.count == 19 && Array(date)[10] == "@", "Keras's %Y-%m-%d@%H:%M:%S: \(date)")

        let config = try JSON(parsing: try ours.contents("config.json"))
        let kerasConfig = try JSON(parsing: try keras.contents("config.json"))
        #expect(Self.keys(config) == Self.keys(kerasConfig))
        #expect(config["config"]?["layers"] == kerasConfig["config"]?["layers"].map(Self.withoutObjectIDs), "same model, same layer configs")
        #expect(config["build_config"] == kerasConfig["build_config"])
        #expect(config["compile_config"]?["optimizer"]?["class_name"] == "Adam")
        #expect(config["compile_config"]?["loss"] == kerasConfig["compile_config"]?["loss"])

        let store = try HDF5File(bytes: try ours.contents("model.weights.h5"), name: "ours")
        let kerasStore = try HDF5File(bytes: try keras.contents("model.weights.h5"), name: "keras")
        defer { try? store.close(); try? kerasStore.close() }
        let tree = try Self.tree(try store.root)
        #expect(tree == (try Self.tree(try kerasStore.root)))
        #expect(tree.contains("layers/dense/vars/ [name=dense]") && tree.contains("optimizer/vars/0 [] int64"))
        // nnmodel's own records are root attributes, which Keras never reads.
        #expect(try kerasStore.root.attributeNames().isEmpty)
        #expect(try store.root.attributeNames().sorted() == [
            "nnmodel_format_version", "nnmodel_metadata", "nnmodel_optimizer", "nnmodel_version",
        ])
    }

    /// The layer groups Keras would name, for a model with repeated classes.
    @Test func layerGroupsAreNamedAsKerasNamesThem() throws {
        let folder = try TemporaryFolder("keras-layout")
        try ModelFile.save(try Self.model(Self.cases[1]), to: folder.file("m.keras"))
        let zip = try ZipDirectory(try Repository.bytes(folder.file("m.keras")))
        let store = try HDF5File(bytes: try zip.contents("model.weights.h5"), name: "m")
        defer { try? store.close() }
        let layers = try store.root.group("layers")
        #expect(try layers.memberNames() == ["activation", "activation_1", "dense", "dense_1", "dropout", "flatten"])
        #expect(try layers.group("activation_1/vars").stringAttribute("name") == "activation_1")
        #expect(try layers.group("dense_1/vars").memberNames() == ["0", "1"])
        #expect(try layers.group("dropout/vars").memberNames() == [])
        // RMSprop with momentum: iteration, learning rate, 4 velocities, 4 momentums.
        let optimizer = try store.root.group("optimizer/vars")
        #expect(try optimizer.memberNames().count == 10)
        #expect(try optimizer.stringAttribute("name") == "rm_sprop")
        #expect(try optimizer.dataset("2").shape == [12, 8] && optimizer.dataset("6").shape == [12, 8])
        #expect(try store.root.group("vars").stringAttribute("name") == "drop")
    }

    // MARK: Failed saves

    /// A save that cannot happen leaves nothing behind, and an old file where it was.
    @Test func failedSavesLeaveNothingBehind() throws {
        let folder = try TemporaryFolder("keras-failures")
        let model = try Self.model(Self.cases[2])
        #expect(throws: (any Error).self) { try ModelFile.save(model, to: folder.file("missing/m.keras")) }
        try FileManager.default.createDirectory(atPath: folder.file("dir.keras"), withIntermediateDirectories: false)
        #expect(throws: (any Error).self) { try ModelFile.save(model, to: folder.file("dir.keras")) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("dir.keras")).isEmpty)

        // A model whose optimizer state does not fit its weights: refused before anything is written.
        let old = try folder.write("old.keras", Array("old".utf8))
        var broken = model
        broken.optimizerState?.slots[0].removeLast()
        let error = #expect(throws: KerasImportError.self) { try ModelFile.save(broken, to: old) }
        #expect(error.map { "\($0)".contains("old.keras") && "\($0)".contains("optimizer state") } == true, "\(String(describing: error))")
        #expect(try Repository.bytes(old) == Array("old".utf8))
        #expect(folder.names == ["dir.keras", "old.keras"])
    }

    // MARK: Python's view (no TensorFlow needed)

    /// Python's `zipfile` (strict about headers and CRCs) and h5py read what we write, and find
    /// Keras 3's layout and our values bit for bit.
    @Test(arguments: [0, 1, 2, 3, 6])
    func pythonReadsTheArchive(_ index: Int) throws {
        guard let python = PythonEnvironment.require(for: "the .keras check with zipfile and h5py") else { return }
        let folder = try TemporaryFolder("keras-python")
        let model = try Self.model(Self.cases[index])
        let path = folder.file("m.keras")
        try ModelFile.save(model, to: path)
        // The expected tensors, in the order the script reads them.
        var expected: [JSON] = []
        for (i, (spec, tensor)) in zip(model.weightSpecs, model.weights).enumerated() {
            let file = folder.file("w\(i).npy")
            try NPYArray.write(floats: tensor.scalars, shape: spec.shape, to: file)
            expected.append(.object([("layer", .string(model.architecture.layers[spec.layerIndex].name)), ("file", .string(file))]))
        }
        var slots: [JSON] = []
        if let state = model.optimizerState {
            let trainable = model.weightSpecs.filter(\.trainable)
            // Keras's order: Adam interleaves its two slots, the others are slot after slot.
            let order: [(Int, Int)] = state.config.kind == .adam
                ? trainable.indices.flatMap { w in state.slots.indices.map { ($0, w) } }
                : state.slots.indices.flatMap { s in trainable.indices.map { (s, $0) } }
            for (i, (s, w)) in order.enumerated() {
                let file = folder.file("s\(i).npy")
                try NPYArray.write(floats: state.slots[s][w].scalars, shape: trainable[w].shape, to: file)
                slots.append(.string(file))
            }
        }
        let description = JSON.object([
            ("model_name", .string(model.architecture.name)), ("dtype", .string(model.architecture.sourceDType.rawValue)),
            ("layers", .array(model.architecture.layers.map { .string($0.name) })),
            ("classes", .array(model.architecture.layers.map { .string($0.className) })),
            ("weights", .array(expected)), ("optimizer_slots", .array(slots)),
            ("iterations", model.optimizerState.map { .int($0.iterations) } ?? .null),
            ("class_names", .array((model.metadata.classNames ?? []).map { .string($0) })),
        ])
        let descriptionPath = try folder.write("expected.json", text: description.serialized())
        let run = try PythonEnvironment.run(python, script: "check_keras_archive.py", [path, descriptionPath])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("members=metadata.json,config.json,model.weights.h5 stored"), "\(run.output)")
    }
}
