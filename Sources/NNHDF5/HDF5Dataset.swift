internal import CHDF5

/// How a dataset's raw data is laid out in the file.
package enum HDF5StorageLayout: String, Sendable {
    /// Stored inside the object header (at most 64 KiB).
    case compact
    /// One contiguous block in the file.
    case contiguous
    /// Split into chunks, possibly compressed.
    case chunked
}

/// A dataset: an n-dimensional array of elements, checked when it was opened.
///
/// By the time an `HDF5Dataset` exists, it is known not to be external or virtual,
/// its shape and element count are within `HDF5Limits`, and (for files opened for
/// reading) its declared size is plausible for the file: contiguous data fits in
/// the file, compact data fits in an object header, and chunked data does not
/// expand more than `HDF5Limits.maxExpansion` times its stored size once large.
package final class HDF5Dataset: HDF5Object, @unchecked Sendable {
    /// Dimensions in C order; `[]` for a scalar.
    package let shape: [Int]
    /// The element type stored in the file.
    package let elementType: HDF5ElementType
    /// Number of elements (product of `shape`; 1 for a scalar).
    package let elementCount: Int
    /// Bytes the data occupies at the file's element size: `elementCount` × element size.
    package let declaredBytes: Int
    /// Bytes actually allocated in the file for the data (after compression).
    package let storageBytes: Int
    /// Storage layout.
    package let layout: HDF5StorageLayout
    /// Details of the file's datatype.
    let typeInfo: HDF5TypeInfo
    /// Maximum dimensions (`UInt64.max` = unlimited).
    let maxDimensions: [UInt64]

    /// Inspects and checks the dataset whose identifier `handle` owns. Lock must be held.
    init(inspecting handle: HDF5Handle, name: String) throws(HDF5Error) {
        let file = handle.file
        let fail: (String) -> HDF5Error = {
            .libraryFailure(file: file.path, path: name, operation: "inspecting dataset", message: $0)
        }
        let id = try handle.require(path: name)

        let dcpl = try HDF5Library.check(H5Dget_create_plist(id), fail)
        defer { _ = H5Pclose(dcpl) }
        let externalCount = try HDF5Library.check(H5Pget_external_count(dcpl), fail)
        if externalCount > 0 {
            throw HDF5Error.externalDataset(file: file.path, path: name, externalFileCount: Int(externalCount))
        }
        let rawLayout = H5Pget_layout(dcpl)
        switch rawLayout {
        case H5D_COMPACT: layout = .compact
        case H5D_CONTIGUOUS: layout = .contiguous
        case H5D_CHUNKED: layout = .chunked
        case H5D_VIRTUAL: throw HDF5Error.virtualDataset(file: file.path, path: name)
        default: throw fail(HDF5Library.takeErrorMessage())
        }

        let space = try HDF5Library.check(H5Dget_space(id), fail)
        defer { _ = H5Sclose(space) }
        let extent = try HDF5Dataspace.extent(
            of: space, maxElements: HDF5Limits.maxElementCount, file: file.path, path: name, failure: fail)
        if extent.isNull {
            throw HDF5Error.unsupportedShape(file: file.path, path: name, detail: "null dataspace (the dataset holds no data)")
        }

        let type = try HDF5Library.check(H5Dget_type(id), fail)
        defer { _ = H5Tclose(type) }
        let info = try HDF5TypeInfo.inspect(type, failure: fail)
        let (bytes, overflow) = extent.count.multipliedReportingOverflow(by: info.size)
        if overflow {
            throw HDF5Error.implausibleSize(
                file: file.path, path: name, detail: "\(extent.count) elements of \(info.size) bytes overflow")
        }
        let stored = H5Dget_storage_size(id)
        HDF5Library.discardErrorStack()  // 0 means "not allocated" or "unknown"; both are fine here

        shape = extent.shape
        maxDimensions = extent.maxDimensions
        elementCount = extent.count
        elementType = info.elementType
        typeInfo = info
        declaredBytes = bytes
        storageBytes = Int(clamping: stored)
        super.init(handle: handle, name: name)

        if !file.isWritable {
            try checkPlausibleSize(dcpl: dcpl, fileSize: file.currentSize())
        }
    }

    /// Refuses datasets whose declared size cannot be right for a file of `fileSize`
    /// bytes. Lock must be held.
    private func checkPlausibleSize(dcpl: hid_t, fileSize: Int) throws(HDF5Error) {
        func refuse(_ detail: String) -> HDF5Error {
            .implausibleSize(file: filePath, path: name, detail: detail)
        }
        if storageBytes > fileSize {
            throw refuse("\(storageBytes) bytes are allocated for it but the file has only \(fileSize) bytes")
        }
        switch layout {
        case .contiguous:
            if declaredBytes > fileSize {
                throw refuse("shape \(shape) of \(elementType) declares \(declaredBytes) bytes of uncompressed data but the file has only \(fileSize) bytes")
            }
            // The data must lie inside the file: libhdf5 1.10 grows its metadata accumulator to
            // reach an address past the end, and when that allocation fails it copies from
            // address 0 (found by the fuzzer). Undefined: not written yet, read as fill values.
            let offset = UInt64(H5Dget_offset(try requireID()))
            HDF5Library.discardErrorStack()
            if offset != UInt64.max, declaredBytes > 0,
               offset > UInt64(fileSize) || UInt64(declaredBytes) > UInt64(fileSize) - offset {
                throw HDF5Error.corruptFile(
                    file: filePath, path: name,
                    detail: "its \(declaredBytes) bytes of data at offset \(offset) run past the end of the \(fileSize)-byte file")
            }
        case .compact:
            if declaredBytes > HDF5Limits.maxCompactBytes {
                throw refuse("compact storage declares \(declaredBytes) bytes (compact data is at most \(HDF5Limits.maxCompactBytes))")
            }
            // libhdf5 1.10 copies the dataset's size out of the compact buffer whatever the buffer
            // holds (a 0-byte buffer made it copy from address 0; found by the fuzzer).
            if storageBytes != declaredBytes {
                throw HDF5Error.corruptFile(
                    file: filePath, path: name,
                    detail: "compact storage holds \(storageBytes) bytes, its shape \(shape) of \(elementType) needs \(declaredBytes)")
            }
        case .chunked:
            var chunkDims = [hsize_t](repeating: 0, count: HDF5Limits.maxRank)
            let chunkRank = Int(try HDF5Library.check(H5Pget_chunk(dcpl, Int32(HDF5Limits.maxRank), &chunkDims),
                                                      failure("inspecting chunks of")))
            guard chunkRank == shape.count else {
                throw refuse("chunk rank \(chunkRank) differs from dataset rank \(shape.count)")
            }
            // libhdf5 1.10 does not check this when reading, and then copies chunk data
            // with the wrong geometry out of a smaller buffer (see Fixtures/hdf5/crashers/).
            for (axis, dim) in chunkDims.prefix(chunkRank).enumerated() {
                let limit = axis < maxDimensions.count ? maxDimensions[axis] : UInt64.max
                if dim == 0 || (limit != UInt64.max && UInt64(dim) > limit) {
                    throw HDF5Error.corruptFile(
                        file: filePath, path: name,
                        detail: "chunk dimensions \(Array(chunkDims.prefix(chunkRank))) do not fit the dataset's maximum dimensions \(maxDimensions)")
                }
            }
            var chunkBytes = typeInfo.size
            for dim in chunkDims.prefix(chunkRank) {
                let (product, overflow) = chunkBytes.multipliedReportingOverflow(by: Int(clamping: dim))
                guard !overflow else { throw refuse("chunk dimensions \(chunkDims.prefix(chunkRank)) overflow") }
                chunkBytes = product
            }
            if chunkBytes > max(declaredBytes, HDF5Limits.maxChunkBytes) {
                throw refuse("chunks of \(chunkBytes) bytes for a dataset of \(declaredBytes) bytes")
            }
            if declaredBytes > HDF5Limits.expansionCheckFloorBytes
                && declaredBytes / HDF5Limits.maxExpansion > storageBytes {
                throw refuse("declares \(declaredBytes) bytes but stores only \(storageBytes) (more than \(HDF5Limits.maxExpansion)x expansion)")
            }
        }
    }

    /// Reads all elements converted to Float, in C order.
    ///
    /// float32/float64/integer data (and other float formats such as bfloat16) are
    /// converted by HDF5; float16 is read raw and converted here. float64 values
    /// outside Float's range follow HDF5's conversion rules.
    ///
    /// - Throws: `unsupportedType` for strings, compounds and other non-numeric types.
    package func readFloats() throws(HDF5Error) -> [Float] {
        var values = [Float](repeating: 0, count: elementCount)
        try values.withUnsafeMutableBufferPointer { (buffer) throws(HDF5Error) in try readFloats(into: buffer) }
        return values
    }

    /// Reads all elements converted to Float into `buffer`, which must hold exactly
    /// `elementCount` elements (see `readFloats()`); avoids a copy for large weights.
    package func readFloats(into buffer: UnsafeMutableBufferPointer<Float>) throws(HDF5Error) {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = try requireID()
            try requireNumeric(requested: "float32")
            guard buffer.count == elementCount else {
                throw HDF5Error.invalidArgument(file: filePath, path: name,
                                                detail: "a buffer of \(buffer.count) elements for a dataset of \(elementCount)")
            }
            guard elementCount > 0, let base = buffer.baseAddress else { return }
            if elementType == .float16 {
                for (i, bits) in try readHalfBits(id).enumerated() { base[i] = HalfFloat.toFloat(bits) }
                return
            }
            _ = try HDF5Library.check(
                H5Dread(id, nn_h5t_native_float(), hid_t(H5S_ALL), hid_t(H5S_ALL), hid_t(H5P_DEFAULT), UnsafeMutableRawPointer(base)),
                failure("reading"))
        }
    }

    /// Reads all elements converted to Double, in C order (see `readFloats()`).
    package func readDoubles() throws(HDF5Error) -> [Double] {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = try requireID()
            try requireNumeric(requested: "float64")
            guard elementCount > 0 else { return [] }
            if elementType == .float16 {
                return try readHalfBits(id).map { Double(HalfFloat.toFloat($0)) }
            }
            var values = [Double](repeating: 0, count: elementCount)
            _ = try values.withUnsafeMutableBufferPointer { (typed) throws(HDF5Error) in
                let raw = UnsafeMutableRawBufferPointer(typed)
                try HDF5Library.check(
                    H5Dread(id, nn_h5t_native_double(), hid_t(H5S_ALL), hid_t(H5S_ALL), hid_t(H5P_DEFAULT), raw.baseAddress),
                    failure("reading"))
            }
            return values
        }
    }

    /// Whether ``readFloats()`` can read the elements: integers and floating-point numbers
    /// (bfloat16 included), not strings, compounds or other types.
    package var readsAsNumbers: Bool { elementType.isNumeric || typeInfo.isConvertibleFloat }

    /// Throws `unsupportedType` unless the elements can be converted to numbers.
    private func requireNumeric(requested: String) throws(HDF5Error) {
        guard elementType.isNumeric || typeInfo.isConvertibleFloat else {
            throw HDF5Error.unsupportedType(file: filePath, path: name, type: elementType.description, requested: requested)
        }
    }

    /// Reads float16 elements as little-endian bit patterns. Lock must be held.
    ///
    /// HDF5 1.10 has no native half type, so the memory type is a copy of the
    /// file's own half type in little-endian order: HDF5 only swaps bytes if needed.
    private func readHalfBits(_ id: hid_t) throws(HDF5Error) -> [UInt16] {
        let fileType = try HDF5Library.check(H5Dget_type(id), failure("reading"))
        defer { _ = H5Tclose(fileType) }
        let memoryType = try HDF5Library.check(H5Tcopy(fileType), failure("reading"))
        defer { _ = H5Tclose(memoryType) }
        try HDF5Library.check(H5Tset_order(memoryType, H5T_ORDER_LE), failure("reading"))
        var bits = [UInt16](repeating: 0, count: elementCount)
        _ = try bits.withUnsafeMutableBufferPointer { (typed) throws(HDF5Error) in
            let raw = UnsafeMutableRawBufferPointer(typed)
            try HDF5Library.check(
                H5Dread(id, memoryType, hid_t(H5S_ALL), hid_t(H5S_ALL), hid_t(H5P_DEFAULT), raw.baseAddress),
                failure("reading"))
        }
        return bits.map { UInt16(littleEndian: $0) }
    }
}
