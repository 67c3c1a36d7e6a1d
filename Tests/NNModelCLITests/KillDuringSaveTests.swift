import Foundation
import NNModel
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Saves killed at every point (and at random moments) leave the target holding either the
/// complete old model or the complete new one; the next save cleans up the leftovers.
@Suite(.serialized) struct KillDuringSaveTests {
    /// Two different models of about 13 MB each, saved in a folder.
    static let models: (folder: String, a: Sequential, b: Sequential)? = {
        let folder = CLIFixtures.temporaryFolder()
        let architecture = ModelArchitecture.multilayerPerceptron(inputShape: [784], hidden: [4096], activation: .relu,
                                                                  outputs: 10, outputActivation: .softmax)
        guard let a = try? Sequential(architecture, seed: 1), let b = try? Sequential(architecture, seed: 2),
              (try? ModelFile.save(a, to: folder + "/a.nnm")) != nil, (try? ModelFile.save(b, to: folder + "/b.nnm")) != nil
        else { return nil }
        return (folder, a, b)
    }()

    static var setup: (folder: String, a: Sequential, b: Sequential) {
        get throws { try #require(models, "could not create the test models") }
    }

    func startProcess(_ arguments: [String], injection: FaultInjection.Point? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLIFixtures.repository + "/.build/debug/nnmodel")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment[FaultInjection.variable] = injection?.rawValue
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Which of the two models the file holds (checksums verified); fails the test for anything else.
    func identify(_ path: String) throws -> String {
        guard let model = try? ModelFile.load(path) else { return "unreadable" }
        if ModelComparison(model, try Self.setup.a).equal { return "a" }
        if ModelComparison(model, try Self.setup.b).equal { return "b" }
        return "other"
    }

    func temporaryFiles(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix(AtomicFile.temporaryPrefix) }
    }

    @Test(arguments: ["nnm", "h5", "keras"], FaultInjection.killPoints)
    func killedAtEachPointOfTheSave(format: String, point: FaultInjection.Point) throws {
        let (source, _, _) = try Self.setup
        let folder = CLIFixtures.temporaryFolder()
        let target = folder + "/target." + format
        try ModelFile.save(try Self.setup.a, to: target)
        let process = try startProcess(["convert", source + "/b.nnm", target], injection: point)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)
        let expected = point == .renamed ? "b" : "a"
        #expect(try identify(target) == expected, "killed at \(point)")
        #expect(temporaryFiles(folder).count == (point == .renamed ? 0 : 1))
        // The next save removes what the killed process left behind.
        try ModelFile.save(try Self.setup.b, to: target)
        #expect(try identify(target) == "b")
        #expect(temporaryFiles(folder).isEmpty)
    }

    @Test func killedAtRandomMoments() throws {
        let (source, _, _) = try Self.setup
        let folder = CLIFixtures.temporaryFolder()
        let target = folder + "/target.nnm"
        try ModelFile.save(try Self.setup.a, to: target)
        var rng = SeededGenerator(seed: 7)
        for round in 0..<12 {
            let from = round % 2 == 0 ? "b" : "a"
            let process = try startProcess(["convert", source + "/\(from).nnm", target])
            usleep(UInt32(rng.nextIndex(below: 150_000)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let found = try identify(target)
            #expect(found == "a" || found == "b", "round \(round): the target holds \(found)")
        }
        try ModelFile.save(try Self.setup.a, to: target)
        #expect(try identify(target) == "a")
        #expect(temporaryFiles(folder).isEmpty)
    }
}
