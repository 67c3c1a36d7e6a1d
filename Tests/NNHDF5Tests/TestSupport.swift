import Foundation
import NNTestSupport
@testable import NNHDF5

/// Files shipped with the repository under `Fixtures/hdf5/`.
enum Fixture {
    /// Absolute path of `Fixtures/hdf5/<name>`.
    static func path(_ name: String) -> String { Repository.fixture("hdf5/" + name) }

    /// Contents of `Fixtures/hdf5/<name>`.
    static func bytes(_ name: String) throws -> [UInt8] { try Repository.fixtureBytes("hdf5/" + name) }

    /// The real tf_keras 2.21 `save_weights` file (see Fixtures/hdf5/README.md).
    static let kerasWeights = "nobias_sigtanh_tfk_weights.h5"
    /// Datatypes and attribute encodings written by h5py (make_h5py_types.py).
    static let h5pyTypes = "h5py_types.h5"
}

/// A test's temporary folder as the HDF5 tests use it: by URL, with paths of names inside it.
final class TemporaryDirectory: Sendable {
    private let folder: TemporaryFolder

    init() throws { folder = try TemporaryFolder("nnhdf5") }

    /// The folder.
    var url: URL { URL(fileURLWithPath: folder.path) }

    /// Absolute path of `name` inside the directory.
    func path(_ name: String) -> String { folder.file(name) }

    /// Writes `bytes` to `name` and returns its path.
    func write(_ name: String, _ bytes: [UInt8]) throws -> String { try folder.write(name, bytes) }
}

/// Captures what is written to the process's stderr (file descriptor 2) while
/// `body` runs. Other tests running in parallel may write to stderr at the same
/// time, so callers should look for HDF5's own markers rather than expect empty
/// output.
enum StderrCapture {
    private static let lock = NSLock()

    static func capture(_ body: () throws -> Void) rethrows -> String {
        lock.lock()
        defer { lock.unlock() }
        let path = TemporaryFolder.root + "/nnhdf5-stderr-\(UUID().uuidString)"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return "" }
        fflush(nil)
        let saved = dup(2)
        dup2(fd, 2)
        defer {
            fflush(nil)
            dup2(saved, 2)
            close(saved)
            close(fd)
            unlink(path)
        }
        try body()
        fflush(nil)
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// Whether `text` contains output of HDF5's error printer.
    static func containsHDF5Diagnostics(_ text: String) -> Bool {
        text.contains("HDF5-DIAG") || text.contains("major:") || text.contains("minor:")
    }
}

/// A small deterministic random generator (SplitMix64), for reproducible sweeps.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Opens every object and reads every attribute and dataset reachable from the
/// root of `file`; returns how many objects were visited and every error thrown
/// that is not an `HDF5Error` (there should be none).
/// Bounded in depth and count, so files with cyclic hard links terminate.
@discardableResult
func exerciseEverything(in file: HDF5File) -> (visited: Int, foreignErrors: [String]) {
    var visited = 0
    var foreign: [String] = []
    func attempt<T>(_ body: () throws -> T) -> T? {
        do {
            return try body()
        } catch is HDF5Error {
            return nil
        } catch {
            foreign.append(String(describing: error))
            return nil
        }
    }
    func readAttributes(of object: HDF5Object) {
        guard let names = attempt({ try object.attributeNames() }) else { return }
        for name in names.prefix(32) {
            _ = attempt { try object.stringAttribute(name) }
            _ = attempt { try object.stringArrayAttribute(name) }
            _ = attempt { try object.numericAttribute(name) }
        }
        _ = attempt { try object.stringArrayAttribute("weight_names") }
    }
    func visit(_ group: HDF5Group, depth: Int) {
        visited += 1
        readAttributes(of: group)
        guard depth < 8, visited < 400, let names = attempt({ try group.memberNames() }) else { return }
        for name in names.prefix(64) {
            _ = try? group.hasMember(name)
            guard let kind = attempt({ try group.kind(of: name) }) else { continue }
            switch kind {
            case .group, .softLink:
                if let child = attempt({ try group.group(name) }) { visit(child, depth: depth + 1) }
                if case .softLink = kind, let dataset = attempt({ try group.dataset(name) }) {
                    _ = attempt { try dataset.readFloats() }
                }
            case .dataset:
                visited += 1
                guard let dataset = attempt({ try group.dataset(name) }) else { continue }
                readAttributes(of: dataset)
                _ = attempt { try dataset.readFloats() }
                _ = attempt { try dataset.readDoubles() }
            default:
                continue
            }
        }
    }
    if let root = attempt({ try file.root }) { visit(root, depth: 0) }
    return (visited, foreign)
}

extension TemporaryDirectory {
    /// Contents of the file at `path`.
    static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
