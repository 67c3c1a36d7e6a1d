internal import CHDF5

/// Reading the extent of an HDF5 dataspace with every declared number checked.
enum HDF5Dataspace {
    /// The checked extent of a dataspace.
    struct Extent {
        /// Dimensions; `[]` for a scalar (and for a null dataspace).
        let shape: [Int]
        /// Number of elements: product of `shape`, 1 for a scalar, 0 for a null dataspace.
        let count: Int
        /// Whether the dataspace is HDF5's null dataspace (no elements, no shape).
        let isNull: Bool
        /// Maximum dimensions (`UInt64.max` = unlimited); `[]` for scalar and null.
        var maxDimensions: [UInt64] = []
    }

    /// Reads and checks the extent of `space`. Lock must be held.
    ///
    /// - Throws: `unsupportedShape` for a rank above `HDF5Limits.maxRank` or a
    ///   dimension that does not fit in `Int`; `implausibleSize` when the element
    ///   count overflows or exceeds `maxElements`.
    static func extent(
        of space: hid_t, maxElements: Int, file: String, path: String, failure: (String) -> HDF5Error
    ) throws(HDF5Error) -> Extent {
        let spaceClass = H5Sget_simple_extent_type(space)
        switch spaceClass {
        case H5S_SCALAR:
            return Extent(shape: [], count: 1, isNull: false)
        case H5S_NULL:
            return Extent(shape: [], count: 0, isNull: true)
        case H5S_SIMPLE:
            break
        default:
            throw failure(HDF5Library.takeErrorMessage())
        }
        let rank = Int(try HDF5Library.check(H5Sget_simple_extent_ndims(space), failure))
        guard rank <= HDF5Limits.maxRank else {
            throw HDF5Error.unsupportedShape(
                file: file, path: path, detail: "rank \(rank) exceeds the maximum of \(HDF5Limits.maxRank)")
        }
        var dims = [hsize_t](repeating: 0, count: HDF5Limits.maxRank)
        var maxDims = [hsize_t](repeating: 0, count: HDF5Limits.maxRank)
        let reported = Int(try HDF5Library.check(H5Sget_simple_extent_dims(space, &dims, &maxDims), failure))
        guard reported == rank else {
            throw HDF5Error.unsupportedShape(file: file, path: path, detail: "inconsistent rank \(reported) vs \(rank)")
        }
        var shape: [Int] = []
        var count = 1
        for dim in dims.prefix(rank) {
            guard dim <= hsize_t(Int.max) else {
                throw HDF5Error.unsupportedShape(
                    file: file, path: path, detail: "dimension \(dim) does not fit a signed 64-bit size")
            }
            shape.append(Int(dim))
        }
        for dim in shape where !shape.contains(0) {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else {
                throw HDF5Error.implausibleSize(file: file, path: path, detail: "shape \(shape) overflows the element count")
            }
            count = product
        }
        if shape.contains(0) { count = 0 }  // an empty dimension empties the whole dataspace
        guard count <= maxElements else {
            throw HDF5Error.implausibleSize(
                file: file, path: path,
                detail: "shape \(shape) declares \(count) elements (limit \(maxElements))")
        }
        return Extent(shape: shape, count: count, isNull: false, maxDimensions: maxDims.prefix(rank).map { UInt64($0) })
    }
}
