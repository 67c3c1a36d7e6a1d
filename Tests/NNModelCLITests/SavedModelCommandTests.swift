import Foundation
import NNModel
import NNModelCLI
import NNTestSupport
import Testing

@Suite(.serialized) struct SavedModelCommandTests {
    var model: String { CLIFixtures.trainedModel }
    var data: String { CLIFixtures.smallDataset }

    @Test func inspectShowsTheSummary() throws {
        let r = CLIFixtures.run(["inspect", model])
        #expect(r.status == 0, "\(r.err)")
        for text in ["Model: \"sequential\"", "dense (Dense)", "activation=relu", "(None, 128)", "100,480", "1,290",
                     "Total params: 101,770", "Format:", "nnm 1.0", "Storage dtype: float32", "all 12 tensors verify",
                     "Training history:", "Classes:", "Optimizer:"] {
            #expect(r.out.contains(text), "missing \(text)")
        }
    }

    @Test func inspectJSONAndTensors() throws {
        let r = CLIFixtures.run(["inspect", model, "--json", "--tensors"])
        #expect(r.status == 0, "\(r.err)")
        let json = try CLIFixtures.json(r.out)
        #expect(json["format"]?.stringValue == "nnm 1.0")
        #expect(json["model"]?["parameters"]?["trainable"]?.intValue == 101_770)
        #expect(json["checksums"]?["ok"]?.boolValue == true)
        let tensors = try #require(json["tensors"]?.arrayValue)
        #expect(tensors.count == 12)
        let kernel = try #require(tensors.first)
        #expect(kernel["name"]?.stringValue == "dense/kernel")
        #expect(kernel["shape"] == .ints([784, 128]))
        let lo = try #require(kernel["min"]?.doubleValue), hi = try #require(kernel["max"]?.doubleValue)
        #expect(lo < 0 && hi > 0)
        #expect(json["history"]?["loss"]?.arrayValue?.count == 2)
    }

    @Test func inspectNoVerifyReadsOnlyTheHeader() throws {
        let r = CLIFixtures.run(["inspect", model, "--no-verify"])
        #expect(r.status == 0)
        #expect(r.out.contains("not checked"))
    }

    @Test func evaluateJSON() throws {
        let r = CLIFixtures.run(["evaluate", model, "--data", data, "--json"])
        #expect(r.status == 0, "\(r.err)")
        let json = try CLIFixtures.json(r.out)
        #expect(json["samples"]?.intValue == 500)
        let accuracy = try #require(json["accuracy"]?.doubleValue)
        #expect(accuracy > 0.7)
        let matrix = try #require(json["confusion_matrix"]?.arrayValue)
        let rows: [[Int]] = matrix.map { row in (row.arrayValue ?? []).compactMap(\.intValue) }
        let total = rows.map { $0.reduce(0, +) }.reduce(0, +)
        #expect(total == 500)
        #expect(json["classification_report"]?["classes"]?.arrayValue?.count == 10)
    }

    @Test func predictFormats() throws {
        let text = CLIFixtures.run(["predict", model, "--data", data, "--limit", "4", "--top-k", "3"])
        #expect(text.status == 0, "\(text.err)")
        #expect(text.out.split(separator: "\n").count == 3 + 4 * 2)
        let csv = CLIFixtures.run(["predict", model, "--data", data, "--limit", "5", "--csv", "--top-k", "2"])
        let lines = csv.out.split(separator: "\n")
        #expect(lines.first == "index,class_1,name_1,probability_1,class_2,name_2,probability_2,true_class")
        #expect(lines.count == 6)
        #expect(lines[1].hasSuffix(",9"), "the first test image is an ankle boot: \(lines[1])")
        let json = try CLIFixtures.json(CLIFixtures.run(["predict", model, "--data", data, "--limit", "2", "--json"]).out)
        #expect(json["predictions"]?.arrayValue?.count == 2)
        #expect(json["predictions"]?.arrayValue?.first?["true_class"]?.intValue == 9)
    }

