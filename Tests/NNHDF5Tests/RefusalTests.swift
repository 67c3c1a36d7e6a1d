import Foundation
import NNTestSupport
import Testing
@testable import NNHDF5

/// Files that must be refused, each with its own error, and files that are not HDF5.
@Suite struct RefusalTests {
    /// Builds `links.h5` (and the files it points to) in `directory`.
    static func writeLinkFile(in directory: TemporaryDirectory) throws -> String {
        let otherPath = directory.path("other.h5")
        let other = try HDF5File.createOnDisk(at: otherPath)
        try other.root.createDataset("data", shape: [2], floats: [7, 8])
        try other.close()

        let path = directory.path("links.h5")
        let file = try HDF5File.createOnDisk(at: path)
        let root = try file.root
        let group = try root.createGroup("g")
        try group.createDataset("d", shape: [2], floats: [1, 2])
        try HDF5TestSupport.createExternalLink(in: root, name: "ext", file: otherPath, path: "/data")
        try HDF5TestSupport.createExternalLink(in: root, name: "ext_group", file: otherPath, path: "/")
        try HDF5TestSupport.createSoftLink(in: root, name: "alias", target: "/g/d")
        try HDF5TestSupport.createSoftLink(in: group, name: "relative", target: "d")
        try HDF5TestSupport.createSoftLink(in: root, name: "group_alias", target: "g")
        try HDF5TestSupport.createSoftLink(in: root, name: "chained", target: "/alias")
        try HDF5TestSupport.createSoftLink(in: root, name: "dangling", target: "/nope")
        try HDF5TestSupport.createSoftLink(in: root, name: "loop", target: "/loop")
        try HDF5TestSupport.createSoftLink(in: root, name: "through_ext", target: "/ext_group/data")
        try HDF5TestSupport.createSoftLink(in: root, name: "malformed", target: "g/./d")
        try HDF5TestSupport.createHardLink(in: group, name: "cycle", target: "/g")
        try file.close()
        return path
    }

