import Foundation
import NNModel
import Testing

/// Every input the fuzzers found a crash, hang, trap or huge allocation with
/// (`Fixtures/fuzz/regressions/<target>/`), fed to the readers of that harness: each must now
/// give a value that validates or a typed error.
///
/// Inputs on which libhdf5 itself crashes, where NNHDF5 cannot guard, are listed with the reason
/// in `Fixtures/fuzz/regressions/SKIPPED` (`<target>/<file>  reason`) and skipped here.
@Suite struct FuzzRegressionTests {
    static let targets = ["nnm", "json", "idx", "csv", "npy", "h5", "keras"]

    /// `<target>/<file>` → why it is skipped.
    static let skipped: [String: String] = {
        guard let text = try? FileReader.bytes(Fixture.path("fuzz/regressions/SKIPPED")) else { return [:] }
        var result: [String: String] = [:]
        for line in String(decoding: text, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            if parts.count == 2 { result[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return result
    }()

    @Test(arguments: targets)
    func regressionInputs(target: String) throws {
        let readers = Readers.forTarget(target)
        #expect(!readers.isEmpty)
        for name in Fixture.files(in: "fuzz/regressions/" + target) {
            if let reason = Self.skipped["\(target)/\(name)"] {
                print("FuzzRegressionTests: skipping \(target)/\(name): \(reason)")
                continue
            }
            let bytes = try Fixture.bytes("fuzz/regressions/\(target)/\(name)")
            for reader in readers { reader.check(bytes, "\(target)/\(name)") }
        }
    }

    /// A local heap whose free list loops (libhdf5 1.10 allocated until memory ran out) is
    /// refused as a damaged file, not reported as a file that lacks a group.
    @Test func aLoopingLocalHeapFreeListIsReportedAsCorrupt() throws {
        let path = Fixture.path("fuzz/regressions/h5/local-heap-free-list-cycle.h5")
        do {
            _ = try ModelFile.load(path)
            Issue.record("loaded")
        } catch {
            #expect("\(error)".contains("the file is corrupt: local heap at offset 680 has a free list that loops"), "\(error)")
        }
    }

    /// Every skipped input exists and says why.
    @Test func skippedInputsAreDocumented() {
        for (input, reason) in Self.skipped {
            #expect(FileReader.exists(Fixture.path("fuzz/regressions/" + input)), "\(input) is listed in SKIPPED but missing")
            #expect(reason.count > 10, "\(input) needs a reason")
        }
    }
}