    @Test func predictNPYInputAndOutput() throws {
        let folder = CLIFixtures.temporaryFolder()
        let test = try DataSource(data).load(.test).slice(0..<20)
        guard case let .uint8(pixels, _) = test.features else { Issue.record("expected bytes"); return }
        let x = folder + "/x.npy", p = folder + "/p.npy"
        try NPYArray.write(floats: pixels.map { Float(Double($0) / 255) }, shape: [20, 28, 28], to: x)
        let r = CLIFixtures.run(["predict", model, "--input", x, "--output", p])
        #expect(r.status == 0, "\(r.err)")
        let probabilities = try NPYArray(path: p)
        #expect(probabilities.shape == [20, 10])
        let direct = try ModelFile.load(model).predict(test.featureTensor())
        #expect(probabilities.floats == direct.scalars)
        // uint8 input is scaled to [0, 1]
        let xb = folder + "/xb.npy"
        var npy = NPYArray.encode(floats: [], shape: [20, 28, 28])
        let descr = try #require(npy.firstRange(of: Array("<f4".utf8)))
        npy.replaceSubrange(descr, with: Array("|u1".utf8))
        npy += pixels
        try Data(npy).write(to: URL(fileURLWithPath: xb))
        let pb = folder + "/pb.npy"
        #expect(CLIFixtures.run(["predict", model, "--input", xb, "--output", pb]).status == 0)
        let fromBytes = try NPYArray(path: pb)
        for (a, b) in zip(fromBytes.floats, direct.scalars) { #expect(abs(a - b) < 1e-5) }
    }

    @Test func evaluateWithNPYLabels() throws {
        let folder = CLIFixtures.temporaryFolder()
        let test = try DataSource(data).load(.test).slice(0..<50)
        guard case let .uint8(pixels, _) = test.features, case let .classes(labels)? = test.labels else { return }
        try NPYArray.write(floats: pixels.map { Float($0) / 255 }, shape: [50, 784], to: folder + "/x.npy")
        try NPYArray.write(floats: labels.map(Float.init), shape: [50], to: folder + "/y.npy")
        let r = CLIFixtures.run(["evaluate", model, "--input", folder + "/x.npy", "--labels", folder + "/y.npy", "--json"])
        #expect(r.status == 0, "\(r.err)")
        #expect(try CLIFixtures.json(r.out)["samples"]?.intValue == 50)
    }

    /// The report on a subset follows scikit-learn (classes among the true or predicted ones;
    /// `--all-classes` for all), and the confusion matrix has no unlabelled column.
    @Test func reportOnASubsetAndTheMatrixColumns() throws {
        let folder = CLIFixtures.temporaryFolder()
        let test = try DataSource(data).load(.test).slice(0..<20)
        guard case let .uint8(pixels, _) = test.features, case let .classes(labels)? = test.labels else { return }
        try NPYArray.write(floats: pixels.map { Float($0) / 255 }, shape: [20, 784], to: folder + "/sub-x.npy")
        try NPYArray.write(floats: labels.map(Float.init), shape: [20], to: folder + "/sub-y.npy")
        let args = ["evaluate", model, "--input", folder + "/sub-x.npy", "--labels", folder + "/sub-y.npy"]
        let json = try CLIFixtures.json(CLIFixtures.run(args + ["--json"]).out)
        let reported = json["classification_report"]?["classes"]?.arrayValue?.compactMap { $0["class"]?.intValue } ?? []
        let matrix = json["confusion_matrix"]?.arrayValue?.map { $0.arrayValue?.compactMap(\.intValue) ?? [] } ?? []
        let present = (0..<10).filter { i in matrix[i].reduce(0, +) > 0 || matrix.reduce(0) { $0 + $1[i] } > 0 }
        #expect(reported == present && !present.isEmpty && present.count <= 10)
        let all = try CLIFixtures.json(CLIFixtures.run(args + ["--json", "--all-classes"]).out)
        #expect(all["classification_report"]?["classes"]?.arrayValue?.count == 10)
        let text = CLIFixtures.run(args).out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = text.firstIndex(where: { $0.hasPrefix("Confusion matrix") }) else {
            Issue.record("no confusion matrix in \(text)")
            return
        }
        let header = text[start + 1].split(separator: " ")
        #expect(header == (0..<10).map { Substring(String($0)) })
        for row in text[(start + 2)..<(start + 12)] {
            // "<index> <name>" then exactly ten counts.
            let cells = row.split(separator: " ")
            #expect(cells.suffix(10).allSatisfy { Int($0) != nil } && Int(cells[0]) != nil, "\(row)")
            #expect(row.count == text[start + 1].count, "\(row) is longer than the header")
        }
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        var name: String
        var make: @Sendable (String) throws -> [String]
        var status: Int32
        var message: String
        var testDescription: String { name }
    }

    static let badInputs: [BadInput] = [
        BadInput(name: "missing model", make: { _ in ["evaluate", "/nonexistent/m.nnm"] }, status: 66, message: "/nonexistent/m.nnm: no such file"),
        BadInput(name: "zero-byte model", make: { folder in
            try Data().write(to: URL(fileURLWithPath: folder + "/zero.nnm"))
            return ["evaluate", folder + "/zero.nnm"]
        }, status: 65, message: "zero.nnm: not an nnm model file"),
        BadInput(name: "checksum mismatch", make: { folder in
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: CLIFixtures.trainedModel)))
            bytes[bytes.count - 10_000] ^= 0xFF
            try Data(bytes).write(to: URL(fileURLWithPath: folder + "/bad.nnm"))
            return ["evaluate", folder + "/bad.nnm", "--data", CLIFixtures.smallDataset]
        }, status: 65, message: "checksum mismatch in tensor"),
        BadInput(name: "input shape does not fit", make: { folder in
            try NPYArray.write(floats: [Float](repeating: 0, count: 30), shape: [3, 10], to: folder + "/x.npy")
            return ["predict", CLIFixtures.trainedModel, "--input", folder + "/x.npy"]
        }, status: 65, message: "expects input of shape [28, 28]"),
        BadInput(name: "labels without input", make: { _ in ["evaluate", CLIFixtures.trainedModel, "--labels", "y.npy"] },
                 status: 64, message: "--labels needs --input"),
        BadInput(name: "not npy", make: { folder in
            try Data("hello".utf8).write(to: URL(fileURLWithPath: folder + "/x.npy"))
            return ["predict", CLIFixtures.trainedModel, "--input", folder + "/x.npy"]
        }, status: 65, message: "x.npy: not a usable NumPy .npy file"),
        BadInput(name: "weights only, no architecture", make: { _ in
            ["evaluate", CLIFixtures.repository + "/Fixtures/keras/fmnist8_k3.weights.h5", "--data", CLIFixtures.smallDataset]
        }, status: 65, message: "holds weights only, no architecture; the architecture must be given separately (a model file or a Keras model config of the same model); give --architecture FILE"),
        BadInput(name: "dtype the format cannot store", make: { folder in
            ["convert", CLIFixtures.trainedModel, folder + "/m.h5", "--dtype", "float16"]
        }, status: 64, message: "m.h5: Keras HDF5 files cannot store float16 weights; they store float32, float64"),
        BadInput(name: "dtype a .keras archive cannot store", make: { folder in
            ["convert", CLIFixtures.trainedModel, folder + "/m.keras", "--dtype", "bfloat16"]
        }, status: 64, message: "m.keras: Keras archive files cannot store bfloat16 weights; they store float32, float64"),
        BadInput(name: "a text file", make: { folder in
            try Data("label,pixel1\n".utf8).write(to: URL(fileURLWithPath: folder + "/notes.txt"))
            return ["inspect", folder + "/notes.txt"]
        }, status: 65, message: "not a model file nnmodel reads (nnm, Keras HDF5, Keras archive, ONNX, safetensors): found text starting \"label,pixel1"),
        BadInput(name: "a truncated HDF5 file", make: { folder in
            let bytes = try Data(contentsOf: URL(fileURLWithPath: CLIFixtures.repository + "/Fixtures/keras/tiny_k3.h5"))
            try bytes.prefix(3000).write(to: URL(fileURLWithPath: folder + "/cut.h5"))
            return ["inspect", folder + "/cut.h5"]
        }, status: 65, message: "cut.h5' as HDF5: the file is truncated: it holds 3000 bytes, its HDF5 superblock says"),
        BadInput(name: "damaged optimizer state", make: { folder in
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: CLIFixtures.trainedModel)))
            bytes[bytes.count - 100] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: folder + "/opt.nnm"))
            return ["evaluate", folder + "/opt.nnm", "--data", CLIFixtures.smallDataset]
        }, status: 65, message: "only the optimizer state is damaged, which evaluate and predict do not use: --no-verify skips the check"),
        BadInput(name: "tensor naming for a format without it", make: { folder in
            ["convert", CLIFixtures.trainedModel, folder + "/m.nnm", "--naming", "torch"]
        }, status: 64, message: "--naming applies to a safetensors output"),
    ]

    @Test(arguments: badInputs)
    func badInputGivesOneClearLine(_ c: BadInput) throws {
        let r = CLIFixtures.run(try c.make(CLIFixtures.temporaryFolder()))
        #expect(r.status == c.status, "\(r.err)")
        #expect(r.err.contains(c.message), "\(r.err)")
        #expect(r.err.split(separator: "\n").count == 1, "\(r.err)")
    }

    @Test func inspectReportsAChecksumMismatchWithStatus1() throws {
        let folder = CLIFixtures.temporaryFolder()
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: model)))
        bytes[bytes.count - 100] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/bad.nnm"))
        let r = CLIFixtures.run(["inspect", folder + "/bad.nnm"])
        #expect(r.status == 1)
        #expect(r.out.contains("MISMATCH"))
        #expect(r.err.contains("checksum mismatch in tensor 'optimizer/velocity/dense_1/"))
    }
}