    @Test func externalLinksAreReportedAndRefused() throws {
        let directory = try TemporaryDirectory()
        let path = try Self.writeLinkFile(in: directory)
        let root = try HDF5File(readingFrom: path).root
        let target = directory.path("other.h5")

        #expect(try root.kind(of: "ext") == .externalLink(file: target, path: "/data"))
        #expect(try root.hasMember("ext"))
        #expect(try !root.hasMember("ext_group/data"))
        let refusal = HDF5Error.externalLink(file: path, path: "/ext", targetFile: target, targetPath: "/data")
        #expect(throws: refusal) { try root.dataset("ext") }
        #expect(throws: refusal) { try root.group("ext") }
        #expect(throws: HDF5Error.externalLink(file: path, path: "/ext_group", targetFile: target, targetPath: "/")) {
            try root.dataset("ext_group/data")
        }
        #expect(refusal.description.contains("external links are not allowed"))
        #expect(refusal.description.contains(path))
    }

    @Test func softLinksInsideTheFileWork() throws {
        let directory = try TemporaryDirectory()
        let root = try HDF5File(readingFrom: try Self.writeLinkFile(in: directory)).root
        #expect(try root.kind(of: "alias") == .softLink(target: "/g/d"))
        #expect(try root.dataset("alias").readFloats() == [1, 2])
        #expect(try root.dataset("alias").name == "/alias")
        #expect(try root.dataset("g/relative").readFloats() == [1, 2])
        #expect(try root.dataset("chained").readFloats() == [1, 2])
        #expect(try root.dataset("group_alias/d").readFloats() == [1, 2])
        #expect(try root.group("group_alias").memberNames() == ["cycle", "d", "relative"])
        // A hard link back to an ancestor is legal HDF5; lookups just follow it.
        #expect(try root.dataset("g/cycle/cycle/d").readFloats() == [1, 2])
    }

    @Test func unresolvableSoftLinksAreRefused() throws {
        let directory = try TemporaryDirectory()
        let path = try Self.writeLinkFile(in: directory)
        let root = try HDF5File(readingFrom: path).root

        #expect(try root.kind(of: "dangling") == .softLink(target: "/nope"))
        #expect(try root.hasMember("dangling"))
        for (name, target, reasonPart) in [
            ("dangling", "/nope", "does not exist"),
            ("loop", "/loop", "nested soft links"),
            ("through_ext", "/ext_group/data", "leaves the file"),
            ("malformed", "g/./d", "malformed"),
        ] {
            let error = #expect(throws: HDF5Error.self) { try root.dataset(name) }
            guard case let .unsafeSoftLink(file, linkPath, linkTarget, reason)? = error else {
                Issue.record("\(name): expected unsafeSoftLink, got \(String(describing: error))")
                continue
            }
            #expect(file == path)
            #expect(linkPath == "/\(name)")
            #expect(linkTarget == target)
            #expect(reason.contains(reasonPart), "\(name): \(reason)")
            #expect(throws: HDF5Error.self) { try root.group(name) }
        }
    }

    /// Groups opened from a listing: a hard link at its address, every other link exactly as
    /// `group(_:)` opens or refuses it.
    @Test func groupsOpenedFromAListingAreCheckedLikeLookups() throws {
        let directory = try TemporaryDirectory()
        let path = try Self.writeLinkFile(in: directory)
        let file = try HDF5File(readingFrom: path)
        let root = try file.root
        let members = try root.members()
        #expect(members.names == ["alias", "chained", "dangling", "ext", "ext_group", "g", "group_alias", "loop", "malformed", "through_ext"])
        #expect(try root.memberNames() == members.names)
        #expect(try root.memberNames(limit: 3) == ["alias", "chained", "dangling"])
        #expect(try root.memberNames(limit: 0) == [] && root.members(limit: 1).contains("alias"))
        #expect(try !root.members(limit: 1).contains("chained"))
        #expect(members.contains("dangling") && !members.contains("nope") && !members.contains("G"))
        for path in ["g", "dangling", "ext", "nope", "g/d", "g/nope", "/g/d", "ext_group/data", "", ".", "g/"] {
            #expect(try root.hasMember(path, listedIn: members) == root.hasMember(path), "\(path)")
        }
        #expect(try root.group("group_alias/cycle", listedIn: members).name == "/group_alias/cycle")

        let g = try root.group("g", listedIn: members)
        #expect(g.name == "/g")
        #expect(try g.dataset("d").readFloats() == [1, 2])
        let inner = try g.members()
        #expect(try g.group("cycle", listedIn: inner).memberNames() == ["cycle", "d", "relative"])
        let open = HDF5TestSupport.openObjectCount(in: file)
        #expect(throws: HDF5Error.wrongKind(file: path, path: "/g/d", expected: "a group", found: "a dataset")) {
            try g.group("d", listedIn: inner)
        }
        #expect(HDF5TestSupport.openObjectCount(in: file) == open, "the dataset opened to find its kind is closed")
        #expect(try root.group("group_alias", listedIn: members).memberNames() == ["cycle", "d", "relative"])
        #expect(throws: HDF5Error.notFound(file: path, path: "/nope")) { try root.group("nope", listedIn: members) }
        let target = directory.path("other.h5")
        #expect(throws: HDF5Error.externalLink(file: path, path: "/ext_group", targetFile: target, targetPath: "/")) {
            try root.group("ext_group", listedIn: members)
        }
        for name in ["dangling", "loop", "through_ext", "malformed", "alias"] {
            #expect(throws: HDF5Error.self, "\(name)") { try root.group(name, listedIn: members) }
        }
    }

    @Test func externalDatasetsAreRefused() throws {
        let directory = try TemporaryDirectory()
        let raw = try directory.write("raw.bin", [UInt8](repeating: 0, count: 16))
        let path = directory.path("external.h5")
        let file = try HDF5File.createOnDisk(at: path)
        try HDF5TestSupport.createExternalDataset(in: try file.root, name: "outside", externalFile: raw, count: 4)
        try file.close()

        let root = try HDF5File(readingFrom: path).root
        #expect(try root.kind(of: "outside") == .dataset)
        let error = HDF5Error.externalDataset(file: path, path: "/outside", externalFileCount: 1)
        #expect(throws: error) { try root.dataset("outside") }
        #expect(error.description == "refusing dataset '/outside' in '\(path)': its data is stored in 1 external file(s)")
    }

    @Test func virtualDatasetsAreRefused() throws {
        let directory = try TemporaryDirectory()
        let sourcePath = directory.path("source.h5")
        let source = try HDF5File.createOnDisk(at: sourcePath)
        try source.root.createDataset("data", shape: [4], floats: [1, 2, 3, 4])
        try source.close()

        let path = directory.path("virtual.h5")
        let file = try HDF5File.createOnDisk(at: path)
        try HDF5TestSupport.createVirtualDataset(
            in: try file.root, name: "view", sourceFile: sourcePath, sourceDataset: "/data", count: 4)
        try file.close()

        let root = try HDF5File(readingFrom: path).root
        #expect(throws: HDF5Error.virtualDataset(file: path, path: "/view")) { try root.dataset("view") }
    }

    @Test func implausibleSizesAreRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("sizes.h5")
        let file = try HDF5File.createOnDisk(at: path)
        let root = try file.root
        // 4 GiB of contiguous float32 that was never written: the file stays tiny.
        try HDF5TestSupport.createUnwrittenDataset(in: root, name: "contiguous", dims: [1 << 30], chunk: nil)
        // 1 GiB declared, chunked, nothing stored: a shape bomb.
        try HDF5TestSupport.createUnwrittenDataset(in: root, name: "bomb", dims: [1 << 28], chunk: [1 << 16])
        // More than 2^31 elements.
        try HDF5TestSupport.createUnwrittenDataset(in: root, name: "too_many", dims: [1 << 16, 1 << 16], chunk: [64, 64])
        // A small unwritten dataset is fine (reads HDF5's fill value, zeros).
        try HDF5TestSupport.createUnwrittenDataset(in: root, name: "small", dims: [3], chunk: nil)
        // Checks apply to untrusted (read-only) files; the writer's own file is trusted.
        #expect(try root.dataset("contiguous").shape == [1 << 30])
        try file.close()

        let reader = try HDF5File(readingFrom: path).root
        for name in ["contiguous", "bomb", "too_many"] {
            let error = #expect(throws: HDF5Error.self) { try reader.dataset(name) }
            guard case let .implausibleSize(errorFile, errorPath, detail)? = error else {
                Issue.record("\(name): expected implausibleSize, got \(String(describing: error))")
                continue
            }
            #expect(errorFile == path)
            #expect(errorPath == "/\(name)")
            #expect(!detail.isEmpty)
        }
        #expect(try reader.dataset("small").readFloats() == [0, 0, 0])
    }

    @Test func lookupErrorsNameTheObject() throws {
        let path = Fixture.path(Fixture.kerasWeights)
        let root = try HDF5File(readingFrom: path).root
        #expect(throws: HDF5Error.notFound(file: path, path: "/nope")) { try root.group("nope") }
        #expect(throws: HDF5Error.notFound(file: path, path: "/dense/nope")) { try root.dataset("dense/nope/x") }
        #expect(throws: HDF5Error.wrongKind(file: path, path: "/dense", expected: "a dataset", found: "a group")) {
            try root.dataset("dense")
        }
        #expect(throws: HDF5Error.wrongKind(
            file: path, path: "/dense/dense/kernel:0", expected: "a group", found: "a dataset")) {
            try root.group("dense/dense/kernel:0/x")
        }
        #expect(throws: HDF5Error.self) { try root.group("") }
        #expect(throws: HDF5Error.self) { try root.group("dense/./dense") }
    }

    @Test func nonHDF5InputsGiveErrors() throws {
        let directory = try TemporaryDirectory()
        var generator = SeededGenerator(seed: 7)
        let random = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let real = try Fixture.bytes(Fixture.kerasWeights)
        let inputs: [(String, [UInt8])] = [
            ("empty.h5", []),
            ("random.h5", random),
            ("text.h5", Array("this is not an HDF5 file\n".utf8)),
            ("truncated.h5", Array(real.prefix(real.count / 2))),
            ("header_only.h5", Array(real.prefix(512))),
        ]
        for (name, bytes) in inputs {
            let path = try directory.write(name, bytes)
            let diskError = #expect(throws: HDF5Error.self) { _ = try HDF5File(readingFrom: path) }
            if case .cannotOpen(let file, let message)? = diskError {
                #expect(file == path)
                #expect(!message.isEmpty)
            } else {
                Issue.record("\(name): expected cannotOpen, got \(String(describing: diskError))")
            }
            #expect(throws: HDF5Error.self) { _ = try HDF5File(bytes: bytes, name: name) }
        }
        let garbage = try directory.write("garbage.h5", random)
        let error = #expect(throws: HDF5Error.self) { _ = try HDF5File(readingFrom: garbage) }
        #expect(error?.description == "cannot open '\(garbage)' as HDF5: file signature not found")
        let missing = directory.path("missing.h5")
        let missingError = #expect(throws: HDF5Error.self) { _ = try HDF5File(readingFrom: missing) }
        #expect(missingError?.description == "cannot open '\(missing)' as HDF5: \(missing): no such file")
    }
}
