#if canImport(Glibc)
import Glibc
#endif

/// A model read from standard input ('-'), held in memory.
enum StandardInput {
    /// The most bytes read from standard input (a larger model belongs in a file).
    static let maximumBytes = 1 << 31

    /// Everything standard input holds, refused when it is a terminal or holds more than
    /// ``maximumBytes``.
    static func readAll() throws -> [UInt8] {
        if Console.isTerminal(STDIN_FILENO) {
            throw CommandFailure(message: "-: standard input is a terminal; pipe a model into it (nnmodel convert m.h5 - --format nnm | nnmodel inspect -)",
                                 status: ExitStatus.usage)
        }
        var bytes: [UInt8] = []
        let chunk = 1 << 20
        while true {
            if bytes.count > maximumBytes {
                throw CommandFailure(message: "-: standard input holds more than \(maximumBytes) bytes; save the model to a file",
                                     status: ExitStatus.dataError)
            }
            let start = bytes.count
            bytes.reserveCapacity(start + chunk)
            bytes.append(contentsOf: repeatElement(0, count: chunk))
            let n = bytes.withUnsafeMutableBytes { buffer in
                buffer.baseAddress.map { read(STDIN_FILENO, $0 + start, chunk) } ?? -1
            }
            if n < 0 {
                if errno == EINTR { bytes.removeLast(chunk); continue }
                throw CommandFailure(message: "-: cannot read standard input: \(String(cString: strerror(errno)))", status: ExitStatus.ioError)
            }
            bytes.removeLast(chunk - n)
            if n == 0 { return bytes }
        }
    }
}
