import Foundation
import NNModel
@testable import NNModelCLI
import NNTestSupport
import Testing

/// Every `--json` document conforms to `docs/json-schema/` (no member missing, none retyped, none undocumented,
/// no number as a string), and `docs/JSON.md` lists exactly the members the schema files do.
@Suite(.serialized) struct JSONContractTests {
    static let schemaFolder = Repository.root + "/docs/json-schema"
    static let page = Repository.root + "/docs/JSON.md"

    /// A document: `docs/JSON.md`'s section `## <heading>`, whose table lists the members of `definition` in the
    /// `$defs` of `docs/json-schema/<schema>` (of the file itself when nil). The command's output follows `schema`.
    struct Document: Sendable, CustomStringConvertible {
        var heading: String
        var schema: String
        var definition: String? = nil

        var description: String { heading }
        /// The `$ref` of what the table lists.
        var reference: String { schema + (definition.map { "#/$defs/" + $0 } ?? "") }
    }

    static let documents: [Document] = [
        Document(heading: "train", schema: "train.json"),
        Document(heading: "inspect", schema: "inspect.json", definition: "inspection"),
        Document(heading: "inspect (cannot run)", schema: "inspect.json", definition: "listing"),
        Document(heading: "inspect (many files)", schema: "inspect-many.json", definition: "error"),
        Document(heading: "evaluate", schema: "evaluate.json"),
        Document(heading: "predict", schema: "predict.json"),
        Document(heading: "convert", schema: "convert.json"),
        Document(heading: "convert --output-dir", schema: "convert-output-dir.json"),
        Document(heading: "diff", schema: "diff.json"),
    ]

    /// The two documents of `inspect FILE`: a model nnmodel runs, a file it reads but cannot run; and the document
    /// of a file that failed, in the array of `inspect A B`.
    static let inspection = "inspect.json#/$defs/inspection", listing = "inspect.json#/$defs/listing"
    static let failure = "inspect-many.json#/$defs/error"

    /// A command run with `--json` and the schema its output must follow: `schema` (`inspect` is
    /// `docs/json-schema/inspect.json`) and, where that allows several kinds, `documents`, the `$ref`s of the kind
    /// it prints (one, or one per element of an array).
    struct Invocation: Sendable, CustomStringConvertible {
        var description: String
        var schema: String
        var status: Int32 = 0
        var documents: [String] = []
        var arguments: @Sendable () throws -> [String]
    }

    /// Models and data the invocations use, made once: conversions, a model that differs, one without class names.
    enum Files {
        static let folder = CLIFixtures.temporaryFolder() + "/json-contract"
        static var model: String { CLIFixtures.trainedModel }
        static var data: String { CLIFixtures.smallDataset }

        static let h5: String = convert(to: "model.h5")
        static let keras: String = convert(to: "model.keras")

        /// The trained model with one weight changed.
        static let changed: String = {
            let path = folder + "/changed.nnm"
            if var m = try? ModelFile.load(model) {
                var weights = m.weights
                weights[0][flat: 0] += 1
                try? m.setWeights(weights)
                try? ModelFile.save(m, to: path)
            }
            return path
        }()

        /// The trained model without class names, and five unlabelled test samples as `.npy`.
        static let unnamed: (model: String, input: String) = {
            let path = folder + "/unnamed.nnm", input = folder + "/x.npy"
            if var m = try? ModelFile.load(model) {
                m.metadata.classNames = nil
                try? ModelFile.save(m, to: path)
            }
            if let test = try? DataSource(data).load(.test).slice(0..<5), case let .uint8(pixels, _) = test.features {
                try? NPYArray.write(floats: pixels.map { Float($0) / 255 }, shape: [5, 28, 28], to: input)
            }
            return (path, input)
        }()

        /// The trained model with a NaN weight: every output, and so the loss, is NaN.
        static let diverged: String = {
            let path = folder + "/nan.nnm"
            if var m = try? ModelFile.load(model) {
                var weights = m.weights
                weights[0][flat: 0] = .nan
                try? m.setWeights(weights)
                try? ModelFile.save(m, to: path)
            }
            return path
        }()

