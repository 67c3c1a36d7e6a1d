/// Validation of a file's global heap collections before libhdf5 reads from them.
///
/// Variable-length strings (Keras's `layer_names`, `weight_names`, `keras_version`)
/// live in global heap collections ("GCOL" blocks). libhdf5 1.10 trusts the object
/// sizes inside a collection (checked only by debug-build assertions): a corrupted
/// size makes `H5HG_read` copy past the end of the collection and crash the process
/// (segfault, or a double free when the file is closed). The fuzz sweep found such
/// inputs (`Fixtures/hdf5/crashers/`). So before the first variable-length read,
/// every collection in the file is walked the way libhdf5 walks it, and the file is
/// refused if any object would overrun its collection.
///
/// What this cannot catch: a corrupted heap *reference* (collection address and
/// object index stored in the attribute's own data), which libhdf5 also follows
/// unchecked; reaching those would need parsing object headers.
enum HDF5GlobalHeapCheck {
    /// Size of the "GCOL" collection header: signature, version, 3 reserved bytes, size.
    static func headerSize(lengthSize: Int) -> Int { 8 + lengthSize }
    /// Size of one object's header: index (2), reference count (2), reserved (4), size.
    static func objectHeaderSize(lengthSize: Int) -> Int { 8 + lengthSize }

    /// The objects of every collection that passed: collection offset in the file
    /// -> object index -> object size.
    typealias Index = [Int: [UInt64: UInt64]]

    /// Walks every collection in `bytes`; returns the first problem found (or nil)
    /// and the objects of the collections checked before it.
    ///
    /// - Parameter lengthSize: the file's "size of lengths" (8 in practice; 2, 4 or 8).
    static func scan(_ bytes: HDF5FileBytes, lengthSize: Int) -> (problem: String?, index: Index) {
        var index: Index = [:]
        guard [2, 4, 8].contains(lengthSize), bytes.count >= 4 else { return (nil, index) }
        let signature: [UInt8] = Array("GCOL".utf8)
        var offset = 0
        while offset + 4 <= bytes.count {
            guard let found = bytes.find(signature, from: offset) else { break }
            switch checkCollection(at: found, in: bytes, lengthSize: lengthSize) {
            case .failure(let problem): return (problem.text, index)
            case .success(let objects): if let objects { index[found] = objects }
            }
            offset = found + 1
        }
        return (nil, index)
    }

    /// A problem found in a collection.
    struct Problem: Error { let text: String }

    /// Checks the collection whose signature starts at `start`: its objects (index
    /// -> size), nil when libhdf5 would reject it by itself, or the problem.
    static func checkCollection(
        at start: Int, in bytes: HDF5FileBytes, lengthSize: Int
    ) -> Result<[UInt64: UInt64]?, Problem> {
        let header = headerSize(lengthSize: lengthSize)
        guard start + header <= bytes.count else {
            return .failure(Problem(text: "global heap collection at offset \(start) is cut off by the end of the file"))
        }
        // libhdf5 rejects other versions itself (with an error, not a crash).
        guard bytes[start + 4] == 1 else { return .success(nil) }
        let size = bytes.unsigned(at: start + 8, width: lengthSize)
        guard size >= UInt64(header), size <= UInt64(bytes.count - start) else {
            return .failure(Problem(
                text: "global heap collection at offset \(start) declares \(size) bytes, beyond the end of the file"))
        }
        let end = start + Int(size)
        let objectHeader = objectHeaderSize(lengthSize: lengthSize)
        var objects: [UInt64: UInt64] = [:]
        var position = start + header
        while position < end {
            if position + objectHeader > end { break }  // a too-small tail is free space
            let index = bytes.unsigned(at: position, width: 2)
            let objectSize = bytes.unsigned(at: position + 8, width: lengthSize)
            let need: UInt64
            if index > 0 {
                // Checked before rounding up and adding the header, which would overflow for sizes near 2^64.
                let (aligned, overflow) = objectSize.addingReportingOverflow(7)
                guard !overflow, objectSize <= UInt64(end - position) else {
                    return .failure(Problem(
                        text: "global heap object \(index) at offset \(position) declares \(objectSize) bytes, overrunning its collection (which ends at offset \(end))"))
                }
                need = UInt64(objectHeader) + (aligned & ~7)
            } else {
                need = objectSize  // the free-space object's size includes its header
            }
            guard need > 0, need <= UInt64(end - position) else {
                return .failure(Problem(
                    text: "global heap object \(index) at offset \(position) declares \(objectSize) bytes, overrunning its collection (which ends at offset \(end))"))
            }
            if index > 0 { objects[index] = objectSize }
            position += Int(need)
        }
        return .success(objects)
    }
}
