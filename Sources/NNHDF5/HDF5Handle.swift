internal import CHDF5

/// Owner of one open HDF5 group or dataset identifier; closes it on `deinit`.
///
/// Holds its file strongly, so a file stays open while any of its objects is alive.
/// When the file was closed first (`HDF5File.close()`, which uses
/// `H5F_CLOSE_STRONG` and so closes every object of the file), the identifier is
/// already gone and is not closed a second time.
final class HDF5Handle: @unchecked Sendable {
    /// What kind of identifier this is, which decides how it is closed.
    enum Kind {
        case group
        case dataset
    }

    let file: HDF5File
    let kind: Kind
    private let id: hid_t

    init(file: HDF5File, id: hid_t, kind: Kind) {
        self.file = file
        self.id = id
        self.kind = kind
    }

    /// The identifier, or `fileClosed` when the file has been closed. Lock must be held.
    func require(path: String) throws(HDF5Error) -> hid_t {
        _ = try file.requireOpen(path: path)
        return id
    }

    deinit {
        HDF5Library.locked {
            guard file.fileID >= 0 else { return }
            switch kind {
            case .group: _ = H5Gclose(id)
            case .dataset: _ = H5Dclose(id)
            }
            HDF5Library.discardErrorStack()
        }
    }
}
