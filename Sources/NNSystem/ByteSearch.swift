internal import CKernels

/// Substring search in raw bytes (`nnsearch.c` in CKernels: 16 positions per step on x86-64).
package enum ByteSearch {
    /// The offset in `bytes` of the first occurrence of `needle`, or nil (also for an empty needle).
    package static func firstOffset(of needle: [UInt8], in bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress, !needle.isEmpty, needle.count <= bytes.count else { return nil }
        let found = needle.withUnsafeBytes { nn_find_bytes(base, bytes.count, $0.baseAddress, needle.count) }
        return found >= 0 ? found : nil
    }
}
