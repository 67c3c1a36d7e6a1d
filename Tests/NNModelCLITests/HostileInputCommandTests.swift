import Foundation
import NNModel
@testable import NNModelCLI
import NNTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The command line under hostile or unlucky conditions: full disks, FIFOs, devices, huge
/// numbers, control characters, interruptions. Each ends with one line on stderr, a documented
/// exit status, and nothing lost.
@Suite struct HostileInputCommandTests {
    static var model: String { CLIFixtures.trainedModel }

    // MARK: Saving

    /// Mounts a tiny tmpfs at a fresh folder when the tests run as root (CI does); nil otherwise.
    static func fullDisk() -> (folder: TemporaryFolder, mount: String)? {
        guard getuid() == 0, let folder = try? TemporaryFolder("full-disk") else { return nil }
        let mountPoint = folder.file("mnt")
        guard (try? FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)) != nil,
              mount("tmpfs", mountPoint, "tmpfs", 0, "size=96k") == 0 else { return nil }
        return (folder, mountPoint)
    }

    /// A save to a full disk is exit 74 naming the target, leaves nothing there, and does not crash
    /// (libhdf5 1.10 crashed at exit after a failed write).
    @Test(arguments: ["nnm", "h5", "keras"])
    func savingToAFullDisk(format: String) throws {
        if let (folder, mountPoint) = Self.fullDisk() {
            defer { umount(mountPoint); _ = folder }
            let target = mountPoint + "/m." + format
            let r = try CLIFixtures.runProcess(["convert", Self.model, target])
            #expect(r.status == 74, "\(r.err)")
            #expect(r.err.hasPrefix("nnmodel: error: \(target): cannot write: No space left on device"), "\(r.err)")
            #expect(r.err.split(separator: "\n").count == 1, "\(r.err)")
            #expect((try FileManager.default.contentsOfDirectory(atPath: mountPoint)).isEmpty)
        }
        // The same failure injected, where no file system can be mounted.
        let folder = try TemporaryFolder("no-space")
        let target = folder.file("m." + format)
        try Data("old".utf8).write(to: URL(fileURLWithPath: target))
        let r = try CLIFixtures.runProcess(["convert", Self.model, target], environment: [FaultInjection.variable: "no-space"])
        #expect(r.status == 74, "\(r.err)")
        #expect(r.err == "nnmodel: error: \(target): cannot write: No space left on device\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data("old".utf8), "the old file is kept")
        #expect(folder.names == ["m." + format])
    }

    @Test func savingOntoADeviceAFIFOOrAFolderIsRefused() throws {
        let folder = try TemporaryFolder("targets")
        let fifo = folder.file("fifo.nnm")
        #expect(mkfifo(fifo, 0o600) == 0)
        try FileManager.default.createDirectory(atPath: folder.file("dir.nnm"), withIntermediateDirectories: false)
        for (target, reason) in [("/dev/null", "it is not a regular file (a device, FIFO or socket)"),
                                 (fifo, "it is not a regular file (a device, FIFO or socket)"),
                                 (folder.file("dir.nnm"), "it is a folder")] {
            // --format: /dev/null's name has no extension, which alone is refused (exit 64).
            let r = CLIFixtures.run(["convert", Self.model, target, "--format", "nnm"])
            #expect(r.status == 73, "\(target): \(r.err)")
            #expect(r.err.contains("\(target): will not write over it: \(reason)"), "\(r.err)")
        }
        var st = stat()
        #expect(stat("/dev/null", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR, "/dev/null is still a device")
    }

    // MARK: Inputs that block or are not files

    /// A FIFO given as any input is refused at once (it used to block forever in open).
    @Test func fifoInputsAreRefusedWithoutHanging() throws {
        let folder = try TemporaryFolder("fifo-inputs")
        let fifo = folder.file("input.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let data = folder.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: false)
        for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
            try FileManager.default.copyItem(atPath: CLIFixtures.smallDataset + "/" + name, toPath: data + "/" + name)
        }
        #expect(mkfifo(data + "/classes.txt", 0o600) == 0)
        let runs: [[String]] = [
            ["inspect", fifo], ["evaluate", fifo], ["convert", fifo, folder.file("out.nnm")],
            ["inspect", Self.model, "--architecture", fifo], ["inspect", Self.model, "--config", fifo],
            ["predict", Self.model, "--input", fifo], ["train", "--config", fifo, "--data", data, "--epochs", "1"],
            ["plot", "history", fifo, "--output", folder.file("c.svg")],
            ["evaluate", Self.model, "--data", data],
        ]
        for arguments in runs {
            let r = try CLIFixtures.runProcess(arguments, timeout: .seconds(30))
            #expect(r.status != -1, "\(arguments) hung")
            #expect(r.status == 65, "\(arguments): \(r.err)")
            #expect(r.err.contains("not a regular file"), "\(arguments): \(r.err)")
            if arguments.last == data { #expect(r.err.contains("classes.txt"), "\(r.err)") }
        }
    }

    @Test func aFolderAsInputSaysSo() throws {
        let folder = try TemporaryFolder("dir-input")
        let r = CLIFixtures.run(["inspect", folder.path])
        #expect(r.status == 65, "\(r.err)")
        #expect(r.err.contains("is a folder, expected a file"), "\(r.err)")
    }

    // MARK: Numbers

    /// A report that cannot be written (a full device) is exit 74 with one line, not success.
    @Test func aStandardOutputThatFailsIsAnError() throws {
        guard FileManager.default.isWritableFile(atPath: "/dev/full") else {
            Issue.record("/dev/full is missing: cannot test a failing standard output")
            return
        }
        for arguments in [["inspect", Self.model], ["predict", Self.model, "--limit", "3"], ["--version"]] {
            let r = try CLIFixtures.runProcess(arguments, standardOutput: "/dev/full")
            #expect(r.status == 74, "\(arguments): \(r.status) \(r.err)")
            #expect(r.err.contains("cannot write standard output: No space left on device"), "\(r.err)")
            #expect(r.err.split(separator: "\n").count == 1, "\(r.err)")
        }
    }

    /// Outputs that cannot fit are refused before they are allocated: a model whose one sample's
    /// outputs alone are gigabytes ([784, 1] → Dense(500000): 1.6 GB a sample) in predict, and
    /// 4,000 samples of 600,000 outputs each (2.4 billion values) in evaluate. Under a 2 GB
    /// address-space limit the process refuses with 65 instead of dying in the allocation (predict
    /// reached 6 GB before it refused).
    @Test func inferenceRefusesBeforeAllocatingOutputs() throws {
        let folder = try TemporaryFolder("huge-outputs")
        let huge = ModelArchitecture(inputShape: [784, 1], layers: [Layer(name: "huge", kind: .dense(Dense(units: 500_000)))])
        let model = try Sequential(architecture: huge, weights: [Tensor(zeros: [1, 500_000]), Tensor(zeros: [500_000])])
        try ModelFile.save(model, to: folder.file("huge.nnm"))
        try NPYArray.write(floats: [Float](repeating: 0.5, count: 4 * 784), shape: [4, 784, 1], to: folder.file("x.npy"))
        let wide = ModelArchitecture(inputShape: [1], layers: [Layer(name: "wide", kind: .dense(Dense(units: 600_000)))])
        try ModelFile.save(try Sequential(architecture: wide, weights: [Tensor(zeros: [1, 600_000]), Tensor(zeros: [600_000])]),
                           to: folder.file("wide.nnm"))
        try NPYArray.write(floats: [Float](repeating: 0.5, count: 4000), shape: [4000, 1], to: folder.file("x1.npy"))
        try NPYArray.write(floats: [Float](repeating: 1, count: 4000), shape: [4000], to: folder.file("y1.npy"))
        for (command, file, input, extra, message) in [
            ("predict", "huge.nnm", "x.npy", "", "one sample's work buffers within 1 GiB"),
            ("evaluate", "wide.nnm", "x1.npy", " --labels '\(folder.file("y1.npy"))'", "the outputs of 4000 samples would hold more than"),
        ] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -v 2000000; exec '\(Repository.executable)' \(command) '\(folder.file(file))' --input '\(folder.file(input))'\(extra) 2>'\(folder.file("err"))' >/dev/null"]
            try process.run()
            process.waitUntilExit()
            let err = (try? String(contentsOfFile: folder.file("err"), encoding: .utf8)) ?? ""
            #expect(process.terminationReason == .exit && process.terminationStatus == 65, "\(command): \(process.terminationStatus) \(err)")
            #expect(err.contains(message), "\(command): \(err)")
        }
    }

    @Test func hugeOptionValuesAreRefused() {
        let runs: [([String], String)] = [
            (["train", "--epochs", "9223372036854775807", "--data", CLIFixtures.smallDataset], "invalid epochs"),
            (["evaluate", Self.model, "--threads", "3000"], "--threads must be 1 to"),
            (["train", "--threads", "3000"], "--threads must be 1 to"),
        ]
        for (arguments, message) in runs {
            let r = CLIFixtures.run(arguments)
            #expect(r.status == 64, "\(arguments): \(r.err)")
            #expect(r.err.contains(message), "\(arguments): \(r.err)")
        }
    }

    /// An exploding but finite loss prints (it used to trap converting it to Int).
    @Test func aHugeFiniteLossPrints() {
        #expect(fixed(1.3e30, 4) == "1.300e+30")
        #expect(fixed(-2.5e17, 2) == "-2.500e+17")
        #expect(fixed(9.99999e300, 4) == "1.000e+301")
        #expect(formatDuration(1e300) == "?" && formatStep(.infinity) == "?/step")
        let r = CLIFixtures.run(["train", "--optimizer", "sgd", "--learning-rate=1e5", "--epochs", "1",
                                 "--data", CLIFixtures.smallDataset])
        #expect(r.status == 0 || r.status == 1, "\(r.err)")
    }

    /// A model too large to train is refused before its weights are created.
    @Test func aModelTooLargeToTrainIsRefusedAtOnce() {
        let start = ContinuousClock.now
        let r = CLIFixtures.run(["train", "--hidden", "2000000", "--epochs", "1", "--data", CLIFixtures.smallDataset])
        #expect(r.status == 64, "\(r.err)")
        #expect(r.err.contains("invalid batch size") || r.err.contains("invalid model size"), "\(r.err)")
        #expect(ContinuousClock.now - start < .seconds(10), "refused only after allocating the weights")
    }

    // MARK: Outputs are checked before training

    @Test func unwritableOutputsAreRefusedBeforeTraining() {
        for option in ["--output", "--history", "--plot"] {
            let target = "/nonexistent/folder/out" + (option == "--plot" ? ".svg" : option == "--history" ? ".csv" : ".nnm")
            let r = CLIFixtures.run(["train", "--epochs", "50", "--data", CLIFixtures.smallDataset, option, target])
            #expect(r.status == 73, "\(option): \(r.err)")
            #expect(r.err.contains("folder '/nonexistent/folder' does not exist"), "\(r.err)")
            #expect(!r.out.contains("Epoch 1/50"), "\(option): training ran before the output was checked")
        }
    }

    // MARK: Output hygiene

    /// Names read from a file cannot drive the terminal or forge a line.
    @Test func controlCharactersFromFilesAreEscaped() throws {
        let folder = try TemporaryFolder("escapes")
        var model = try ModelFile.load(Self.model)
        model.metadata.user = [("title", "\u{1B}]0;pwned\u{07}\u{1B}[2J"), ("line", "a\nnnmodel: error: forged")]
        model.metadata.classNames = (0..<10).map { $0 == 3 ? "bad\u{1B}[31mred" : "c\($0)" }
        let path = folder.file("m.nnm")
        try ModelFile.save(model, to: path)
        let r = CLIFixtures.run(["inspect", path])
        #expect(r.status == 0, "\(r.err)")
        #expect(!r.out.contains("\u{1B}") && !r.out.contains("\u{07}"), "raw control characters reached the output")
        #expect(r.out.contains("\\u{1B}]0;pwned\\u{7}\\u{1B}[2J"))
        #expect(r.out.contains("a\\nnnmodel: error: forged"))
        let e = CLIFixtures.run(["evaluate", path, "--data", CLIFixtures.smallDataset])
        #expect(!e.out.contains("\u{1B}") && e.out.contains("bad\\u{1B}[31mred"))
        // JSON keeps the exact strings, JSON-escaped.
        let j = CLIFixtures.run(["inspect", path, "--json"])
        #expect(try CLIFixtures.json(j.out)["metadata"]?["user"]?["title"]?.stringValue == "\u{1B}]0;pwned\u{07}\u{1B}[2J")
        // An error naming a file path with a newline stays one line.
        let weird = folder.file("a\nb.nnm")
        let err = CLIFixtures.run(["inspect", weird])
        #expect(err.err.split(separator: "\n").count == 1 && err.err.contains("a\\nb.nnm"), "\(err.err)")
    }

    // MARK: Interruption

    /// Ctrl-C finishes the step, saves the model with its optimizer state and history, says so and
    /// exits 130; the saved model resumes.
    @Test func interruptedTrainingSavesAndResumes() throws {
        let folder = try TemporaryFolder("interrupt")
        let target = folder.file("m.nnm")
        let outPath = folder.file("out")
        try Data().write(to: URL(fileURLWithPath: outPath))
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repository.executable)
        process.arguments = ["train", "--data", CLIFixtures.smallDataset, "--epochs", "1000", "--output", target]
        process.standardOutput = out
        process.standardError = out
        try process.run()
        // Wait until the second epoch has started, then interrupt.
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline,
              !((try? String(contentsOfFile: outPath, encoding: .utf8))?.contains("Epoch 2/") ?? false) {
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        try out.close()
        let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 130, "\(text)")
        #expect(text.contains("nnmodel: interrupted after step") && text.contains("saved the model to \(target)"), "\(text)")
        let saved = try ModelFile.load(target)
        #expect(saved.metadata.interruption != nil)
        #expect((saved.metadata.history?.epochs.count ?? 0) >= 1)
        #expect(saved.optimizerState != nil)
        let shown = CLIFixtures.run(["inspect", target, "--no-verify"])
        #expect(shown.out.contains("Interrupted:") && shown.out.contains("train --resume continues"), "\(shown.out)")
        let json = CLIFixtures.run(["inspect", target, "--no-verify", "--json"])
        let interrupted = try CLIFixtures.json(json.out)["metadata"]?["interrupted"]
        #expect(interrupted?["epoch"]?.intValue == saved.metadata.interruption?.epoch, "\(json.out)")
        #expect(interrupted?["batches"]?.intValue == saved.metadata.interruption?.batches, "\(json.out)")
        let resumed = CLIFixtures.run(["train", "--resume", target, "--epochs", "1", "--data", CLIFixtures.smallDataset,
                                       "--output", target, "--quiet"])
        #expect(resumed.status == 0, "\(resumed.err)")
        let after = try ModelFile.load(target)
        #expect(after.metadata.interruption == nil)
        #expect(after.metadata.history?.epochs.count == (saved.metadata.history?.epochs.count ?? 0) + 1)
    }

    /// A resume whose steps would take the optimizer's step count past what a file records is
    /// refused before training (it used to train, then fail to save, losing the run).
    @Test func resumePastTheStepCountLimitIsRefusedBeforeTraining() throws {
        let folder = try TemporaryFolder("step-limit")
        let source = folder.file("near-limit.nnm")
        var model = try ModelFile.load(Self.model)
        var state = try #require(model.optimizerState)
        state.iterations = OptimizerState.maximumIterations - 1
        model.optimizerState = state
        try ModelFile.save(model, to: source)
        let target = folder.file("out.nnm")
        let r = CLIFixtures.run(["train", "--resume", source, "--epochs", "1", "--data", CLIFixtures.smallDataset,
                                 "--output", target, "--quiet"])
        #expect(r.status == 64, "\(r.err)")
        #expect(r.err.contains("keeps the optimizer's step count within 9000000000000000"), "\(r.err)")
        #expect(r.err.split(separator: "\n").count == 1, "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func checkpointsAreSavedEveryNEpochs() throws {
        let folder = try TemporaryFolder("checkpoint")
        let target = folder.file("m.nnm")
        let r = CLIFixtures.run(["train", "--data", CLIFixtures.smallDataset, "--epochs", "3", "--checkpoint-every", "1",
                                 "--output", target, "--quiet"])
        #expect(r.status == 0, "\(r.err)")
        #expect(try ModelFile.load(target).metadata.history?.epochs.count == 3)
        let bad = CLIFixtures.run(["train", "--checkpoint-every", "1"])
        #expect(bad.status == 64 && bad.err.contains("--checkpoint-every needs --output"))
    }

    // MARK: diff

    @Test func equalInfinitiesAreEqualAndJSONHasNoStringNumbers() throws {
        let folder = try TemporaryFolder("infinities")
        var model = try ModelFile.load(Self.model)
        var weights = model.weights
        weights[0][flat: 0] = .infinity
        weights[0][flat: 1] = -.infinity
        try model.setWeights(weights)
        let a = folder.file("a.nnm")
        try ModelFile.save(model, to: a)
        let same = CLIFixtures.run(["diff", a, a])
        #expect(same.status == 0, "\(same.out)")
        let other = try ModelFile.load(Self.model)
        let b = folder.file("b.nnm")
        try ModelFile.save(other, to: b)
        let j = CLIFixtures.run(["diff", a, b, "--json"])
        #expect(j.status == 1)
        let tensor = try CLIFixtures.json(j.out)["tensors"]?.arrayValue?.first
        #expect(tensor?["max_abs_diff"] == .null)
        #expect(tensor?["max_abs_diff_nonfinite"]?.stringValue == "inf")
        // An infinity against a finite value differs infinitely also relatively (it was reported as 0).
        #expect(tensor?["max_rel_diff"] == .null)
        #expect(tensor?["max_rel_diff_nonfinite"]?.stringValue == "inf", "\(j.out)")
    }
}