@Suite struct ProcessTests {
    @Test func helpShowsExamples() throws {
        for command in ["train", "inspect", "evaluate", "predict", "convert", "diff", "plot"] {
            let r = try CLIFixtures.runProcess([command, "--help"])
            #expect(r.status == 0)
            #expect(r.out.contains("Examples:"), "\(command)")
        }
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func shellCompletionsAreGenerated(_ shell: String) {
        let r = CLIFixtures.run(["--generate-completion-script", shell])
        #expect(r.status == 0)
        #expect(r.out.contains("nnmodel") && r.out.contains("convert") && r.out.contains("no-verify"))
    }

    @Test func realProcessErrorIsOneLineWithStatus() throws {
        let r = try CLIFixtures.runProcess(["inspect", "/nonexistent/model.nnm"])
        #expect(r.status == 66)
        #expect(r.err == "nnmodel: error: /nonexistent/model.nnm: no such file\n")
        #expect(r.out.isEmpty)
    }

    /// libhdf5 is loaded on first use: when it cannot be, HDF5 work fails with a message that names the
    /// file and the library tried, leaves no file behind, and other formats still work.
    @Test func missingLibHDF5IsAClearError() throws {
        let folder = CLIFixtures.temporaryFolder()
        let target = folder + "/no-libhdf5.h5"
        let missing = ["NNMODEL_LIBHDF5": "/nonexistent/libhdf5.so"]
        let convert = try CLIFixtures.runProcess(["convert", CLIFixtures.trainedModel, target], environment: missing)
        #expect(convert.status == 73)
        #expect(convert.err.contains("'\(target)'") && convert.err.contains("libhdf5 could not be loaded: /nonexistent/libhdf5.so"))
        #expect(!FileManager.default.fileExists(atPath: target))
        let fixture = CLIFixtures.repository + "/Fixtures/keras/avgpool_k3.h5"
        let inspect = try CLIFixtures.runProcess(["inspect", fixture], environment: missing)
        #expect(inspect.status == 65)
        #expect(inspect.err.contains(fixture) && inspect.err.contains("libhdf5 could not be loaded"))
        let nnm = try CLIFixtures.runProcess(["convert", CLIFixtures.trainedModel, folder + "/still.nnm"], environment: missing)
        #expect(nnm.status == 0)
        let wrongLibrary = try CLIFixtures.runProcess(["inspect", fixture], environment: ["NNMODEL_LIBHDF5": "libz.so.1"])
        #expect(wrongLibrary.status == 65)
        #expect(wrongLibrary.err.contains("libz.so.1: not libhdf5"))
    }

    /// Under a file-size limit smaller than a cache entry, the data cache does not store (checked
    /// before writing, for library users whose process a write past the limit would kill with
    /// SIGXFSZ; the CLI also ignores that signal): the prediction runs, nothing is left.
    @Test func aFileSizeLimitSmallerThanTheCacheEntry() throws {
        let folder = try TemporaryFolder("fsize")
        // Fashion-MNIST's CSV layout (label, 784 pixels), gzip: ~370 KB, above the size worth caching.
        let header = "label," + (1...784).map { "pixel\($0)" }.joined(separator: ",")
        let rows = (0..<120).map { r in "\(r % 10)," + (0..<784).map { String(($0 * 7 + r) % 256) }.joined(separator: ",") }
        let csv = Array(([header] + rows).joined(separator: "\n").utf8) + [10]
        try Data(storedGzip(csv)).write(to: URL(fileURLWithPath: folder.file("x.csv.gz")))
        let cache = folder.file("cache")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // 300 blocks of 512 bytes: less than the ~370 KB entry.
        process.arguments = ["-c", "ulimit -f 300 && exec \"$0\" \"$@\" >/dev/null", Repository.executable,
                             "predict", CLIFixtures.trainedModel, "--data", folder.file("x.csv.gz"), "--json"]
        process.environment = ProcessInfo.processInfo.environment.merging(["NNMODEL_CACHE_DIR": cache]) { $1 }
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: cache)) ?? []).isEmpty)
        // Without the limit the entry is written.
        let unlimited = try CLIFixtures.runProcess(["predict", CLIFixtures.trainedModel, "--data", folder.file("x.csv.gz"), "--json"],
                                                   environment: ["NNMODEL_CACHE_DIR": cache])
        #expect(unlimited.status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.hasSuffix(".inflated") }.count == 1)
    }

    /// A save past the file-size limit is a clear error that leaves nothing, not a kill by SIGXFSZ
    /// (nor, for `.h5`, a crash of libhdf5 after the failed write: the limit is checked before).
    @Test(arguments: ["nnm", "h5", "safetensors", "onnx"])
    func aSavePastTheFileSizeLimit(format: String) throws {
        let folder = try TemporaryFolder("fsize-save")
        let target = folder.file("copy." + format)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // 100 blocks of 512 bytes: less than the model.
        process.arguments = ["-c", "ulimit -f 100 && exec \"$0\" \"$@\" 2>\"$3.err\"", Repository.executable,
                             "convert", CLIFixtures.trainedModel, target]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 74)
        let err = (try? String(contentsOfFile: folder.file("copy.\(format).err"), encoding: .utf8)) ?? ""
        #expect(err.contains(target) && err.contains("File too large"), "\(err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["copy.\(format).err"])
    }

    /// Without OpenBLAS, products run through the portable loop and give the same evaluation.
    /// (A hidden layer of 512 units: 401,408 weights, above what nnmodel's own inference kernel takes,
    /// so the first product does go through OpenBLAS, or the portable loop without it.)
    @Test func evaluationWithoutOpenBLASAgrees() throws {
        let folder = try TemporaryFolder("portable")
        let model = folder.file("wide.nnm")
        let trained = CLIFixtures.run(["train", "--data", CLIFixtures.smallDataset, "--hidden", "512", "--epochs", "1",
                                       "--train-samples", "600", "--quiet", "--output", model])
        #expect(trained.status == 0, "\(trained.err)")
        let arguments = ["evaluate", model, "--data", CLIFixtures.smallDataset, "--json"]
        let blas = try CLIFixtures.runProcess(arguments)
        let portable = try CLIFixtures.runProcess(arguments, environment: ["NNMODEL_LIBOPENBLAS": "/nonexistent/libopenblas.so"])
        #expect(blas.status == 0 && portable.status == 0)
        let a = try CLIFixtures.json(blas.out), b = try CLIFixtures.json(portable.out)
        #expect(a["accuracy"]?.doubleValue == b["accuracy"]?.doubleValue)
        let lossA = a["loss"]?.doubleValue ?? .nan, lossB = b["loss"]?.doubleValue ?? -1
        #expect(abs(lossA - lossB) < 1e-5)
    }

    @Test func realProcessInspectJSON() throws {
        let r = try CLIFixtures.runProcess(["inspect", CLIFixtures.trainedModel, "--json", "--no-verify"])
        #expect(r.status == 0)
        #expect(try CLIFixtures.json(r.out)["model"]?["layers"]?.arrayValue?.count == 3)
    }
}

