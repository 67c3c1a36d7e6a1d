#if canImport(Glibc)
import Glibc
#endif

/// Memory whose size a file decides, allocated so that not getting it is an error for the caller
/// (Swift's own allocation stops the process).
package enum FallibleAllocation {
    /// `count` uninitialized floats from `malloc`, or nil when they cannot be had.
    package static func floats(_ count: Int) -> UnsafeMutableBufferPointer<Float>? {
        let n = max(1, count)
        let (bytes, overflow) = n.multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        guard !overflow, let raw = malloc(bytes) else { return nil }
        return UnsafeMutableBufferPointer(start: raw.bindMemory(to: Float.self, capacity: n), count: max(0, count))
    }

    /// Frees what ``floats(_:)`` allocated.
    package static func free(_ buffer: UnsafeMutableBufferPointer<Float>) {
        Glibc.free(buffer.baseAddress)
    }
}
