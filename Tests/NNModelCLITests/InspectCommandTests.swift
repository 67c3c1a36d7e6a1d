import Foundation
import NNModel
@testable import NNModelCLI
import NNTestSupport
import Testing

/// `nnmodel inspect`: the summary table and the file's provenance; files nnmodel reads but cannot
/// run; many files at once.
@Suite struct InspectCommandTests {
    static var keras: String { CLIFixtures.repository + "/Fixtures/keras/" }

    /// The type column holds the class alone, as Keras's `summary()` does; the activation is in
    /// the details column.
    @Test func theTypeColumnIsTheClassAndTheActivationIsADetail() throws {
        let r = CLIFixtures.run(["inspect", CLIFixtures.trainedModel])
        #expect(r.status == 0, "\(r.err)")
        let rows = r.out.split(separator: "\n").filter { $0.hasPrefix("│ dense") }
        #expect(rows.count == 2, "\(r.out)")
        #expect(rows.first?.hasPrefix("│ dense (Dense) ") == true && rows.first?.contains("activation=relu") == true, "\(r.out)")
        #expect(rows.last?.hasPrefix("│ dense_1 (Dense) ") == true && rows.last?.contains("activation=softmax") == true, "\(r.out)")
        #expect(!r.out.contains("Dense, "), "\(r.out)")
        #expect(r.out.contains("┃ Details"), "\(r.out)")
    }

