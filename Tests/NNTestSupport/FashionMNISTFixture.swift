import Foundation
import NNModel
import Testing

/// Fashion-MNIST, which some tests need: missing data fails the test when the `CI` environment
/// variable is set (CI installs the Debian package, so missing data means a broken setup), and
/// skips it with a note otherwise.
package enum FashionMNISTFixture {
    /// Whether the default dataset's files exist.
    package static var isAvailable: Bool {
        FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory + "/t10k-labels-idx1-ubyte.gz")
    }

    /// Whether a run must fail rather than skip when data is missing.
    package static var isCI: Bool { ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty && $0 != "0" } ?? false }

    /// Loads a split, or returns `nil` (recording an issue in CI) when the data is missing.
    package static func load(_ split: DataSplit, sourceLocation: SourceLocation = #_sourceLocation) throws -> Dataset? {
        guard isAvailable else {
            let message = "Fashion-MNIST is missing from \(FashionMNIST.defaultDirectory) (apt-get install -y \(FashionMNIST.debianPackage))"
            if isCI { Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation) } else { print("skipped: \(message)") }
            return nil
        }
        return try DataSource().load(split)
    }
}
