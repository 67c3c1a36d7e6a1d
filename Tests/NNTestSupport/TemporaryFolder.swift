import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A fresh folder for one test, removed with everything in it when released.
///
/// Every temporary folder lives under one folder per test process (``root``), which is removed
/// when the process exits, so a run leaves nothing behind in the system's temporary folder even
/// when a folder is never released (shared fixtures kept in static properties).
package final class TemporaryFolder: @unchecked Sendable {
    /// The folder's absolute path.
    package let path: String

    /// Creates an empty folder named after `label`.
    package init(_ label: String = "test") throws {
        path = TemporaryFolder.root + "/\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The absolute path of `name` inside the folder.
    package func file(_ name: String) -> String { path + "/" + name }

    /// Writes `bytes` to `name` in the folder and returns the full path.
    @discardableResult
    package func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let target = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }

    /// Writes `text` as UTF-8 to `name` in the folder and returns the full path.
    @discardableResult
    package func write(_ name: String, text: String) throws -> String {
        try write(name, Array(text.utf8))
    }

    /// A new folder for files that shared fixtures keep for the whole run (removed at exit).
    package static func shared(_ label: String) -> String {
        let path = root + "/\(label)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The names in the folder, sorted.
    package var names: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }

    /// The folder under the system temporary folder that holds every test folder of this process;
    /// created on first use and removed when the process exits.
    package static let root: String = {
        let path = FileManager.default.temporaryDirectory.path + "/nnmodel-tests-\(getpid())-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        scratchRoot = path
        atexit { if let root = scratchRoot { try? FileManager.default.removeItem(atPath: root) } }
        return path
    }()
}

/// The process's test folder, for the exit handler (which cannot capture).
nonisolated(unsafe) private var scratchRoot: String?
