internal import CHDF5
import Foundation

/// Process-wide state of the HDF5 C library: one-time setup, the global lock, and
/// turning HDF5's error stack into Swift errors.
///
/// A libhdf5 build may or may not be thread-safe (Debian's 1.10.8 "serial" build
/// is; the default build from source is not), so every call into it from this
/// module happens inside `HDF5Library.locked`; the same lock guards this module's
/// own state (open/closed files). The lock is recursive so that a handle released
/// while the lock is held can close itself from `deinit`.
package enum HDF5Library {
    /// The single lock that serializes every libhdf5 call made by this module.
    private static let lock = NSRecursiveLock()

    /// Runs once per process, before the first HDF5 call: disables dynamic loading
    /// of filter plugins (a file must not be able to make the process `dlopen` a
    /// shared library).
    private static let setUp: Bool = {
        _ = H5PLset_loading_state(0)
        _ = nn_h5_clear_errors()
        return true
    }()

    /// Thread-specific flag: set once HDF5's automatic error printing is off for
    /// the current thread.
    ///
    /// Debian's libhdf5 is built thread-safe, and then the default error stack (and
    /// with it the automatic printing of errors to stderr) is per thread: switching
    /// printing off once only silences the thread that did it. So every thread
    /// switches it off before its first HDF5 call.
    private static let silencedKey: pthread_key_t = {
        var key = pthread_key_t()
        _ = pthread_key_create(&key, nil)
        return key
    }()

    /// Switches off HDF5's automatic error printing for the calling thread, once.
    private static func silenceCurrentThread() {
        guard pthread_getspecific(silencedKey) == nil else { return }
        _ = nn_h5_silence_errors()
        _ = pthread_setspecific(silencedKey, UnsafeRawPointer(bitPattern: 1))
    }

    /// Runs `body` while holding the global HDF5 lock, after one-time library setup
    /// and with HDF5's error printing switched off for the calling thread.
    package static func locked<T>(_ body: () throws(HDF5Error) -> T) throws(HDF5Error) -> T {
        lock.lock()
        defer { lock.unlock() }
        silenceCurrentThread()
        _ = setUp
        return try body()
    }

    /// Runs `body` with the library lock held (for work that cannot fail).
    package static func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        silenceCurrentThread()
        _ = setUp
        return body()
    }

    /// Version of the linked libhdf5, e.g. "1.10.8".
    static var versionString: String {
        locked {
            guard nn_h5_load() == 0 else { return "unavailable (\(String(cString: nn_h5_load_error())))" }
            var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
            _ = H5get_libversion(&major, &minor, &release)
            return "\(major).\(minor).\(release)"
        }
    }

    // MARK: - Error stack

    /// Collects the messages on HDF5's default error stack (outermost first) and
    /// clears the stack. Must be called with the lock held.
    static func takeErrorStack() -> [String] {
        final class Collector {
            var entries: [String] = []
        }
        let collector = Collector()
        let context = Unmanaged.passUnretained(collector).toOpaque()
        _ = nn_h5_error_walk({ _, description, minor, context in
            guard let context else { return }
            let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
            let text = description.map { String(cString: $0) } ?? ""
            let minorText = minor.map { String(cString: $0) } ?? ""
            var entry = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if entry.isEmpty { entry = minorText }
            if !entry.isEmpty { collector.entries.append(entry) }
        }, context)
        _ = nn_h5_clear_errors()
        return collector.entries
    }

    /// The most specific message on the error stack (the innermost failure), or a
    /// generic text when HDF5 reported a failure without pushing an error.
    /// Clears the stack. Must be called with the lock held.
    static func takeErrorMessage() -> String {
        let entries = takeErrorStack()
        return entries.last ?? "HDF5 reported a failure without a message"
    }

    /// Discards whatever is on the error stack (after a failure that is not reported).
    package static func discardErrorStack() {
        _ = nn_h5_clear_errors()
    }

    /// Turns a negative `herr_t`/`hid_t`/size result into a thrown error.
    ///
    /// This is the one place where libhdf5 failures become Swift errors: `makeError`
    /// receives the library's own message, collected from the error stack.
    @discardableResult
    package static func check<T: BinaryInteger>(_ result: T, _ makeError: (String) -> HDF5Error) throws(HDF5Error) -> T {
        if result < 0 {
            throw makeError(takeErrorMessage())
        }
        return result
    }
}
