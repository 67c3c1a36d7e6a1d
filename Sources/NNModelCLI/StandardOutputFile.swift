#if canImport(Glibc)
import Glibc
#endif
import NNModel

/// A model written to standard output ('-'): saved to a private temporary folder (the codecs
/// write files, some of them in place), then copied to standard output and removed.
enum StandardOutputFile {
    /// Calls `save` with a path in a new private folder, then streams the file to standard output.
    static func write(extension ext: String, _ save: (String) throws -> Void) throws {
        // A reader that stops early must not kill the process before the temporary file is
        // removed: write gets EPIPE instead, and SIGPIPE is raised once the folder is gone.
        let previous = signal(SIGPIPE, SIG_IGN)
        defer {
            signal(SIGPIPE, previous)
            if Console.standardOutputClosed && Console.capture == nil { raise(SIGPIPE) }
        }
        try copy(extension: ext, save)
    }

    private static func copy(extension ext: String, _ save: (String) throws -> Void) throws {
        let base = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base + "/nnmodel-stdout.XXXXXX").utf8CString)
        guard let folderPointer = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CommandFailure(message: "-: cannot create a temporary folder in \(base): \(String(cString: strerror(errno)))",
                                 status: ExitStatus.cannotCreate)
        }
        let folder = String(cString: folderPointer)
        let path = folder + "/model." + ext
        defer {
            unlink(path)
            rmdir(folder)
        }
        try save(path)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CommandFailure(message: "-: cannot read back the converted model: \(String(cString: strerror(errno)))",
                                 status: ExitStatus.ioError)
        }
        defer { close(fd) }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, chunk)
            if n < 0 {
                if errno == EINTR { continue }
                throw CommandFailure(message: "-: cannot read back the converted model: \(String(cString: strerror(errno)))",
                                     status: ExitStatus.ioError)
            }
            if n == 0 { break }
            Console.outBytes(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            if Console.standardOutputClosed { break }
        }
    }
}