        /// A text file where a model is expected.
        static let notAModel: String = {
            try? FileManager.default.createDirectory(atPath: folder + "/many", withIntermediateDirectories: true)
            try? "label,pixel1\n".write(toFile: folder + "/notes.txt", atomically: true, encoding: .utf8)
            return folder + "/notes.txt"
        }()

        /// A fixture of the repository (`keras/refuse_depthwise_k3.keras`).
        static func fixture(_ name: String) -> String { Repository.fixture(name) }

        /// A safetensors file of weights another program wrote (PyTorch names, `__metadata__`).
        static let foreignSafetensors: String = {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let header = Array(#"{"__metadata__":{"format":"pt"},"0.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#.utf8)
            let n = UInt64(header.count)
            let bytes = (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + header
                + [Float(1), 2, 3, 4].flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
            let path = folder + "/foreign.safetensors"
            try? Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }()

        static func convert(to name: String) -> String {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            _ = CLIFixtures.run(["convert", model, folder + "/" + name])
            return folder + "/" + name
        }
    }

    static let invocations: [Invocation] = [
        Invocation(description: "train", schema: "train") {
            ["train", "--data", Files.data, "--epochs", "1", "--hidden", "8", "--validation-split", "0.1", "--json", "--quiet"]
        },
        Invocation(description: "inspect --tensors", schema: "inspect", documents: [inspection]) {
            ["inspect", Files.model, "--json", "--tensors"]
        },
        Invocation(description: "inspect --no-verify", schema: "inspect", documents: [inspection]) {
            ["inspect", Files.model, "--json", "--no-verify"]
        },
        Invocation(description: "inspect .h5", schema: "inspect", documents: [inspection]) { ["inspect", Files.h5, "--json", "--tensors"] },
        Invocation(description: "inspect .keras", schema: "inspect", documents: [inspection]) { ["inspect", Files.keras, "--json"] },
        Invocation(description: "inspect NaN weights", schema: "inspect", documents: [inspection]) {
            ["inspect", Files.diverged, "--json", "--tensors"]
        },
        Invocation(description: "inspect Keras's .keras", schema: "inspect", documents: [inspection]) {
            ["inspect", Files.fixture("keras/fmnist8_k3.keras"), "--json"]
        },
        Invocation(description: "inspect, an unsupported layer", schema: "inspect", documents: [listing]) {
            ["inspect", Files.fixture("keras/refuse_depthwise_k3.keras"), "--json", "--tensors"]
        },
        Invocation(description: "inspect, a graph of layers", schema: "inspect", documents: [listing]) {
            ["inspect", Files.fixture("keras/refuse_branching_k3.keras"), "--json"]
        },
        Invocation(description: "inspect, a custom layer", schema: "inspect", documents: [listing]) {
            ["inspect", Files.fixture("keras/refuse_custom_k3.keras"), "--json"]
        },
        Invocation(description: "inspect, a Lambda layer in legacy .h5", schema: "inspect", documents: [listing]) {
            ["inspect", Files.fixture("keras/refuse_lambda_tfk.h5"), "--json"]
        },
        Invocation(description: "inspect, weights only", schema: "inspect", documents: [listing]) {
            ["inspect", Files.fixture("keras/fmnist8_k3.weights.h5"), "--json", "--tensors"]
        },
        Invocation(description: "inspect, foreign safetensors", schema: "inspect", documents: [listing]) {
            ["inspect", Files.foreignSafetensors, "--json", "--tensors"]
        },
        Invocation(description: "inspect, an HDF5 file that is no model", schema: "inspect", documents: [listing]) {
            ["inspect", Files.fixture("hdf5/h5py_types.h5"), "--json", "--tensors"]
        },
        Invocation(description: "inspect A B, one missing", schema: "inspect-many", status: 66, documents: [inspection, failure]) {
            ["inspect", Files.model, Files.folder + "/missing.nnm", "--json"]
        },
        Invocation(description: "inspect A B C, one it cannot run, one damaged", schema: "inspect-many", status: 65,
                   documents: [inspection, listing, failure]) {
            ["inspect", Files.keras, Files.fixture("keras/refuse_custom_k3.keras"), Files.fixture("keras/damaged_kernel_shape.h5"),
             "--json", "--no-verify"]
        },
        Invocation(description: "evaluate", schema: "evaluate") { ["evaluate", Files.model, "--data", Files.data, "--json"] },
        Invocation(description: "evaluate --all-classes", schema: "evaluate") {
            ["evaluate", Files.model, "--data", Files.data, "--json", "--all-classes"]
        },
        Invocation(description: "evaluate NaN loss", schema: "evaluate") { ["evaluate", Files.diverged, "--data", Files.data, "--json"] },
        Invocation(description: "predict", schema: "predict") {
            ["predict", Files.model, "--data", Files.data, "--limit", "3", "--top-k", "2", "--json"]
        },
        Invocation(description: "predict without class names or labels", schema: "predict") {
            ["predict", Files.unnamed.model, "--input", Files.unnamed.input, "--top-k", "3", "--json"]
        },
        Invocation(description: "predict NaN", schema: "predict") { ["predict", Files.diverged, "--data", Files.data, "--limit", "2", "--json"] },
        Invocation(description: "convert to .h5", schema: "convert") { ["convert", Files.model, Files.folder + "/c.h5", "--json"] },
        Invocation(description: "convert from .keras", schema: "convert") { ["convert", Files.keras, Files.folder + "/c.nnm", "--json"] },
        Invocation(description: "convert --strip-optimizer", schema: "convert") {
            ["convert", Files.model, Files.folder + "/s.nnm", "--strip-optimizer", "--json"]
        },
        Invocation(description: "convert --output-dir, one failing", schema: "convert-output-dir", status: 65) {
            ["convert", Files.model, Files.keras, Files.notAModel, "--output-dir", Files.folder + "/many", "--format", "onnx", "--json"]
        },
        Invocation(description: "diff equal", schema: "diff") { ["diff", Files.model, Files.h5, "--json"] },
        Invocation(description: "diff different", schema: "diff", status: 1) { ["diff", Files.model, Files.changed, "--json"] },
    ]

    static func schemas() throws -> JSONSchemaSubset { try JSONSchemaSubset(folder: schemaFolder) }

    /// The invocation described as `name`.
    static func invocation(_ name: String) throws -> Invocation {
        try #require(invocations.first { $0.description == name })
    }

    /// One `train --json` document, made once for the breakage tests.
    static let trainDocument: JSON? = try? document(invocations[0])

    /// Runs `invocation` and parses its standard output.
    static func document(_ invocation: Invocation) throws -> JSON {
        let r = CLIFixtures.run(try invocation.arguments())
        try #require(r.status == invocation.status, "exit \(r.status): \(r.err)")
        return try CLIFixtures.json(r.out)
    }

    // MARK: - The output follows the schema

    @Test(arguments: invocations)
    func outputConformsToTheSchema(_ invocation: Invocation) throws {
        let output = try Self.document(invocation)
        let schemas = try Self.schemas()
        let errors = schemas.errors(output, file: invocation.schema + ".json")
        #expect(errors.isEmpty, "\(errors.joined(separator: "\n"))")
        // Each document (one, or each element of an array) is of the kind expected, with its precise errors.
        let documents = output.arrayValue ?? [output]
        if !invocation.documents.isEmpty { #expect(documents.count == invocation.documents.count) }
        for (i, document) in documents.enumerated() {
            #expect(document.objectValue?.first?.key == "schema_version")
            #expect(document["schema_version"]?.intValue == JSONContract.schemaVersion)
            guard i < invocation.documents.count else { continue }
            let errors = schemas.errors(document, reference: invocation.documents[i])
            #expect(errors.isEmpty, "as \(invocation.documents[i]): \(errors.joined(separator: "\n"))")
        }
    }

    @Test func everyDocumentIsRun() {
        #expect(Set(Self.invocations.map { $0.schema + ".json" }) == Set(Self.documents.map(\.schema)))
        let printed = Set(Self.invocations.flatMap { [$0.schema + ".json"] + $0.documents })
        for document in Self.documents { #expect(printed.contains(document.reference), "\(document.reference) is never printed") }
    }

    /// The paths of the members `value` holds, as the tables write them (`model.layers[].name`; `attributes.*` for
    /// a member of a free-form object that the table lists as `*`).
    static func memberPaths(_ value: JSON, prefix: String = "", into paths: inout Set<String>) {
        if let members = value.objectValue {
            if !members.isEmpty { paths.insert(prefix + "*") }
            for (key, member) in members {
                paths.insert(prefix + key)
                memberPaths(member, prefix: prefix + key + ".", into: &paths)
            }
        } else if let elements = value.arrayValue, !prefix.isEmpty {
            for element in elements { memberPaths(element, prefix: String(prefix.dropLast()) + "[].", into: &paths) }
        }
    }

    /// Members of a document no invocation prints, and why.
    static let neverPrinted: [String: Set<String>] = [
        // Statistics are of the finite values, so only a sum that overflows is not finite; no fixture has HDF5
        // links or arrays nnmodel does not open (`note`), nor enough entries or long enough attributes to be cut;
        // no fixture nnmodel cannot run was compiled, so none has Keras's training configuration (loss, optimizer).
        listing: ["tensors[].min_nonfinite", "tensors[].max_nonfinite", "tensors[].mean_nonfinite", "tensors[].std_nonfinite",
                  "tensors[].note", "tensors_omitted", "attributes_cut", "attributes_omitted", "metadata.loss", "metadata.optimizer"],
    ]

    /// Every member the table of a new document lists is printed by some invocation: one that is no longer printed
    /// (even an optional one) fails here, one that changes type fails `outputConformsToTheSchema`.
    @Test(arguments: [listing, failure])
    func everyListedMemberIsPrinted(_ reference: String) throws {
        var printed: Set<String> = []
        for invocation in Self.invocations where invocation.documents.contains(reference) {
            let output = try Self.document(invocation)
            for (document, kind) in zip(output.arrayValue ?? [output], invocation.documents) where kind == reference {
                Self.memberPaths(document, into: &printed)
            }
        }
        let parts = reference.components(separatedBy: "#/$defs/")
        try #require(parts.count == 2)
        let listed = Set(try Self.schemas().rows(file: parts[0], definition: parts[1]).map(\.path))
        let exempt = Self.neverPrinted[reference] ?? []
        #expect(listed.subtracting(printed).subtracting(exempt).sorted() == [], "listed, never printed")
        #expect(exempt.subtracting(listed).sorted() == [], "exempt, not listed")
        #expect(exempt.intersection(printed).sorted() == [], "exempt, yet printed: no longer exempt")
    }

    /// `details.producer` (optional) is printed where the format records the writer, in inspect and convert alike.
    @Test func detailsNameTheProducer() throws {
        let keras = try Self.document(try Self.invocation("inspect Keras's .keras"))
        #expect(keras["runnable"] == true && keras["details"]?["producer"]?.stringValue == "keras 3.15.1")
        let ours = try Self.document(try Self.invocation("inspect .keras"))["details"]
        #expect(ours?["written_by_nnmodel"] == true && ours?["producer"]?.stringValue?.hasPrefix("nnmodel ") == true)
        #expect(try Self.document(try Self.invocation("convert from .keras"))["details"] == ours)
        let listed = try Self.document(try Self.invocation("inspect, an unsupported layer"))["details"]
        #expect(listed?["producer"]?.stringValue == "keras 3.15.1")
        #expect(try Self.document(try Self.invocation("inspect --no-verify"))["details"]?["producer"] == nil, ".nnm: in the metadata")
    }

    @Test func theOptimizerStateHasOneShape() throws {
        let inspected = try Self.document(try Self.invocation("inspect --tensors"))["optimizer_state"]
        let converted = try Self.document(try Self.invocation("convert to .h5"))["optimizer_state"]
        #expect(inspected?["name"]?.stringValue == "adam" && converted == inspected)
        #expect(try Self.document(try Self.invocation("convert --strip-optimizer"))["optimizer_state"] == .null)
        let many = try Self.document(try Self.invocation("convert --output-dir, one failing"))
        #expect(many["converted"]?.intValue == 2 && many["failed"]?.intValue == 1)
        #expect(many["files"]?.arrayValue?.map { $0["ok"]?.boolValue } == [true, true, false])
        #expect(many["files"]?.arrayValue?.first?["optimizer_state"] == .null, "ONNX stores no optimizer state")
    }

    @Test func trainListsTheLayerObjectsOfInspect() throws {
        let output = CLIFixtures.temporaryFolder() + "/json-contract-train.nnm"
        let train = try Self.document(Invocation(description: "train", schema: "train") {
            ["train", "--data", Files.data, "--epochs", "1", "--hidden", "8", "--json", "--quiet", "--output", output]
        })
        let inspect = try Self.document(Invocation(description: "inspect", schema: "inspect") { ["inspect", output, "--json"] })
        let layers = try #require(train["model"]?["layers"]?.arrayValue)
        #expect(layers.map { $0["class_name"]?.stringValue } == ["Flatten", "Dense", "Dense"])
        #expect(train["model"]?["layers"] == inspect["model"]?["layers"])
        #expect(train["model"]?["parameters"] == inspect["model"]?["parameters"])
    }

    @Test func manyFilesAreOneDocumentEachInOrder() throws {
        let invocation = try Self.invocation("inspect A B, one missing")
        let files = try invocation.arguments().filter { !$0.hasPrefix("--") }.dropFirst()
        let documents = try #require(try Self.document(invocation).arrayValue)
        #expect(documents.map { $0["file"]?.stringValue } == files.map { $0 })
        #expect(documents[1]["exit_status"]?.intValue == 66 && documents[1]["error"]?.stringValue == "\(files.last ?? ""): no such file")
        let damaged = try #require(try Self.document(try Self.invocation("inspect A B C, one it cannot run, one damaged")).arrayValue)
        #expect(damaged.map { $0["runnable"]?.boolValue } == [true, false, nil] && damaged[2]["exit_status"]?.intValue == 65)
    }

    @Test func classesAreAnIndexAndANameOrNull() throws {
        let named = try Self.document(try Self.invocation("evaluate"))
        let first = try #require(named["classification_report"]?["classes"]?.arrayValue?.first)
        #expect(first["class"]?.intValue == 0 && first["name"]?.stringValue == "T-shirt/top")
        #expect(named["class_names"]?.arrayValue?.count == 10)
        let unnamed = try Self.document(try Self.invocation("predict without class names or labels"))
        #expect(unnamed["class_names"] == .array([]))
        let prediction = try #require(unnamed["predictions"]?.arrayValue?.first)
        #expect(prediction["class"]?.intValue != nil && prediction["name"] == .null && prediction["true_class"] == nil)
        #expect(prediction["top"]?.arrayValue?.allSatisfy { $0["name"] == .null } == true)
    }

    @Test func nonFiniteNumbersAreNullWithAFlag() throws {
        let evaluation = try Self.document(try Self.invocation("evaluate NaN loss"))
        #expect(evaluation["loss"] == .null && evaluation["loss_nonfinite"]?.stringValue == "nan")
        let predictions = try Self.document(try Self.invocation("predict NaN"))
        let first = try #require(predictions["predictions"]?.arrayValue?.first)
        #expect(first["probability"] == .null && first["probability_nonfinite"]?.stringValue == "nan")
        let finite = try Self.document(try Self.invocation("evaluate"))
        #expect(finite["loss"]?.doubleValue != nil && finite["loss_nonfinite"] == nil)
    }

    @Test func historyArraysFlagNonFiniteElements() throws {
        let history = History(epochs: [EpochRecord(epoch: 1, loss: 0.5, accuracy: 0.8, seconds: 1),
                                       EpochRecord(epoch: 2, loss: .nan, accuracy: 0.1, seconds: 1),
                                       EpochRecord(epoch: 3, loss: -.infinity, accuracy: 0.1, seconds: 1)])
        let json = InspectionJSON.history(history)
        #expect(json["loss"] == [0.5, nil, nil])
        #expect(json["loss_nonfinite"] == [nil, "nan", "-inf"])
        #expect(json["accuracy_nonfinite"] == nil)
        let errors = try Self.schemas().errors(json, definition: "history")
        #expect(errors.isEmpty, "\(errors)")
    }

    // MARK: - The test fails when the contract breaks

    /// A change to a real output (of `train`, or of the invocation described as `invocation`) and the error the
    /// validator must report against `reference`; the command's own schema must refuse the change too.
    struct Breakage: Sendable, CustomStringConvertible {
        var description: String
        var expected: String
        var invocation = "train"
        var reference = "train.json"
        var change: @Sendable (JSON) -> JSON
    }

    /// `value` with the value at `path` (member names, and array indices as numbers) replaced by `change` of it.
    static func changing(_ value: JSON, at path: [String], _ change: (JSON) -> JSON) -> JSON {
        guard let key = path.first else { return change(value) }
        if var elements = value.arrayValue, let i = Int(key), elements.indices.contains(i) {
            elements[i] = changing(elements[i], at: Array(path.dropFirst()), change)
            return .array(elements)
        }
        return value.setting(key, to: changing(value[key] ?? .null, at: Array(path.dropFirst()), change))
    }

    /// `value` without the member `key` of the object at `path`.
    static func removing(_ key: String, at path: [String] = [], from value: JSON) -> JSON {
        changing(value, at: path) { .object(($0.objectValue ?? []).filter { $0.key != key }) }
    }

    static let breakages: [Breakage] = [
        Breakage(description: "a required member removed", expected: "missing required member 'training_seconds'") {
            .object(($0.objectValue ?? []).filter { $0.key != "training_seconds" })
        },
        Breakage(description: "a member retyped", expected: "$.training_seconds: expected number, found a string") {
            $0.setting("training_seconds", to: "1.5")
        },
        Breakage(description: "an integer that is not one", expected: "$.history.epoch[0]: expected integer") {
            $0.setting("history", to: ($0["history"] ?? .null).setting("epoch", to: [1.5]))
        },
        Breakage(description: "an undocumented member", expected: "member 'learning_rate' is not in the schema") {
            $0.setting("learning_rate", to: 0.001)
        },
        Breakage(description: "layers as strings, as before schema_version", expected: "$.model.layers[0]: expected object") {
            $0.setting("model", to: ($0["model"] ?? .null).setting("layers", to: ["Dense(dense)"]))
        },
        Breakage(description: "another schema_version", expected: "$.schema_version: 2 is not one of [1]") {
            $0.setting("schema_version", to: 2)
        },
        Breakage(description: "a number as a string where strings are allowed", expected: "the number \"3\" is a string") {
            $0.setting("test", to: ($0["test"] ?? .null).setting("class_names", to: ["3"]))
        },
        Breakage(description: "a wrong nonfinite kind", expected: "\"infinity\" is not one of") {
            $0.setting("test", to: ($0["test"] ?? .null).setting("loss", to: nil).setting("loss_nonfinite", to: "infinity"))
        },
        Breakage(description: "inspect: runnable removed", expected: "missing required member 'runnable'",
                 invocation: "inspect .keras", reference: inspection) { removing("runnable", from: $0) },
        Breakage(description: "inspect: details.producer retyped", expected: "$.details.producer: expected string",
                 invocation: "inspect .keras", reference: inspection) { changing($0, at: ["details", "producer"]) { _ in ["nnmodel"] } },
        Breakage(description: "a listing: cannot_run removed", expected: "missing required member 'cannot_run'",
                 invocation: "inspect, an unsupported layer", reference: listing) { removing("cannot_run", from: $0) },
        Breakage(description: "a listing that says it runs", expected: "$.runnable: true is not one of [false]",
                 invocation: "inspect, an unsupported layer", reference: listing) { $0.setting("runnable", to: true) },
        Breakage(description: "a listing: an obstacle not documented", expected: "\"unsupported\" is not one of",
                 invocation: "inspect, an unsupported layer", reference: listing) { $0.setting("obstacle", to: "unsupported") },
        Breakage(description: "a listing: a layer's supported retyped", expected: "$.model.layers[1].supported: expected boolean",
                 invocation: "inspect, an unsupported layer", reference: listing) {
            changing($0, at: ["model", "layers", "1", "supported"]) { _ in "no" }
        },
        Breakage(description: "a listing: a layer's problem retyped", expected: "$.model.layers[1].problem: expected string",
                 invocation: "inspect, an unsupported layer", reference: listing) {
            changing($0, at: ["model", "layers", "1", "problem"]) { _ in ["unsupported class"] }
        },
        Breakage(description: "a listing: an output shape as text", expected: "$.model.layers[1].output_shape: expected array or null",
                 invocation: "inspect, an unsupported layer", reference: listing) {
            changing($0, at: ["model", "layers", "1", "output_shape"]) { _ in "(3, 3, 2)" }
        },
        Breakage(description: "a listing: a layer's inputs as one string", expected: "$.model.layers[1].inputs: expected array",
                 invocation: "inspect, a graph of layers", reference: listing) {
            changing($0, at: ["model", "layers", "1", "inputs"]) { _ in "input_layer" }
        },
        Breakage(description: "a listing: the weights' shape retyped", expected: "$.tensors[0].shape[0]: expected integer",
                 invocation: "inspect, weights only", reference: listing) { changing($0, at: ["tensors", "0", "shape"]) { _ in [784.5, 8] } },
        Breakage(description: "a listing: model as a string", expected: "$.model: expected object or null",
                 invocation: "inspect, weights only", reference: listing) { $0.setting("model", to: "none") },
        Breakage(description: "a listing: an attribute list not of strings", expected: "$.attributes_cut[0]: expected string",
                 invocation: "inspect, an HDF5 file that is no model", reference: listing) { $0.setting("attributes_cut", to: [1]) },
        Breakage(description: "a listing: checksums without available", expected: "$.checksums: missing required member 'available'",
                 invocation: "inspect, an HDF5 file that is no model", reference: listing) { removing("available", at: ["checksums"], from: $0) },
        Breakage(description: "many files: an error without its exit status", expected: "$[1]: missing required member 'exit_status'",
                 invocation: "inspect A B, one missing", reference: "inspect-many.json") { removing("exit_status", at: ["1"], from: $0) },
        Breakage(description: "many files: an exit status as text", expected: "$[1].exit_status: expected integer",
                 invocation: "inspect A B, one missing", reference: "inspect-many.json") {
            changing($0, at: ["1", "exit_status"]) { _ in "66" }
        },
        Breakage(description: "many files: a document not in an array", expected: "$: expected array",
                 invocation: "inspect A B, one missing", reference: "inspect-many.json") { $0.arrayValue?.first ?? $0 },
        Breakage(description: "many files: a listing without its obstacle", expected: "$[1]: missing required member 'obstacle'",
                 invocation: "inspect A B C, one it cannot run, one damaged", reference: "inspect-many.json") {
            removing("obstacle", at: ["1"], from: $0)
        },
    ]

    @Test(arguments: breakages)
    func theValidatorCatches(_ breakage: Breakage) throws {
        let output = breakage.invocation == "train"
            ? try #require(Self.trainDocument) : try Self.document(try Self.invocation(breakage.invocation))
        let schemas = try Self.schemas()
        #expect(schemas.errors(output, reference: breakage.reference).isEmpty)
        let changed = breakage.change(output)
        let errors = schemas.errors(changed, reference: breakage.reference)
        #expect(errors.contains { $0.contains(breakage.expected) }, "\(errors)")
        let file = String(breakage.reference.prefix { $0 != "#" })
        let whole = schemas.errors(changed, file: file)
        #expect(!whole.isEmpty, "\(file) accepts it")
        #expect(whole.contains { $0.contains(breakage.expected) }, "\(file): \(whole)")
    }

    // MARK: - The page and the schema agree

    @Test(arguments: documents)
    func thePageListsTheSchemasMembers(_ document: Document) throws {
        let documented = try JSONPage(path: Self.page).rows(section: "## " + document.heading)
        let schema = try Self.schemas().rows(file: document.schema, definition: document.definition)
        #expect(!schema.isEmpty)
        #expect(documented == schema, "in JSON.md, not in the schema: \(Set(documented).subtracting(schema).sorted()); in the schema, not in JSON.md: \(Set(schema).subtracting(documented).sorted())")
    }

    @Test func thePageListsTheSharedObjectsMembers() throws {
        let schemas = try Self.schemas()
        let page = try JSONPage(path: Self.page)
        let definitions = schemas.files["common.json"]?["$defs"]?.objectValue?.map(\.key) ?? []
        #expect(definitions.contains("model") && definitions.contains("layer"))
        #expect(Set(schemas.files.keys) == Set(Self.documents.map(\.schema) + ["common.json"]), "a schema file without a section")
        for name in definitions {
            let documented = page.rows(section: "### " + name), schema = schemas.rows(file: "common.json", definition: name)
            #expect(documented == schema, "\(name): in JSON.md only: \(Set(documented).subtracting(schema).sorted()); in the schema only: \(Set(schema).subtracting(documented).sorted())")
        }
    }

    /// The example follows the command's schema, and is (or, an array, holds) a document of the table's kind.
    @Test(arguments: documents)
    func thePagesExampleConforms(_ document: Document) throws {
        let examples = try JSONPage(path: Self.page).jsonBlocks(section: "## " + document.heading)
        #expect(examples.count == 1)
        let schemas = try Self.schemas()
        for text in examples {
            let example = try JSON(parsing: text)
            let errors = schemas.errors(example, file: document.schema)
            #expect(errors.isEmpty, "\(errors)")
            let documents = example.arrayValue ?? [example]
            #expect(documents.allSatisfy { $0.objectValue?.first?.key == "schema_version" })
            #expect(documents.contains { schemas.errors($0, reference: document.reference).isEmpty }, "no \(document.reference)")
        }
    }

    @Test(arguments: documents)
    func everySchemaHasTheCurrentVersion(_ document: Document) throws {
        let schema = try #require(try Self.schemas().resolve(document.reference, from: "")?.schema)
        #expect(schema["properties"]?["schema_version"]?["enum"] == .array([.int(JSONContract.schemaVersion)]))
        #expect(schema["required"]?.arrayValue?.first == "schema_version")
    }
}

/// `docs/JSON.md` as the tests read it: sections by heading, their member tables and their JSON examples.
struct JSONPage {
    var lines: [String]

    init(path: String) throws {
        lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
    }

    /// The lines under `heading` (exactly, e.g. `## train`) up to the next heading, with a flag for code lines.
    func section(_ heading: String) -> [(line: String, code: Bool)] {
        var out: [(String, Bool)] = []
        var inside = false, fence = false
        for line in lines {
            if line.hasPrefix("```") {
                fence.toggle()
                if inside { out.append((line, true)) }
                continue
            }
            if !fence && line.hasPrefix("#") {
                if inside { break }
                inside = line == heading
                continue
            }
            if inside { out.append((line, fence)) }
        }
        return out
    }

    /// The table rows of the section: path, type (links reduced to their text) and presence.
    func rows(section heading: String) -> [JSONSchemaSubset.Row] {
        section(heading).filter { !$0.code && $0.line.hasPrefix("| `") }.map { entry in
            let cells = entry.line.split(separator: "|", omittingEmptySubsequences: false).dropFirst()
                .map { $0.trimmingCharacters(in: .whitespaces) }
            let path = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            return JSONSchemaSubset.Row(path: path, type: Self.linkText(cells[1]), presence: cells[2])
        }.sorted()
    }

    /// The contents of the section's ```json blocks.
    func jsonBlocks(section heading: String) -> [String] {
        var blocks: [String] = []
        var current: [String]?
        for (line, code) in section(heading) where code {
            if line == "```json" { current = [] } else if line == "```" {
                if let current { blocks.append(current.joined(separator: "\n")) }
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    /// `[text](target)` as `text`.
    static func linkText(_ cell: String) -> String {
        var out = "", rest = Substring(cell)
        while let open = rest.firstIndex(of: "["), let close = rest[open...].firstIndex(of: "]"),
              rest.index(after: close) < rest.endIndex, rest[rest.index(after: close)] == "(",
              let end = rest[close...].firstIndex(of: ")") {
            out += String(rest[..<open]) + String(rest[rest.index(after: open)..<close])
            rest = rest[rest.index(after: end)...]
        }
        return out + String(rest)
    }
}
