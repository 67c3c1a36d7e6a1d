@_spi(Testing) import NNSystem
import NNTestSupport
import Foundation
import Testing
@testable import NNSystem

func gunzip(_ bytes: [UInt8], limit: Int = 1 << 33) -> FileError? {
    fileError { () throws(FileError) in try Gzip.decompress(bytes, path: "data.gz", limit: limit) }
}

@Suite("Gzip, CRC-32, file reading and atomic writes")
struct SystemTests {
    // MARK: CRC-32

    @Test func crc32CheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
    }

    @Test func crc32Continues() {
        let a = Array("12345".utf8), b = Array("6789".utf8)
        let first = CRC32.checksum(a)
        #expect(b.withUnsafeBytes { CRC32.checksum($0, continuing: first) } == 0xCBF4_3926)
    }

    // MARK: Gzip

    @Test func realDeflateStream() throws {
        #expect(Gzip.isGzip(pythonGzip))
        #expect(try Gzip.decompress(pythonGzip, path: "p.gz") == pythonGzipPlain)
    }

    @Test(arguments: [0, 1, 1000, 70_000, 200_000])
    func storedBlocksOfAnySize(_ size: Int) throws {
        let plain = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        #expect(try Gzip.decompress(storedGzip(plain), path: "s.gz") == plain)
    }

    /// `cat a.gz b.gz c.gz`: every member, in order.
    @Test func multipleMembers() throws {
        let members = storedGzip(Array("first ".utf8)) + pythonGzip + storedGzip([]) + storedGzip(Array("last".utf8))
        #expect(try Gzip.decompress(members, path: "m.gz") == Array("first ".utf8) + pythonGzipPlain + Array("last".utf8))
    }

    @Test func truncatedOrCorruptDataIsRefused() {
        let whole = pythonGzip
        for cut in [1, 4, 8, 50, whole.count - 11] {
            guard case let .invalidGzip(path, reason)? = gunzip(Array(whole.dropLast(cut))) else {
                Issue.record("cut of \(cut) bytes not refused")
                continue
            }
            #expect(path == "data.gz")
            #expect(!reason.isEmpty)
        }
        // A truncated second member.
        guard case .invalidGzip? = gunzip(storedGzip([1, 2, 3]) + Array(pythonGzip.prefix(60))) else {
            Issue.record("truncated second member not refused")
            return
        }
        // Corrupt compressed data and a wrong checksum.
        var corrupt = whole
        corrupt[40] ^= 0xFF
        #expect(gunzip(corrupt) != nil)
        var badCRC = storedGzip(Array("checksum".utf8))
        badCRC[badCRC.count - 6] ^= 0x01
        guard case let .invalidGzip(_, reason)? = gunzip(badCRC) else {
            Issue.record("wrong CRC accepted")
            return
        }
        #expect(reason.contains("check"), "\(reason)")
        #expect(gunzip([]) == .invalidGzip(path: "data.gz", reason: "the file is empty"))
        #expect(FileError.invalidGzip(path: "data.gz", reason: "x").description == "data.gz: invalid gzip data: x")
    }

    @Test func outputLimit() {
        let error = gunzip(pythonGzip, limit: 100)
        guard case let .tooLarge(path, _, limit)? = error else {
            Issue.record("limit ignored: \(String(describing: error))")
            return
        }
        #expect(path == "data.gz" && limit == 100)
        #expect(throws: Never.self) { try Gzip.decompress(pythonGzip, path: "p", limit: pythonGzipPlain.count) }
    }

    @Test func gzipMagic() {
        #expect(!Gzip.isGzip([]))
        #expect(!Gzip.isGzip([0x1F]))
        #expect(!Gzip.isGzip([0, 0, 8, 1]))
        #expect(Gzip.isGzip([0x1F, 0x8B]))
    }

    // MARK: FileReader

    @Test func fileReaderErrorsNameTheFile() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("ten", [UInt8](repeating: 7, count: 10))
        #expect(try FileReader.bytes(path) == [UInt8](repeating: 7, count: 10))
        #expect(try FileReader.size(of: path) == 10)
        #expect(fileError({ () throws(FileError) in try FileReader.bytes(path, limit: 9) }) == .tooLarge(path: path, size: 10, limit: 9))
        let missing = folder.path + "/missing"
        #expect(fileError({ () throws(FileError) in try FileReader.bytes(missing) }) == .notFound(path: missing))
        #expect(fileError({ () throws(FileError) in try FileReader.bytes(folder.path) }) == .isDirectory(path: folder.path))
        #expect(fileError({ () throws(FileError) in try FileReader.bytes(path + "/below-a-file") }) == .notFound(path: path + "/below-a-file"))
        #expect(fileError({ () throws(FileError) in try FileReader.size(of: "/dev/null") }) == .notAFile(path: "/dev/null"))
        #expect(FileReader.exists(path) && !FileReader.exists(missing))
        #expect(FileReader.isDirectory(folder.path) && !FileReader.isDirectory(path))
        try folder.write("b", [])
        try folder.write("a", [])
        #expect(try FileReader.contents(ofDirectory: folder.path) == ["a", "b", "ten"])
    }

    // MARK: AtomicFile

    @Test func atomicWriteCreatesAndReplaces() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/model.nnm"
        try AtomicFile.write(Array("first version".utf8), to: path)
        #expect(try FileReader.bytes(path) == Array("first version".utf8))
        try AtomicFile.write(Array("v2".utf8), to: path)
        #expect(try FileReader.bytes(path) == Array("v2".utf8))
        try AtomicFile.write([], to: path)
        #expect(try FileReader.bytes(path) == [])
        // No temporary file is left behind.
        #expect(folder.names == ["model.nnm"])
        // Permissions of an ordinary new file (0666 & ~umask), not mkstemp's 0600. The umask is
        // read from /proc: setting it to read it would race with the tests running beside this one.
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Umask:") })
        let mask = try #require(Int(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == Int(0o666 & ~mask))
    }

    @Test func atomicWriteInAMissingFolderFailsCleanly() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/no/such/folder/model.nnm"
        let error = fileError { () throws(FileError) in try AtomicFile.write([1, 2, 3], to: path) }
        #expect(error == .folderMissing(path: path, folder: folder.path + "/no/such/folder"))
        #expect(error?.description.hasPrefix(path) == true)
        #expect(!FileReader.exists(path))
        #expect(folder.names.isEmpty)
        // A folder in the way of the file.
        let occupied = folder.path + "/occupied"
        try FileManager.default.createDirectory(atPath: occupied, withIntermediateDirectories: false)
        #expect(fileError({ () throws(FileError) in try AtomicFile.write([1], to: occupied) })
            == .unsuitableTarget(path: occupied, reason: "it is a folder"))
        #expect(folder.names == ["occupied"])
    }

    /// A save replaces a regular file; it never writes into a FIFO or device, or through a link.
    @Test func atomicWriteRefusesTargetsThatAreNotRegularFiles() throws {
        let folder = try TemporaryFolder()
        let fifo = folder.file("fifo.nnm")
        #expect(mkfifo(fifo, 0o600) == 0)
        let elsewhere = try folder.write("elsewhere.txt", text: "keep")
        let link = folder.file("link.nnm")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: elsewhere)
        #expect(fileError({ () throws(FileError) in try AtomicFile.write([1], to: fifo) })
            == .unsuitableTarget(path: fifo, reason: "it is not a regular file (a device, FIFO or socket)"))
        #expect(fileError({ () throws(FileError) in try AtomicFile.write([1], to: link) })
            == .unsuitableTarget(path: link, reason: "it is a symbolic link (give the path of the file itself)"))
        #expect(fileError({ () throws(FileError) in try AtomicFile.write([1], to: "/dev/null") })
            == .unsuitableTarget(path: "/dev/null", reason: "it is not a regular file (a device, FIFO or socket)"))
        #expect(try FileReader.bytes(elsewhere) == Array("keep".utf8))
        #expect(folder.names == ["elsewhere.txt", "fifo.nnm", "link.nnm"])
    }

    /// The temporary file is written through the descriptor that created it, so replacing its
    /// name meanwhile (with a link to another file) cannot redirect the write.
    @Test func swappingTheTemporaryFileCannotRedirectTheWrite() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("m.nnm")
        let victim = try folder.write("victim.txt", text: "precious")
        #expect(chmod(victim, 0o600) == 0)
        let error = fileError { () throws(FileError) in
            try AtomicFile.replace(path) { (fd: Int32) throws(FileError) in
            // An attacker swaps the temporary name for a link to the victim.
            for name in folder.names where name.hasPrefix(AtomicFile.temporaryPrefix) {
                unlink(folder.file(name))
                symlink(victim, folder.file(name))
            }
            try AtomicFile.writeAll(fd, Array("new".utf8), path: path)
            }
        }
        // The victim is untouched (content and mode), and the swapped-in link is not moved into place.
        #expect(error == .writeFailed(path: path, reason: "the temporary file was replaced by something else"))
        #expect(try FileReader.bytes(victim) == Array("precious".utf8))
        let attributes = try FileManager.default.attributesOfItem(atPath: victim)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(!FileReader.exists(path))
    }

    /// A swap in the window between the last check of the temporary name and the rename moves
    /// the attacker's link into place; the save reports it instead of succeeding.
    @Test func aSwapRightBeforeTheRenameIsReported() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("m.nnm")
        let victim = try folder.write("victim.txt", text: "precious")
        let error = fileError { () throws(FileError) in
            try AtomicFile.replace(path, fill: { (fd: Int32) throws(FileError) in
                try AtomicFile.writeAll(fd, Array("new".utf8), path: path)
            }, beforeRename: { temporary in
                unlink(temporary)
                symlink(victim, temporary)
            })
        }
        #expect(error == .writeFailed(path: path, reason: "the temporary file was replaced by something else while it was renamed into place (what is there now is not the file written)"))
        #expect(try FileReader.bytes(victim) == Array("precious".utf8))
    }

    @Test func aFailedFillLeavesTheOldFileAndNoTemporary() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("keep.txt", text: "old")
        let error = fileError { () throws(FileError) in
            try AtomicFile.replace(path) { (fd: Int32) throws(FileError) in
                #expect(fd >= 0 && folder.names.contains { $0.hasPrefix(AtomicFile.temporaryPrefix + "keep.txt.") })
                throw .writeFailed(path: path, reason: "boom")
            }
        }
        #expect(error == .writeFailed(path: path, reason: "boom"))
        #expect(try FileReader.bytes(path) == Array("old".utf8))
        #expect(folder.names == ["keep.txt"])
    }

    @Test func leftoversOfDeadProcessesAreRemoved() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/m.nnm"
        // pid 2147483646 is above any pid_max, so no such process runs.
        let dead = try folder.write(AtomicFile.temporaryPrefix + "m.nnm.2147483646.abcdef", [1])
        let mine = try folder.write(AtomicFile.temporaryPrefix + "m.nnm.\(getpid()).abcdef", [2])
        let other = try folder.write(AtomicFile.temporaryPrefix + "other.nnm.2147483646.abcdef", [3])
        #expect(AtomicFile.removeLeftovers(for: path) == 1)
        #expect(!FileReader.exists(dead) && FileReader.exists(mine) && FileReader.exists(other))
    }

    @Test func pathParts() {
        #expect(AtomicFile.folderName(of: "a/b/c.txt") == "a/b")
        #expect(AtomicFile.folderName(of: "c.txt") == ".")
        #expect(AtomicFile.folderName(of: "/c.txt") == "/")
        #expect(AtomicFile.baseName(of: "a/b/c.txt") == "c.txt")
        #expect(AtomicFile.baseName(of: "c.txt") == "c.txt")
    }
}
