internal import CHDF5

/// A group in an HDF5 file: a directory of named links to groups and datasets.
///
/// Paths given to the lookup methods may contain "/" (relative to this group) or
/// start with "/" (from the file's root). Each component is checked before it is
/// used; external links, user-defined links and soft links that do not resolve
/// to an object of this file are refused with a specific `HDF5Error`.
package final class HDF5Group: HDF5Object, @unchecked Sendable {
    /// This group as the starting point of a lookup. Lock must be held.
    private func scoped() throws(HDF5Error) -> ScopedGroupID {
        ScopedGroupID(id: try requireID(), path: name, owned: false)
    }

    private var resolver: HDF5PathResolver { HDF5PathResolver(file: file) }

    /// Names of the links in this group, in HDF5's name order.
    ///
    /// The order is HDF5's (byte-wise alphabetical: "dense_10" before "dense_2");
    /// callers that need the model's order must take it from attributes such as
    /// `layer_names` or `weight_names`. Listed in one pass over the group (see `members()`).
    ///
    /// - Parameter limit: list at most this many names (the first in that order).
    package func memberNames(limit: Int = Int.max) throws(HDF5Error) -> [String] {
        try members(limit: limit).names
    }

    /// The number of links in this group, as its header states it (before any is listed).
    package func memberCount() throws(HDF5Error) -> Int {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = try requireID()
            try file.requireSoundSymbolTable(of: id, path: name)
            var info = H5G_info_t()
            try HDF5Library.check(H5Gget_info(id, &info), failure("listing members of"))
            return Int(clamping: info.nlinks)
        }
    }

    /// What the last component of `path` is, without following it if it is a link.
    ///
    /// Intermediate components are followed like `group(_:)` does (and refused the
    /// same way). Returns `.missing` when the last component does not exist.
    package func kind(of path: String) throws(HDF5Error) -> HDF5ObjectKind {
        try HDF5Library.locked { () throws(HDF5Error) in
            let (parent, last) = try resolver.walkToParent(of: path, from: scoped())
            guard let last else { return .group }
            return try resolver.linkKind(
                in: parent.id, name: last, fullPath: HDF5PathResolver.join(parent.path, last))
        }
    }

    /// Whether a link exists at every component of `path`.
    ///
    /// Intermediate components must be groups (directly or through a soft link that
    /// resolves inside the file). The last component only has to exist: a dangling
    /// soft link or an external link counts, although opening it will be refused.
    /// Throws only when the file is damaged where the lookup goes (`HDF5Error.corruptFile`),
    /// so that a damaged file is not reported as one that lacks the member.
    package func hasMember(_ path: String) throws(HDF5Error) -> Bool {
        try HDF5Library.locked { () throws(HDF5Error) -> Bool in
            let kind: HDF5ObjectKind
            do throws(HDF5Error) {
                kind = try self.kind(of: path)
            } catch {
                HDF5Library.discardErrorStack()
                if case .corruptFile = error { throw error }
                return false
            }
            return kind != .missing
        }
    }

    /// Opens the group at `path`.
    package func group(_ path: String) throws(HDF5Error) -> HDF5Group {
        try HDF5Library.locked { () throws(HDF5Error) in
            let (parent, last) = try resolver.walkToParent(of: path, from: scoped())
            guard let last else {
                let root = try resolver.openRoot()
                let id = try HDF5Library.check(H5Gopen2(root.id, ".", file.groupAccess), failure("opening group", path: "/"))
                return HDF5Group(handle: HDF5Handle(file: file, id: id, kind: .group), name: "/")
            }
            let fullPath = HDF5PathResolver.join(parent.path, last)
            let kind = try resolver.followedKind(in: parent, name: last, path: fullPath)
            guard kind == .group else {
                throw HDF5Error.wrongKind(file: filePath, path: fullPath, expected: "a group", found: kind.description)
            }
            let id = try HDF5Library.check(H5Gopen2(parent.id, last, file.groupAccess), failure("opening group", path: fullPath))
            return HDF5Group(handle: HDF5Handle(file: file, id: id, kind: .group), name: fullPath)
        }
    }

    /// Opens the dataset at `path` and checks it before anything is read.
    ///
    /// - Throws: `externalDataset`, `virtualDataset`, `implausibleSize` or
    ///   `unsupportedShape` for datasets this library refuses, besides the link
    ///   refusals of `group(_:)`.
    package func dataset(_ path: String) throws(HDF5Error) -> HDF5Dataset {
        try HDF5Library.locked { () throws(HDF5Error) in
            let (parent, last) = try resolver.walkToParent(of: path, from: scoped())
            guard let last else {
                throw HDF5Error.wrongKind(file: filePath, path: "/", expected: "a dataset", found: "a group")
            }
            let fullPath = HDF5PathResolver.join(parent.path, last)
            let kind = try resolver.followedKind(in: parent, name: last, path: fullPath)
            guard kind == .dataset else {
                throw HDF5Error.wrongKind(file: filePath, path: fullPath, expected: "a dataset", found: kind.description)
            }
            let id = try HDF5Library.check(H5Dopen2(parent.id, last, file.datasetAccess), failure("opening dataset", path: fullPath))
            let handle = HDF5Handle(file: file, id: id, kind: .dataset)
            return try HDF5Dataset(inspecting: handle, name: fullPath)
        }
    }

    // MARK: - Writing

    /// Checks that the file is writable and `path` is a well-formed relative path.
    private func prepareWrite(_ path: String, operation: String) throws(HDF5Error) -> String {
        guard file.isWritable else {
            throw HDF5Error.readOnly(file: filePath, path: name, operation: operation)
        }
        let parsed = try resolver.split(path, relativeTo: name)
        guard !parsed.absolute, !parsed.components.isEmpty else {
            throw HDF5Error.invalidArgument(
                file: filePath, path: name, detail: "'\(path)' must be a relative path for \(operation)")
        }
        return parsed.components.reduce(name) { HDF5PathResolver.join($0, $1) }
    }

    /// A link creation property list that creates missing intermediate groups.
    private func makeLinkCreationList(path: String) throws(HDF5Error) -> hid_t {
        let lcpl = try HDF5Library.check(H5Pcreate(nn_h5p_link_create()), failure("creating", path: path))
        if H5Pset_create_intermediate_group(lcpl, 1) < 0 {
            let message = HDF5Library.takeErrorMessage()
            _ = H5Pclose(lcpl)
            throw failure("creating", path: path)(message)
        }
        return lcpl
    }

    /// Creates a group at `path` (relative; missing intermediate groups are created).
    @discardableResult
    package func createGroup(_ path: String) throws(HDF5Error) -> HDF5Group {
        try HDF5Library.locked { () throws(HDF5Error) in
            let fullPath = try prepareWrite(path, operation: "create a group in")
            let id = try requireID()
            let lcpl = try makeLinkCreationList(path: fullPath)
            defer { _ = H5Pclose(lcpl) }
            let gid = try HDF5Library.check(
                H5Gcreate2(id, path, lcpl, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)),
                failure("creating group", path: fullPath))
            return HDF5Group(handle: HDF5Handle(file: file, id: gid, kind: .group), name: fullPath)
        }
    }

    /// Creates a float32 (little-endian IEEE) dataset holding `floats` in C order.
    ///
    /// `shape` `[]` makes a scalar (one value); a zero dimension makes an empty dataset.
    @discardableResult
    package func createDataset(_ path: String, shape: [Int], floats: [Float]) throws(HDF5Error) -> HDF5Dataset {
        try floats.withUnsafeBufferPointer { (typed) throws(HDF5Error) in
            try createDataset(path, shape: shape, count: floats.count, fileType: nn_h5t_ieee_f32le,
                              memoryType: nn_h5t_native_float, data: UnsafeRawPointer(typed.baseAddress))
        }
    }

    /// Creates a float64 (little-endian IEEE) dataset holding `doubles` in C order.
    @discardableResult
    package func createDataset(_ path: String, shape: [Int], doubles: [Double]) throws(HDF5Error) -> HDF5Dataset {
        try doubles.withUnsafeBufferPointer { (typed) throws(HDF5Error) in
            try createDataset(path, shape: shape, count: doubles.count, fileType: nn_h5t_ieee_f64le,
                              memoryType: nn_h5t_native_double, data: UnsafeRawPointer(typed.baseAddress))
        }
    }

    /// Creates a signed 64-bit little-endian integer dataset holding `values` in C order (Keras
    /// stores an optimizer's step count this way, as a scalar).
    @discardableResult
    package func createDataset(_ path: String, shape: [Int], int64s values: [Int64]) throws(HDF5Error) -> HDF5Dataset {
        try values.withUnsafeBufferPointer { (typed) throws(HDF5Error) in
            try createDataset(path, shape: shape, count: values.count, fileType: nn_h5t_std_i64le,
                              memoryType: nn_h5t_native_int64, data: UnsafeRawPointer(typed.baseAddress))
        }
    }

    /// Creates a little-endian IEEE float dataset of `shape` (float64 when `float64`, else
    /// float32) without writing it: its values are written afterwards, a piece at a time, with
    /// ``HDF5Dataset/write(_:at:)``. The file holds what ``createDataset(_:shape:floats:)``
    /// writes once every value is written.
    @discardableResult
    package func createDataset(_ path: String, shape: [Int], float64: Bool) throws(HDF5Error) -> HDF5Dataset {
        guard let count = Self.checkedCount(shape) else {
            throw HDF5Error.invalidArgument(file: filePath, path: name, detail: "shape \(shape) of '\(path)' is invalid or overflows")
        }
        return try createDataset(path, shape: shape, count: count, fileType: float64 ? nn_h5t_ieee_f64le : nn_h5t_ieee_f32le,
                                 memoryType: float64 ? nn_h5t_native_double : nn_h5t_native_float, data: nil)
    }

    /// The product of `shape`, or nil for a negative dimension or an overflow.
    static func checkedCount(_ shape: [Int]) -> Int? {
        var product = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            product = next
        }
        return product
    }

    private func createDataset(
        _ path: String, shape: [Int], count: Int,
        fileType: () -> hid_t, memoryType: () -> hid_t, data: UnsafeRawPointer?
    ) throws(HDF5Error) -> HDF5Dataset {
        try HDF5Library.locked { () throws(HDF5Error) in
            let fullPath = try prepareWrite(path, operation: "create a dataset in")
            func invalid(_ detail: String) -> HDF5Error {
                .invalidArgument(file: filePath, path: fullPath, detail: detail)
            }
            guard shape.count <= HDF5Limits.maxRank else {
                throw invalid("rank \(shape.count) exceeds \(HDF5Limits.maxRank)")
            }
            var product = 1
            for dimension in shape {
                guard dimension >= 0 else { throw invalid("negative dimension in shape \(shape)") }
                let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw invalid("shape \(shape) overflows") }
                product = next
            }
            guard product == count else {
                throw invalid("shape \(shape) holds \(product) values but \(count) were given")
            }

            let id = try requireID()
            let space: hid_t
            if shape.isEmpty {
                space = try HDF5Library.check(H5Screate(H5S_SCALAR), failure("creating dataspace for", path: fullPath))
            } else {
                let dims = shape.map { hsize_t($0) }
                space = try HDF5Library.check(
                    H5Screate_simple(Int32(dims.count), dims, nil), failure("creating dataspace for", path: fullPath))
            }
            defer { _ = H5Sclose(space) }
            let lcpl = try makeLinkCreationList(path: fullPath)
            defer { _ = H5Pclose(lcpl) }
            let did = try HDF5Library.check(
                H5Dcreate2(id, path, fileType(), space, lcpl, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)),
                failure("creating dataset", path: fullPath))
            let handle = HDF5Handle(file: file, id: did, kind: .dataset)
            if count > 0, let data {
                try HDF5Library.check(
                    H5Dwrite(did, memoryType(), hid_t(H5S_ALL), hid_t(H5S_ALL), hid_t(H5P_DEFAULT), data),
                    failure("writing dataset", path: fullPath))
            }
            return try HDF5Dataset(inspecting: handle, name: fullPath)
        }
    }
}