/// `Spec/nnm_reader.py`, written from the spec alone, agrees with nnmodel.
@Suite struct IndependentReaderTests {
    static let numpyAvailable: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import numpy"]
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    func pythonPredict(_ model: String, _ x: String, _ out: String) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", CLIFixtures.repository + "/Spec/nnm_reader.py", model, x, out]
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    @Test(.enabled(if: numpyAvailable, "python3 with numpy is not installed"))
    func agreesOnTheTrainedModelAndEveryActivation() throws {
        let folder = CLIFixtures.temporaryFolder()
        // The trained seed model on real test images.
        let test = try DataSource(CLIFixtures.smallDataset).load(.test).slice(0..<64)
        let x = folder + "/x.npy"
        try NPYArray.write(floats: test.featureTensor().scalars, shape: [64, 28, 28], to: x)
        var models = [CLIFixtures.trainedModel]
        // A model using every activation, stored as bfloat16 and float16.
        var layers: [Layer] = [Layer(name: "flatten", kind: .flatten)]
        for (i, a) in Activation.allCases.enumerated() {
            layers.append(Layer(name: "d\(i)", kind: .dense(Dense(units: 6, activation: a == .softmax ? .tanh : a))))
            layers.append(Layer(name: "a\(i)", kind: .activation(a == .exponential ? .tanh : a)))
        }
        layers.append(Layer(name: "out", kind: .dense(Dense(units: 4, activation: .softmax, useBias: false))))
        let every = try Sequential(ModelArchitecture(inputShape: [28, 28], layers: layers), seed: 3)
        for dtype in [DType.bfloat16, .float16] {
            let path = folder + "/every-\(dtype.rawValue).nnm"
            try ModelFile.save(every, to: path, dtype: dtype)
            models.append(path)
        }
        for model in models {
            let swiftOut = folder + "/swift.npy", pythonOut = folder + "/python.npy"
            #expect(CLIFixtures.run(["predict", model, "--input", x, "--output", swiftOut]).status == 0)
            #expect(try pythonPredict(model, x, pythonOut) == 0)
            let a = try NPYArray(path: swiftOut).floats, b = try NPYArray(path: pythonOut).floats
            #expect(a.count == b.count && !a.isEmpty)
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst < 1e-5, "\(model): max difference \(worst)")
        }
    }
}
