/// A row-major, Float32 n-dimensional array with value semantics (copy on write).
public struct Tensor: Sendable {
    /// The extent of each axis, outermost first.
    public private(set) var shape: [Int]
    private var storage: TensorStorage

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.shape = shape
        storage = TensorStorage(zeros: Tensor.count(of: shape))
    }

    /// A tensor holding `values` in row-major order.
    ///
    /// - Precondition: `values.count` equals the product of `shape` (a programming error otherwise;
    ///   input-dependent callers validate first, see ``Tensor/init(shape:validating:)``).
    public init(shape: [Int], values: [Float]) {
        precondition(values.count == Tensor.count(of: shape), "value count does not match shape \(shape)")
        self.shape = shape
        storage = TensorStorage(copying: values)
    }

    /// A tensor holding `values`, or `nil` when their number does not match `shape`.
    public init?(shape: [Int], validating values: [Float]) {
        guard let n = Tensor.checkedCount(of: shape), n == values.count else { return nil }
        self.init(shape: shape, values: values)
    }

    /// A tensor over existing storage (for example memory-mapped file bytes).
    package init(shape: [Int], storage: TensorStorage) {
        precondition(storage.buffer.count == Tensor.count(of: shape), "storage does not match shape \(shape)")
        self.shape = shape
        self.storage = storage
    }

    /// The number of elements.
    public var count: Int { storage.buffer.count }

    /// The elements as an array (a copy).
    public var scalars: [Float] { Array(storage.buffer) }

    /// The first element's address; valid while this tensor (or a copy of it) is alive and unmodified.
    package var unsafeBaseAddress: UnsafePointer<Float> {
        UnsafePointer(storage.buffer.baseAddress ?? UnsafeMutablePointer(mutating: Tensor.emptyElement))
    }

    nonisolated(unsafe) private static let emptyElement = UnsafeMutablePointer<Float>.allocate(capacity: 1)

    /// Whether the elements live in borrowed memory, such as a memory-mapped file.
    package var isBorrowed: Bool { storage.isBorrowed }

    /// Calls `body` with read-only access to the elements.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(storage.buffer))
    }

    /// Calls `body` with writable access to the elements, copying them first if they are shared
    /// or borrowed.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) || storage.isBorrowed {
            storage = TensorStorage(copying: storage.buffer)
        }
        return try body(storage.buffer)
    }

    /// The element at a flat row-major index.
    public subscript(flat index: Int) -> Float {
        get { storage.buffer[index] }
        set { withUnsafeMutableBufferPointer { $0[index] = newValue } }
    }

    /// The same elements under a new shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor? {
        guard Tensor.checkedCount(of: newShape) == count else { return nil }
        var t = self
        t.shape = newShape
        return t
    }

    /// Product of `shape`; traps on overflow, so use only for shapes already validated.
    static func count(of shape: [Int]) -> Int {
        shape.reduce(1, *)
    }

    /// Product of `shape`, or `nil` when a dimension is negative or the product overflows.
    public static func checkedCount(of shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = p
        }
        return n
    }
}

extension Tensor: Equatable {
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.withUnsafeBufferPointer { a in
            rhs.withUnsafeBufferPointer { b in a.elementsEqual(b) }
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = storage.buffer.prefix(6).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 6 ? ", ..." : "")])"
    }
}