    /// A Keras file nnmodel wrote keeps the `keras_version` Keras's loader expects, and is
    /// reported as written by nnmodel, not by that Keras.
    @Test(arguments: ["h5", "keras"])
    func aKerasFileNNModelWroteNamesNNModel(_ ext: String) throws {
        let path = CLIFixtures.temporaryFolder() + "/written.\(ext)"
        #expect(CLIFixtures.run(["convert", CLIFixtures.trainedModel, path]).status == 0)
        let r = CLIFixtures.run(["inspect", path])
        #expect(r.status == 0, "\(r.err)")
        let writtenBy = r.out.split(separator: "\n").first { $0.hasPrefix("Written by:") }.map(String.init) ?? ""
        #expect(writtenBy.contains("nnmodel \(NNModelVersion.string)"), "\(r.out)")
        #expect(writtenBy.contains("keras_version \(ext == "h5" ? "2.15.0" : "3.15.1")") && writtenBy.contains("recorded for Keras's loader"),
                "\(writtenBy)")
        #expect(!r.out.contains("Keras version:") && !r.out.contains("Producer:"), "said once, as Written by: \(r.out)")
        let json = try CLIFixtures.json(CLIFixtures.run(["inspect", path, "--json"]).out)
        #expect(json["details"]?["producer"]?.stringValue == "nnmodel \(NNModelVersion.string)")
        #expect(json["details"]?["written_by_nnmodel"]?.boolValue == true)
        #expect(json["details"]?["keras_version"]?.stringValue == (ext == "h5" ? "2.15.0" : "3.15.1"))
    }

    /// A file Keras wrote is reported as Keras's.
    @Test func aKerasFileKerasWroteNamesKeras() throws {
        let r = CLIFixtures.run(["inspect", Self.keras + "fmnist8_k3.keras"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("Keras version: 3.15.1") && !r.out.contains("Written by:"), "\(r.out)")
        let json = try CLIFixtures.json(CLIFixtures.run(["inspect", Self.keras + "fmnist8_k3.keras", "--json"]).out)
        #expect(json["details"]?["producer"]?.stringValue == "keras 3.15.1")
        #expect(json["details"]?["written_by_nnmodel"]?.boolValue == false)
    }

    // MARK: Files nnmodel reads but cannot run

    /// A Keras model with layers nnmodel does not run: exit 0, its layers as written with the
    /// unsupported ones marked with the loader's reason, the Keras version and layout, every array.
    @Test(arguments: [("refuse_depthwise_k3.keras", "per_channel", "DepthwiseConv2D"), ("refuse_lambda_k3.keras", "double", "Lambda"),
                      ("refuse_custom_k3.keras", "scale", "ScaleBy"), ("refuse_branching_k3.keras", "join", "Add"),
                      ("refuse_branching_k3.h5", "join", "Add"), ("refuse_lambda_tfk.h5", "double", "Lambda"),
                      ("refuse_lstm_k3.keras", "recurrent", "LSTM")])
    func aKerasModelWithUnsupportedLayersIsListed(_ file: String, _ layer: String, _ className: String) throws {
        let path = Self.keras + file
        let r = CLIFixtures.run(["inspect", path])
        #expect(r.status == 0 && r.err.isEmpty, "\(r.err)")
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("nnmodel reads this file but cannot run it: \(path): ") == true, "\(r.out)")
        #expect(lines.contains { $0.hasPrefix("│ \(layer) (\(className)") && $0.contains("✗") }, "\(r.out)")
        #expect(lines.contains { $0.hasPrefix(" ✗ \(layer): ") && $0.contains(className) }, "\(r.out)")
        #expect(r.out.contains("Keras version: ") && r.out.contains("Format:        Keras "), "\(r.out)")
        #expect(r.out.contains("Runnable:      no (unsupported architecture)") && r.out.contains("Stored arrays"), "\(r.out)")
        let json = try CLIFixtures.json(CLIFixtures.run(["inspect", path, "--json"]).out)
        #expect(json["runnable"]?.boolValue == false && json["obstacle"]?.stringValue == "unsupported_architecture")
        #expect(json["cannot_run"]?.stringValue?.hasPrefix(path + ": ") == true)
        let layers = try #require(json["model"]?["layers"]?.arrayValue)
        let marked = try #require(layers.first { $0["name"]?.stringValue == layer })
        #expect(marked["supported"]?.boolValue == false && marked["problem"]?.stringValue?.contains(className) == true)
        #expect(marked["config"]?["name"]?.stringValue == layer, "the config as written")
        #expect((json["tensors"]?.arrayValue?.count ?? 0) >= 4)
        #expect(json["details"]?["keras_version"]?.stringValue != nil)
        #expect(json["history"]?.isNull == true && json["checksums"]?["checked"]?.boolValue == false, "an inspection's members")
    }

    /// evaluate, predict and convert still refuse such files, with the loader's message.
    @Test func otherCommandsStillRefuseAnUnsupportedModel() throws {
        let path = Self.keras + "refuse_depthwise_k3.keras"
        let folder = CLIFixtures.temporaryFolder()
        for arguments in [["evaluate", path, "--data", CLIFixtures.smallDataset], ["predict", path, "--data", CLIFixtures.smallDataset],
                          ["convert", path, folder + "/conv.nnm"]] {
            let r = CLIFixtures.run(arguments)
            #expect(r.status == 65, "\(arguments[0]): \(r.err)")
            #expect(r.err == "nnmodel: error: \(path): layer 'per_channel' has unsupported class 'DepthwiseConv2D'; supported: \(LayerKind.supportedClassNames.joined(separator: ", "))\n",
                    "\(arguments[0]): \(r.err)")
        }
    }

    /// A file of weights alone: its arrays, and how to make it runnable.
    @Test(arguments: ["fmnist8_k3.weights.h5", "fmnist8_tfk.weights.h5", "fmnist8_tfk_legacy_weights.h5"])
    func weightsAloneAreListedWithTheirArrays(_ file: String) throws {
        let path = Self.keras + file
        let r = CLIFixtures.run(["inspect", path, "--tensors"])
        #expect(r.status == 0 && r.err.isEmpty, "\(r.err)")
        #expect(r.out.contains("holds weights only") && r.out.contains("--architecture FILE") && r.out.contains("--config"), "\(r.out)")
        #expect(r.out.contains("Runnable:  no (weights only)") || r.out.contains("Runnable:      no (weights only)"), "\(r.out)")
        #expect(r.out.contains(" min ┃") && r.out.contains("[784, 8]"), "statistics with --tensors: \(r.out)")
        let json = try CLIFixtures.json(CLIFixtures.run(["inspect", path, "--json", "--tensors"]).out)
        #expect(json["runnable"]?.boolValue == false && json["obstacle"]?.stringValue == "weights_only" && json["model"]?.isNull == true)
        let tensors = try #require(json["tensors"]?.arrayValue)
        #expect(tensors.contains { $0["shape"] == .ints([784, 8]) && $0["dtype"]?.stringValue == "float32" && $0["min"]?.doubleValue != nil })
        // With the architecture, the same file is a model.
        let from = file.contains("tfk") ? "fmnist8_tfk.h5" : "fmnist8_k3.keras"
        let runnable = CLIFixtures.run(["inspect", path, "--architecture", Self.keras + from, "--json"])
        #expect(runnable.status == 0, "\(runnable.err)")
        #expect(try CLIFixtures.json(runnable.out)["runnable"]?.boolValue == true)
    }

    @Test func aSafetensorsFileOfWeightsAloneIsListed() throws {
        let header = Array(#"{"__metadata__":{"format":"pt"},"0.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#.utf8)
        let n = UInt64(header.count)
        let bytes = (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + header
            + [Float(1), 2, 3, 4].flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        let path = CLIFixtures.temporaryFolder() + "/foreign.safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let r = CLIFixtures.run(["inspect", path, "--tensors"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("holds weights only") && r.out.contains("0.weight") && r.out.contains("format: pt"), "\(r.out)")
        #expect(r.out.split(separator: "\n").contains { $0.contains("0.weight") && $0.contains("2.5000") }, "the mean: \(r.out)")
    }

    /// Any other HDF5 file: its datasets like h5ls -r, and its root attributes.
    @Test func anHDF5FileThatIsNoModelIsListedLikeH5ls() throws {
        let path = CLIFixtures.repository + "/Fixtures/hdf5/h5py_types.h5"
        let r = CLIFixtures.run(["inspect", path])
        #expect(r.status == 0 && r.err.isEmpty, "\(r.err)")
        #expect(r.out.contains("Format:    HDF5 file (not a Keras model)") && r.out.contains("Runnable:  no (not a model)"), "\(r.out)")
        #expect(r.out.split(separator: "\n").contains { $0.contains("/chunked_gzip") && $0.contains("float32") && $0.contains("[100, 10]") })
        #expect(r.out.contains("Attributes:") && r.out.contains("vlen_utf8:     héllo ✓"), "\(r.out)")
        let json = try CLIFixtures.json(CLIFixtures.run(["inspect", path, "--json"]).out)
        #expect(json["obstacle"]?.stringValue == "not_a_model" && json["attributes"]?["ints"] == .ints([1, 2, 3]))
        #expect(json["tensors"]?.arrayValue?.count == 13)
    }

    @Test(arguments: ["damaged_kernel_shape.h5", "damaged_random.h5", "damaged_no_config.keras", "damaged_zip_bomb.keras"])
    func damagedFilesStillExit65(_ file: String) throws {
        let r = CLIFixtures.run(["inspect", Self.keras + file])
        #expect(r.status == 65 && r.out.isEmpty, "\(r.out)")
        #expect(r.err.hasPrefix("nnmodel: error: ") && r.err.split(separator: "\n").count == 1, "\(r.err)")
    }

    // MARK: Many files

    @Test func manyFilesGetOneReportEachUnderAHeader() throws {
        let files = [CLIFixtures.trainedModel, Self.keras + "refuse_depthwise_k3.keras", Self.keras + "fmnist8_k3.weights.h5"]
        let r = CLIFixtures.run(["inspect"] + files + ["--no-verify"])
        #expect(r.status == 0 && r.err.isEmpty, "\(r.err)")
        let headers = r.out.split(separator: "\n", omittingEmptySubsequences: false).enumerated().filter { $0.element.hasPrefix("==> ") }
        #expect(headers.map { String($0.element) } == files.map { "==> \($0) <==" }, "\(r.out)")
        #expect(headers.first?.offset == 0)
        let lines = r.out.split(separator: "\n", omittingEmptySubsequences: false)
        for (offset, _) in headers.dropFirst() { #expect(lines[offset - 1].isEmpty, "a blank line before each later header") }
        // One file: no header.
        #expect(!CLIFixtures.run(["inspect", CLIFixtures.trainedModel, "--no-verify"]).out.contains("==>"))
    }

    @Test func manyFilesInJSONAreAnArrayWithOneDocumentEach() throws {
        let missing = CLIFixtures.temporaryFolder() + "/missing.nnm"
        let files = [CLIFixtures.trainedModel, missing, Self.keras + "refuse_lambda_k3.keras"]
        let r = CLIFixtures.run(["inspect"] + files + ["--json", "--no-verify"])
        #expect(r.status == 66)
        #expect(r.err == "nnmodel: error: \(missing): no such file\n", "\(r.err)")
        let documents = try #require(try CLIFixtures.json(r.out).arrayValue)
        #expect(documents.map { $0["file"]?.stringValue } == files)
        #expect(documents.map { $0["runnable"]?.boolValue } == [true, nil, false])
        #expect(documents[1]["exit_status"]?.intValue == 66 && documents[1]["error"]?.stringValue == "\(missing): no such file")
        #expect(documents[0]["model"]?["layers"]?.arrayValue?.count == 3)
        // One file: one document, as before.
        let one = try CLIFixtures.json(CLIFixtures.run(["inspect", CLIFixtures.trainedModel, "--json", "--no-verify"]).out)
        #expect(one.arrayValue == nil && one["runnable"]?.boolValue == true)
    }

    /// The exit status of many files: the first failing file's (65, 66, 74), else 1 when a
    /// checksum does not match, else 0; every file is still reported.
    @Test func theExitStatusOfManyFilesIsTheWorst() throws {
        let folder = CLIFixtures.temporaryFolder()
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: CLIFixtures.trainedModel)))
        bytes[bytes.count - 100] ^= 0x01
        let corrupt = folder + "/crc.nnm"
        try Data(bytes).write(to: URL(fileURLWithPath: corrupt))
        let good = CLIFixtures.trainedModel, unsupported = Self.keras + "refuse_custom_k3.keras"
        let missing = folder + "/none.h5", damaged = Self.keras + "damaged_kernel_shape.h5"
        let cases: [([String], Int32)] = [
            ([good, unsupported], 0),
            ([good, corrupt], 1), ([corrupt, good], 1),
            ([corrupt, missing], 66), ([good, damaged, missing], 65), ([missing, damaged], 66),
            ([unsupported, damaged, corrupt], 65),
        ]
        for (files, status) in cases {
            let r = CLIFixtures.run(["inspect"] + files)
            #expect(r.status == status, "\(files.map { $0.split(separator: "/").last ?? "" }): \(r.status) \(r.err)")
            let reported = r.out.split(separator: "\n").filter { $0.hasPrefix("==> ") }.count
            let failed = files.filter { $0 == missing || $0 == damaged }.count
            #expect(reported == files.count - failed, "every readable file is reported: \(r.out)")
            #expect(r.err.split(separator: "\n").count == failed + (files.contains(corrupt) ? 1 : 0), "\(r.err)")
        }
    }

    /// A very long layer name is cut in the summary table, so it cannot widen every row (a
    /// 64,000-character name made inspect print 257 MB for 1,000 layers).
    @Test func longLayerNamesAreCutInTheTable() throws {
        let folder = try TemporaryFolder("long-name-table")
        let long = String(repeating: "L", count: 3_000)
        let layers = [Layer(name: long, kind: .dense(Dense(units: 3, activation: .relu)))]
            + (0..<50).map { Layer(name: "act_\($0)", kind: .activation(.relu)) }
        let path = folder.file("m.nnm")
        try ModelFile.save(try Sequential(ModelArchitecture(inputShape: [4], layers: layers), seed: 1), to: path)
        let r = CLIFixtures.run(["inspect", path, "--no-verify"])
        #expect(r.status == 0, "\(r.err)")
        let widest = r.out.split(separator: "\n").map(\.count).max() ?? 0
        #expect(widest < 4 * (BoxTable.maximumCellWidth + 3), "\(widest) characters")
        #expect(r.out.contains(String(repeating: "L", count: BoxTable.maximumCellWidth - 1) + "…"))
    }
}
