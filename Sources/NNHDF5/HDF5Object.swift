internal import CHDF5

/// Common base of groups and datasets: an object inside an HDF5 file that can
/// carry attributes (see `HDF5Attributes.swift`).
///
/// Not subclassable outside this module.
package class HDF5Object: @unchecked Sendable {
    /// Full path of the object inside the file, e.g. "/model_weights/dense".
    package let name: String
    /// Owner of the HDF5 identifier; keeps the file open.
    let handle: HDF5Handle
    /// Whether the attribute messages were checked (`requireAttributeAccess`).
    /// Guarded by the HDF5 lock.
    var attributeMessagesChecked = false
    /// Attribute names read from the checked object header, when known.
    /// Guarded by the HDF5 lock.
    var checkedAttributeNames: [String]?

    init(handle: HDF5Handle, name: String) {
        self.handle = handle
        self.name = name
    }

    /// The file this object belongs to.
    package var file: HDF5File { handle.file }

    /// Path of the file, for error messages.
    var filePath: String { handle.file.path }

    /// The open identifier, or `fileClosed`. Lock must be held.
    func requireID() throws(HDF5Error) -> hid_t {
        try handle.require(path: name)
    }

    /// Builds a `libraryFailure` error about this object for `operation`.
    package func failure(_ operation: String, path: String? = nil) -> (String) -> HDF5Error {
        let file = filePath
        let objectPath = path ?? name
        return { .libraryFailure(file: file, path: objectPath, operation: operation, message: $0) }
    }

    /// The file address of the object's header: the same for every path (hard link) that leads
    /// to the object, so a walk can tell a group it has already seen.
    package func objectAddress() throws(HDF5Error) -> UInt64 {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = try requireID()
            var address: haddr_t = 0
            try HDF5Library.check(nn_h5_object_address(id, &address), failure("locating object header of"))
            return UInt64(address)
        }
    }

    /// The libhdf5 identifier of the open object (`hid_t`), for the tests' object builders.
    package func rawID() throws(HDF5Error) -> Int64 { Int64(try requireID()) }
}
