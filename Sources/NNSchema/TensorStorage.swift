/// Contiguous Float32 memory behind a ``Tensor``: either owned, or borrowed from an owner
/// (for example a memory-mapped file) that is kept alive as long as the storage is.
package final class TensorStorage: @unchecked Sendable {
    /// The elements.
    package let buffer: UnsafeMutableBufferPointer<Float>
    /// Keeps borrowed memory alive; `nil` when the storage owns its buffer.
    private let owner: AnyObject?

    /// Allocates `count` zero-initialised elements.
    package init(zeros count: Int) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: 0)
        owner = nil
    }

    /// Allocates a copy of `values`.
    package init(copying values: some Collection<Float>) {
        buffer = .allocate(capacity: values.count)
        _ = buffer.initialize(from: values)
        owner = nil
    }

    /// Allocates `count` elements and lets `initialize` write every one of them (no zero fill first).
    package init(count: Int, initializingWith initialize: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        do {
            try initialize(buffer)
        } catch {
            buffer.deallocate()
            throw error
        }
        self.buffer = buffer
        owner = nil
    }

    /// Wraps memory owned by `owner`; the memory must stay valid while `owner` lives.
    ///
    /// The memory may be written through ``Tensor``'s mutating API only if the owner allows it
    /// (a private, copy-on-write mapping does); otherwise callers copy first.
    package init(borrowing buffer: UnsafeMutableBufferPointer<Float>, owner: AnyObject) {
        self.buffer = buffer
        self.owner = owner
    }

    /// Whether the memory is borrowed from another object.
    package var isBorrowed: Bool { owner != nil }

    deinit {
        if owner == nil { buffer.deallocate() }
    }
}
