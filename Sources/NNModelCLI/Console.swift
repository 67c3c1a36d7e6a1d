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

    /// Writes bytes as they are to standard output (a model written to '-').
    static func outBytes(_ bytes: UnsafeRawBufferPointer) {
        if let capture {
            capture.append(String(decoding: bytes, as: UTF8.self), toStandardError: false)
            return
        }
        writeAll(standardOutput, bytes)
    }

    /// Whether the descriptor is a terminal.
    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) != 0 }

    /// When set (by tests running commands in-process), output goes here instead of the descriptors.
    @TaskLocal static var capture: OutputCapture?

    /// The first error other than a closed pipe met writing standard output (an `errno` value), if any.
    ///
    /// A full disk or a failing device must not pass for success: `runMain` turns it into exit
    /// status 74. A reader that closed the pipe (`head`) is not an error: further output is dropped.
    static var standardOutputError: Int32? { failures.locked { failures.outputError } }

    /// Whether standard output was closed by its reader (EPIPE).
    static var standardOutputClosed: Bool { failures.locked { failures.outputClosed } }

    private static let failures = WriteFailures()

    static func write(_ fd: Int32, _ text: String) {
        if let capture {
            capture.append(text, toStandardError: fd == standardError)
            return
        }
        var text = text
        text.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) }
    }

    /// Writes every byte to `fd`, retrying on EINTR. For standard output, a failure is recorded
    /// (EPIPE: closed by its reader; else an error `runMain` reports) and later output dropped;
    /// standard error failing leaves nowhere to say so.
    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) {
        if fd == standardOutput && failures.locked({ failures.outputClosed || failures.outputError != nil }) { return }
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(fd, p, left)
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                if fd == standardOutput {
                    failures.locked { if code == EPIPE { failures.outputClosed = true } else { failures.outputError = code } }
                }
                return
            }
            p += n
            left -= n
        }
    }
}

/// What went wrong writing the standard streams, shared by every thread that prints.
private final class WriteFailures: @unchecked Sendable {
    private let lock = PthreadLock()
    var outputError: Int32?
    var outputClosed = false
    func locked<T>(_ body: () -> T) -> T { lock.locked(body) }
}

/// Collects what a command prints, for in-process tests.
public final class OutputCapture: @unchecked Sendable {
    private let lock = PthreadLock()
    private var out = ""
    private var err = ""

    public init() {}

    func append(_ text: String, toStandardError: Bool) {
        lock.locked { if toStandardError { err += text } else { out += text } }
    }

    /// Everything written to standard output.
    public var standardOutput: String { lock.locked { out } }
    /// Everything written to standard error.
    public var standardError: String { lock.locked { err } }
}

/// A minimal mutex over pthread, so the CLI needs no Foundation.
final class PthreadLock: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}
