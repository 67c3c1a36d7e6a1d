internal import CHDF5

/// Reading and writing a dataset a piece at a time: a run of elements in C order, selected in the
/// file as a union of hyperslab boxes (at most two per axis), so that memory holds one piece
/// whatever the dataset's size. Contiguous and chunked datasets alike (libhdf5 reads the chunks a
/// piece overlaps).
extension HDF5Dataset {
    /// Reads elements `start ..< start + buffer.count` (flat, C order) converted to Float, as
    /// ``readFloats(into:)`` converts them.
    package func readFloats(from start: Int, into buffer: UnsafeMutableBufferPointer<Float>) throws(HDF5Error) {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = try requireID()
            guard elementType.isNumeric || typeInfo.isConvertibleFloat else {
                throw HDF5Error.unsupportedType(file: filePath, path: name, type: elementType.description, requested: "float32")
            }
            try checkRange(start, buffer.count)
            guard buffer.count > 0, let base = buffer.baseAddress else { return }
            try withSelection(start: start, count: buffer.count) { (memory, file) throws(HDF5Error) in
                if elementType == .float16 {
                    let fileType = try HDF5Library.check(H5Dget_type(id), failure("reading"))
                    defer { _ = H5Tclose(fileType) }
                    let memoryType = try HDF5Library.check(H5Tcopy(fileType), failure("reading"))
                    defer { _ = H5Tclose(memoryType) }
                    try HDF5Library.check(H5Tset_order(memoryType, H5T_ORDER_LE), failure("reading"))
                    let bits = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: buffer.count)
                    defer { bits.deallocate() }
                    try HDF5Library.check(H5Dread(id, memoryType, memory, file, hid_t(H5P_DEFAULT), UnsafeMutableRawPointer(bits.baseAddress)),
                                          failure("reading"))
                    for i in 0..<buffer.count { base[i] = HalfFloat.toFloat(UInt16(littleEndian: bits[i])) }
                } else {
                    try HDF5Library.check(H5Dread(id, nn_h5t_native_float(), memory, file, hid_t(H5P_DEFAULT), UnsafeMutableRawPointer(base)),
                                          failure("reading"))
                }
            }
        }
    }

    /// Where the elements lie in the file when they are plain little-endian IEEE float32 stored
    /// contiguously (no filters, allocated, inside the file as checked when the dataset was opened),
    /// so that a reader may `pread` them without libhdf5; nil otherwise.
    package var contiguousFloat32Bytes: (offset: Int, count: Int)? {
        guard !file.isWritable, layout == .contiguous, elementType == .float32, typeInfo.littleEndian, typeInfo.size == 4,
              !typeInfo.isConvertibleFloat, elementCount > 0 else { return nil }
        return HDF5Library.locked { () -> (offset: Int, count: Int)? in
            guard let id = try? requireID() else { return nil }
            let address = H5Dget_offset(id)
            HDF5Library.discardErrorStack()
            // Undefined (never written) data has no address: libhdf5 then reads fill values.
            guard address != haddr_t.max, address < haddr_t(Int.max) else { return nil }
            let offset = Int(address), count = declaredBytes
            guard offset <= file.sizeWhenOpened, count <= file.sizeWhenOpened - offset else { return nil }
            return (offset, count)
        }
    }

    /// Writes `values` as elements `start ..< start + values.count` (flat, C order).
    package func write(_ values: UnsafeBufferPointer<Float>, at start: Int) throws(HDF5Error) {
        try write(UnsafeRawPointer(values.baseAddress), count: values.count, at: start, memoryType: nn_h5t_native_float)
    }

    /// Writes `values` as elements `start ..< start + values.count` (flat, C order).
    package func write(_ values: UnsafeBufferPointer<Double>, at start: Int) throws(HDF5Error) {
        try write(UnsafeRawPointer(values.baseAddress), count: values.count, at: start, memoryType: nn_h5t_native_double)
    }

    private func write(_ data: UnsafeRawPointer?, count: Int, at start: Int, memoryType: () -> hid_t) throws(HDF5Error) {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = try requireID()
            guard file.isWritable else { throw HDF5Error.readOnly(file: filePath, path: name, operation: "write") }
            try checkRange(start, count)
            guard count > 0, let data else { return }
            try withSelection(start: start, count: count) { (memory, file) throws(HDF5Error) in
                try HDF5Library.check(H5Dwrite(id, memoryType(), memory, file, hid_t(H5P_DEFAULT), data), failure("writing"))
            }
        }
    }

    private func checkRange(_ start: Int, _ count: Int) throws(HDF5Error) {
        guard start >= 0, count >= 0, start <= elementCount, count <= elementCount - start else {
            throw HDF5Error.invalidArgument(file: filePath, path: name,
                                            detail: "elements \(start)..<\(start + count) of a dataset of \(elementCount)")
        }
    }

    /// Calls `body` with the memory and file dataspaces selecting elements `start ..< start + count`
    /// (`H5S_ALL` for both when that is every element). Lock must be held; `count` > 0.
    private func withSelection(start: Int, count: Int, _ body: (hid_t, hid_t) throws(HDF5Error) -> Void) throws(HDF5Error) {
        if start == 0, count == elementCount {
            try body(hid_t(H5S_ALL), hid_t(H5S_ALL))
            return
        }
        let id = try requireID()
        let fileSpace = try HDF5Library.check(H5Dget_space(id), failure("selecting elements of"))
        defer { _ = H5Sclose(fileSpace) }
        for (i, box) in Self.boxes(from: start, count: count, in: shape).enumerated() {
            let origin = box.start.map { hsize_t($0) }
            let extent = box.count.map { hsize_t($0) }
            try HDF5Library.check(
                H5Sselect_hyperslab(fileSpace, i == 0 ? H5S_SELECT_SET : H5S_SELECT_OR, origin, nil, extent, nil),
                failure("selecting elements of"))
        }
        let memorySpace = try HDF5Library.check(H5Screate_simple(1, [hsize_t(count)], nil), failure("selecting elements of"))
        defer { _ = H5Sclose(memorySpace) }
        try body(memorySpace, fileSpace)
    }

    /// The boxes (origin and extent per axis) whose union is the flat C-order run
    /// `start ..< start + count` of an array of `shape`: a partial row at each end of each axis
    /// and whole rows between, at most two boxes per axis plus one. Empty for an empty run; for a
    /// scalar, one box of rank 0.
    package static func boxes(from start: Int, count: Int, in shape: [Int]) -> [(start: [Int], count: [Int])] {
        guard count > 0 else { return [] }
        guard !shape.isEmpty else { return [([], [])] }
        var out: [(start: [Int], count: [Int])] = []
        // Runs [s, e) inside the sub-array of axes `axis...`, the axes before fixed at `prefix`.
        func visit(_ s: Int, _ e: Int, axis: Int, prefix: [Int]) {
            guard s < e else { return }
            let rest = Array(shape[(axis + 1)...])
            let inner = rest.reduce(1, *)
            let ones = [Int](repeating: 1, count: prefix.count)
            let zeros = [Int](repeating: 0, count: rest.count)
            func rows(_ from: Int, _ to: Int) { out.append((prefix + [from] + zeros, ones + [to - from] + rest)) }
            if s % inner == 0, e % inner == 0 { return rows(s / inner, e / inner) }
            let first = s / inner, last = (e - 1) / inner
            if first == last { return visit(s - first * inner, e - first * inner, axis: axis + 1, prefix: prefix + [first]) }
            var whole = first
            if s % inner != 0 {
                visit(s % inner, inner, axis: axis + 1, prefix: prefix + [first])
                whole = first + 1
            }
            let end = e / inner
            if end > whole { rows(whole, end) }
            if e % inner != 0 { visit(0, e % inner, axis: axis + 1, prefix: prefix + [end]) }
        }
        visit(start, start + count, axis: 0, prefix: [])
        return out
    }
}
