internal import CHDF5
import Foundation
internal import NNSystem

/// An open HDF5 file: read-only (from disk or from bytes in memory) or newly created.
///
/// Files opened for reading are treated as untrusted: links into other files,
/// external and virtual datasets, and datasets whose declared size is implausible
/// are refused (see `HDF5Group` and `HDF5Dataset`), and the structures on which
/// libhdf5 1.10 is known to crash (global heap collections, attribute messages,
/// chunk geometry; see `Fixtures/hdf5/crashers/`) are checked first and refused
/// as `HDF5Error.corruptFile`. For those checks a disk file is memory-mapped once,
/// when the first attribute is touched. The file stays open while any
/// group or dataset obtained from it is alive, or until `close()` is called;
/// objects used after `close()` throw `HDF5Error.fileClosed`.
///
/// All methods are safe to call from several threads: every libhdf5 call made by
/// this module is serialized through one global lock.
package final class HDF5File: @unchecked Sendable {
    /// The path the file was opened or created at (for in-memory files, the name given).
    package let path: String
    /// Whether the file was created by this process (writable) rather than opened for reading.
    package let isWritable: Bool

    // All mutable state below is guarded by the HDF5Library lock.
    /// The HDF5 file identifier, or -1 once closed.
    private(set) var fileID: hid_t
    /// Link access property list that refuses to traverse external links.
    let linkAccess: hid_t
    /// Group access property list with the same restriction.
    let groupAccess: hid_t
    /// Dataset access property list with the same restriction.
    let datasetAccess: hid_t
    /// Size of the file in bytes when it was opened (0 for created files).
    let sizeWhenOpened: Int
    /// The bytes of a file opened from memory (shared with the caller's array).
    private let imageBytes: [UInt8]?
    /// Result of `HDF5GlobalHeapCheck.scan` once computed. Guarded by the lock.
    private var heapScan: (problem: String?, index: HDF5GlobalHeapCheck.Index)?
    /// Address layout of the file once read. Guarded by the lock.
    private var addressLayout: (base: Int, addressSize: Int, lengthSize: Int)?
    /// The mapped contents of a disk file, once needed for validation. Guarded by the lock.
    private var mappedContents: MappedFile?

    /// Counter making the names of in-memory files unique. HDF5 identifies an open
    /// core-driver file by its name, so two images opened under the same name would
    /// otherwise share one file and read each other's data. Guarded by the lock.
    nonisolated(unsafe) private static var memoryFileCounter = 0

    private enum Source {
        case disk
        case image([UInt8])
        case create
    }

    /// Opens an existing HDF5 file read-only.
    ///
    /// - Throws: `HDF5Error.cannotOpen` when the file is missing, unreadable or not HDF5.
    package convenience init(readingFrom path: String) throws(HDF5Error) {
        try self.init(path: path, source: .disk)
    }

    /// Opens an HDF5 file image held in memory, read-only, without touching the disk.
    ///
    /// Uses HDF5's core (memory) driver with no backing store; HDF5 copies `bytes`,
    /// and the array itself is kept (shared, not copied) for validation.
    /// `name` is used in error messages and as `path` (e.g. "model.weights.h5").
    package convenience init(bytes: [UInt8], name: String) throws(HDF5Error) {
        try self.init(path: name, source: .image(bytes))
    }

    /// Creates a new HDF5 file at `path`, replacing any existing file there.
    package static func create(at path: String) throws(HDF5Error) -> HDF5File {
        try HDF5File(path: path, source: .create)
    }

    private init(path: String, source: Source) throws(HDF5Error) {
        self.path = path
        if case .create = source { isWritable = true } else { isWritable = false }
        if case .image(let bytes) = source { imageBytes = bytes } else { imageBytes = nil }

        // Structures libhdf5 reads while opening the file, checked first (see HDF5ObjectHeaderCheck).
        let problem: String?
        switch source {
        case .image(let bytes): problem = bytes.withUnsafeBytes(HDF5ObjectHeaderCheck.superblockProblem)
        case .disk:
            // Mapped once; the later checks (see `withContents`) read the same mapping. A file that
            // cannot be mapped is not opened: libhdf5 would read it without the crash guards.
            let mapped: MappedFile
            do { mapped = try MappedFile(path: path, writable: false) } catch {
                throw HDF5Error.cannotOpen(file: path, message: error.description)
            }
            mappedContents = mapped
            problem = HDF5ObjectHeaderCheck.superblockProblem(mapped.bytes)
        case .create: problem = nil
        }
        if let problem { throw HDF5Error.corruptFile(file: path, path: "/", detail: problem) }

        let opened: (fid: hid_t, lapl: hid_t, gapl: hid_t, dapl: hid_t, size: Int) =
            try HDF5Library.locked { () throws(HDF5Error) in
                var lists: [hid_t] = []
                var success = false
                defer {
                    if !success {
                        for list in lists { _ = H5Pclose(list) }
                        HDF5Library.discardErrorStack()
                    }
                }
                func openFailure(_ message: String) -> HDF5Error {
                    if case .create = source { return .cannotCreate(file: path, message: message) }
                    return .cannotOpen(file: path, message: message)
                }
                func makeAccessList(_ cls: hid_t) throws(HDF5Error) -> hid_t {
                    let list = try HDF5Library.check(H5Pcreate(cls), openFailure)
                    lists.append(list)
                    try HDF5Library.check(nn_h5_forbid_external_links(list), openFailure)
                    return list
                }
                let lapl = try makeAccessList(nn_h5p_link_access())
                let gapl = try makeAccessList(nn_h5p_group_access())
                let dapl = try makeAccessList(nn_h5p_dataset_access())

                let fapl = try HDF5Library.check(H5Pcreate(nn_h5p_file_access()), openFailure)
                defer { _ = H5Pclose(fapl) }
                try HDF5Library.check(H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG), openFailure)

                let fid: hid_t
                switch source {
                case .disk:
                    fid = try HDF5Library.check(H5Fopen(path, nn_h5f_acc_rdonly(), fapl), openFailure)
                case .create:
                    fid = try HDF5Library.check(
                        H5Fcreate(path, nn_h5f_acc_trunc(), hid_t(H5P_DEFAULT), fapl), openFailure)
                case .image(let bytes):
                    if bytes.isEmpty {
                        throw HDF5Error.cannotOpen(file: path, message: "the file image is empty (0 bytes)")
                    }
                    try HDF5Library.check(H5Pset_fapl_core(fapl, 64 * 1024, false), openFailure)
                    _ = try bytes.withUnsafeBufferPointer { (typed) throws(HDF5Error) in
                        let raw = UnsafeRawBufferPointer(typed)
                        // H5Pset_file_image copies the buffer; it never writes through the pointer.
                        try HDF5Library.check(
                            H5Pset_file_image(fapl, UnsafeMutableRawPointer(mutating: raw.baseAddress), raw.count),
                            openFailure)
                    }
                    HDF5File.memoryFileCounter += 1
                    let uniqueName = "\(path) [nnhdf5 memory image \(HDF5File.memoryFileCounter)]"
                    fid = try HDF5Library.check(H5Fopen(uniqueName, nn_h5f_acc_rdonly(), fapl), openFailure)
                }

                var size: hsize_t = 0
                if case .create = source {
                    size = 0
                } else if H5Fget_filesize(fid, &size) < 0 {
                    let message = HDF5Library.takeErrorMessage()
                    _ = H5Fclose(fid)
                    HDF5Library.discardErrorStack()
                    throw openFailure(message)
                }
                success = true
                return (fid, lapl, gapl, dapl, Int(clamping: size))
            }
        fileID = opened.fid
        linkAccess = opened.lapl
        groupAccess = opened.gapl
        datasetAccess = opened.dapl
        sizeWhenOpened = opened.size
    }

    deinit {
        HDF5Library.locked {
            if fileID >= 0 {
                _ = H5Fclose(fileID)
                fileID = -1
            }
            _ = H5Pclose(linkAccess)
            _ = H5Pclose(groupAccess)
            _ = H5Pclose(datasetAccess)
            HDF5Library.discardErrorStack()
        }
    }

    /// Whether the file is still open.
    package var isOpen: Bool {
        HDF5Library.locked { fileID >= 0 }
    }

    /// The root group "/".
    package var root: HDF5Group {
        get throws(HDF5Error) {
            try HDF5Library.locked { () throws(HDF5Error) in
                let fid = try requireOpen(path: "/")
                try requireSoundRootHeader()
                let gid = try HDF5Library.check(H5Gopen2(fid, "/", groupAccess)) {
                    .libraryFailure(file: path, path: "/", operation: "opening group", message: $0)
                }
                return HDF5Group(handle: HDF5Handle(file: self, id: gid, kind: .group), name: "/")
            }
        }
    }

    /// Writes buffered changes of a created file to disk.
    package func flush() throws(HDF5Error) {
        try HDF5Library.locked { () throws(HDF5Error) in
            let fid = try requireOpen(path: "/")
            try HDF5Library.check(H5Fflush(fid, H5F_SCOPE_GLOBAL)) {
                .libraryFailure(file: path, path: "/", operation: "flushing", message: $0)
            }
        }
    }

    /// Closes the file and every group and dataset opened from it.
    ///
    /// Objects obtained from the file throw `HDF5Error.fileClosed` afterwards.
    /// Closing twice does nothing. `deinit` closes the file too, silently.
    package func close() throws(HDF5Error) {
        try HDF5Library.locked { () throws(HDF5Error) in
            guard fileID >= 0 else { return }
            let status = H5Fclose(fileID)
            fileID = -1
            try HDF5Library.check(status) {
                .libraryFailure(file: path, path: "/", operation: "closing", message: $0)
            }
        }
    }

    /// The open file identifier, or `fileClosed` naming `path`. Lock must be held.
    func requireOpen(path objectPath: String) throws(HDF5Error) -> hid_t {
        guard fileID >= 0 else { throw HDF5Error.fileClosed(file: path, path: objectPath) }
        return fileID
    }

    /// Runs `body` on the raw bytes of the file (the image, or the disk file mapped into memory
    /// when it was opened); nil for a file this process is creating. Lock must be held.
    private func withContents<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T? {
        if let imageBytes { return imageBytes.withUnsafeBytes(body) }
        return mappedContents.map { body($0.bytes) }
    }

    /// Base address and address/length sizes of the file. Lock must be held.
    private func layout() -> (base: Int, addressSize: Int, lengthSize: Int) {
        if let addressLayout { return addressLayout }
        var result = (base: 0, addressSize: 8, lengthSize: 8)
        if fileID >= 0 {
            let fcpl = H5Fget_create_plist(fileID)
            if fcpl >= 0 {
                var addressSize = 0, lengthSize = 0
                if H5Pget_sizes(fcpl, &addressSize, &lengthSize) >= 0 {
                    result.addressSize = addressSize
                    result.lengthSize = lengthSize
                }
                var userBlock: hsize_t = 0
                if H5Pget_userblock(fcpl, &userBlock) >= 0, userBlock < (1 << 40) { result.base = Int(userBlock) }
                _ = H5Pclose(fcpl)
            }
            HDF5Library.discardErrorStack()
        }
        addressLayout = result
        return result
    }

    /// Refuses to go on when a global heap collection of this (untrusted) file is
    /// corrupt; see `HDF5GlobalHeapCheck`. Scanned once per file, before the first
    /// attribute is touched. Returns the collections' objects. Lock must be held.
    @discardableResult
    func requireSoundGlobalHeaps(path objectPath: String) throws(HDF5Error) -> HDF5GlobalHeapCheck.Index {
        if heapScan == nil {
            let lengthSize = layout().lengthSize
            heapScan = withContents { HDF5GlobalHeapCheck.scan($0, lengthSize: lengthSize) }
                ?? ("the file could not be read again to validate it", [:])
            // The scan read every page of the file; the later checks read a few. Without this,
            // reading a model's datasets next would hold the file in memory twice.
            mappedContents?.releaseResidentPages()
        }
        let scan = heapScan ?? (nil, [:])
        if let problem = scan.problem {
            throw HDF5Error.corruptFile(file: path, path: objectPath, detail: problem)
        }
        return scan.index
    }

    /// Refuses to go on when the attribute messages of the object `id` of this
    /// (untrusted) file would make libhdf5 read out of bounds; see
    /// `HDF5ObjectHeaderCheck`. Returns the attribute names found in the header
    /// (nil when unknown, e.g. for created files or dense attribute storage).
    /// Lock must be held.
    func requireSoundAttributeMessages(of id: hid_t, path objectPath: String) throws(HDF5Error) -> [String]? {
        guard !isWritable else { return nil }
        let heaps = try requireSoundGlobalHeaps(path: objectPath)
        var address: haddr_t = 0
        try HDF5Library.check(nn_h5_object_address(id, &address)) {
            .libraryFailure(file: path, path: objectPath, operation: "locating object header of", message: $0)
        }
        let layout = layout()
        let report = withContents { bytes in
            HDF5ObjectHeaderCheck(bytes: bytes, base: layout.base, addressSize: layout.addressSize,
                                  lengthSize: layout.lengthSize, heaps: heaps)
                .inspect(objectAddress: UInt64(address))
        } ?? HDF5ObjectHeaderCheck.Report(problem: "the file could not be read again to validate it")
        if let problem = report.problem {
            throw HDF5Error.corruptFile(file: path, path: objectPath, detail: problem)
        }
        return report.attributeNames
    }

    /// Object addresses of groups whose symbol table passed `requireSoundSymbolTable`. Guarded by the lock.
    private var checkedSymbolTables: Set<UInt64> = []

    /// Refuses to go on when the symbol table (B-tree) of the group `id` of this (untrusted)
    /// file points outside the file, which makes libhdf5 1.10 crash; see
    /// `HDF5ObjectHeaderCheck.symbolTableProblem`. Call before anything that looks up or lists
    /// the group's links. Lock must be held.
    func requireSoundSymbolTable(of id: hid_t, path objectPath: String) throws(HDF5Error) {
        guard !isWritable else { return }
        var address: haddr_t = 0
        try HDF5Library.check(nn_h5_object_address(id, &address)) {
            .libraryFailure(file: path, path: objectPath, operation: "locating object header of", message: $0)
        }
        guard !checkedSymbolTables.contains(UInt64(address)) else { return }
        let layout = layout()
        let problem = withContents { bytes in
            HDF5ObjectHeaderCheck(bytes: bytes, base: layout.base, addressSize: layout.addressSize,
                                  lengthSize: layout.lengthSize, heaps: [:])
                .symbolTableProblem(objectAddress: UInt64(address))
        } ?? "the file could not be read again to validate it"
        if let problem {
            throw HDF5Error.corruptFile(file: path, path: objectPath, detail: problem)
        }
        checkedSymbolTables.insert(UInt64(address))
    }

    /// Refuses to open the root group of this (untrusted) file when its object header declares
    /// chunks beyond the end of the file, which libhdf5 would allocate (up to 4 GiB each) before
    /// finding out. Lock must be held.
    private func requireSoundRootHeader() throws(HDF5Error) {
        guard !isWritable else { return }
        let layout = layout()
        let problem: String? = withContents { bytes in
            let check = HDF5ObjectHeaderCheck(bytes: bytes, base: layout.base, addressSize: layout.addressSize,
                                              lengthSize: layout.lengthSize, heaps: [:])
            guard let root = check.rootObjectHeaderAddress(superblock: layout.base),
                  root < UInt64(Int.max / 2), layout.base + Int(root) < bytes.count else { return nil }
            return check.headerSizeProblem(at: layout.base + Int(root))
        } ?? nil
        if let problem { throw HDF5Error.corruptFile(file: path, path: "/", detail: problem) }
    }

    /// Current size of the file in bytes. Lock must be held.
    func currentSize() -> Int {
        guard fileID >= 0 else { return 0 }
        var size: hsize_t = 0
        if H5Fget_filesize(fileID, &size) < 0 {
            HDF5Library.discardErrorStack()
            return sizeWhenOpened
        }
        return Int(clamping: size)
    }
}

extension HDF5File {
    /// The libhdf5 identifier of the open file (`hid_t`; negative once closed), for the tests.
    package var rawFileID: Int64 { Int64(fileID) }
}
