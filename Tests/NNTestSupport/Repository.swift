import Foundation

/// Files of the repository, found from this source file's location.
package enum Repository {
    /// The repository root.
    package static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // NNTestSupport, Tests, root
        return url.path
    }()

    /// Absolute path of `Fixtures/<relative>`.
    package static func fixture(_ relative: String) -> String { root + "/Fixtures/" + relative }

    /// The contents of `Fixtures/<relative>`.
    package static func fixtureBytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture(relative))))
    }

    /// The regular files of a `Fixtures/` folder (none when it does not exist), sorted, without
    /// hidden files and READMEs.
    package static func fixtureFiles(in folder: String) -> [String] {
        let path = fixture(folder)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return [] }
        return names.filter { name in
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDirectory)
            return exists && !name.hasPrefix(".") && name != "README.md" && !isDirectory.boolValue
        }.sorted()
    }

    /// The contents of the file at `path`.
    package static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The built `nnmodel` executable (debug build).
    package static var executable: String { root + "/.build/debug/nnmodel" }
}
