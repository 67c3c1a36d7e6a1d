#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Unbuffered writes to standard output and standard error, so progress, reports and errors
/// appear in the order they were produced whatever the streams are connected to.
enum Console {
    static let standardOutput = STDOUT_FILENO
    static let standardError = STDERR_FILENO

    /// Writes `text` followed by a newline to standard output.
    static func out(_ text: String = "") { write(STDOUT_FILENO, text + "\n") }

    /// Writes `text` as is to standard output.
    static func outRaw(_ text: String) { write(STDOUT_FILENO, text) }

    /// Writes `text` as is to standard error.
    static func errRaw(_ text: String) { write(STDERR_FILENO, text) }

    /// Whether the descriptor is a terminal.
    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) != 0 }

    static func write(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { buffer in
            guard var p = buffer.baseAddress else { return }
            var left = buffer.count
            while left > 0 {
                let n = Glibc.write(fd, p, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    return  // a closed pipe: nothing useful to do
                }
                p += n
                left -= n
            }
        }
    }
}
