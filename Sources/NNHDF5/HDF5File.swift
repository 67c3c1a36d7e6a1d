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
    /// Result of `HDF5GlobalHeapCheck.scan` once computed. Guarded by the lock.
    private var heapScan: (problem: String?, index: HDF5GlobalHeapCheck.Index)?
    /// Address layout of the file once read. Guarded by the lock.
    private var addressLayout: (base: Int, addressSize: Int, lengthSize: Int, symbolLeafK: Int)?
    /// The bytes the safety checks read: the image, or the disk file read with `pread` (it is
    /// never mapped); nil for a file this process is creating. Guarded by the lock.
    private let contents: HDF5FileBytes?

    /// Counter making the names of in-memory files unique. HDF5 identifies an open
    /// core-driver file by its name, so two images opened under the same name would
    /// otherwise share one file and read each other's data. Guarded by the lock.
    nonisolated(unsafe) private static var memoryFileCounter = 0

    private enum Source {
        /// A file on disk, at this path.
        case disk(String)
        case image([UInt8])
        /// A new file in memory.
        case create
        /// A new file on disk at this path, created by libhdf5 (tests only).
        case createOnDisk(String)
    }

    /// Opens an existing HDF5 file read-only; `name` (default: the path) names it in messages.
    ///
    /// - Throws: `HDF5Error.cannotOpen` when the file is missing, unreadable or not HDF5.
    package convenience init(readingFrom path: String, name: String? = nil) throws(HDF5Error) {
        try self.init(path: name ?? path, source: .disk(path))
    }

    /// Opens an HDF5 file image held in memory, read-only, without touching the disk.
    ///
    /// Uses HDF5's core (memory) driver with no backing store; HDF5 copies `bytes`,
    /// and the array itself is kept (shared, not copied) for validation.
    /// `name` is used in error messages and as `path` (e.g. "model.weights.h5").
    package convenience init(bytes: [UInt8], name: String) throws(HDF5Error) {
        try self.init(path: name, source: .image(bytes))
    }

    /// Creates a new HDF5 file in memory (libhdf5's core driver, no backing file): nothing touches
    /// the disk until the caller writes ``fileImage()`` itself. `name` names it in messages.
    ///
    /// libhdf5 1.10 cannot close a disk file whose writes failed (a full disk) and later crashes
    /// in its exit handler, and it creates files by name; building the image in memory and writing
    /// it through a descriptor the caller owns avoids both.
    package static func createInMemory(name: String) throws(HDF5Error) -> HDF5File {
        try HDF5File(path: name, source: .create)
    }

    /// Creates a new HDF5 file on disk at `path` (replacing a file there), written by libhdf5
    /// itself. For tests that build files to read back; nnmodel's own writer uses
    /// ``createInMemory(name:)`` for models in memory and ``createOnDisk(at:name:)`` when streaming.
    package static func createOnDisk(at path: String) throws(HDF5Error) -> HDF5File {
        try HDF5File(path: path, source: .createOnDisk(path))
    }

    /// Creates (truncating) the file at `diskPath`, named `name` in messages: a writer streaming
    /// into a temporary file gives the target's name.
    package static func createOnDisk(at diskPath: String, name: String) throws(HDF5Error) -> HDF5File {
        try HDF5File(path: name, source: .createOnDisk(diskPath))
    }

    /// The bytes of a file created in memory, as they would be on disk (after a flush).
    package func fileImage() throws(HDF5Error) -> [UInt8] {
        try HDF5Library.locked { () throws(HDF5Error) in
            let fid = try requireOpen(path: "/")
            let file = self.path
            let fail = { (message: String) in HDF5Error.libraryFailure(file: file, path: "/", operation: "taking the image of", message: message) }
            try HDF5Library.check(H5Fflush(fid, H5F_SCOPE_GLOBAL), fail)
            let size = try HDF5Library.check(H5Fget_file_image(fid, nil, 0), fail)
            var image = [UInt8](repeating: 0, count: Int(size))
            let copied = image.withUnsafeMutableBytes { H5Fget_file_image(fid, $0.baseAddress, $0.count) }
            _ = try HDF5Library.check(copied, fail)
            guard copied == size else { throw fail("the image changed size while it was copied") }
            return image
        }
    }

    private init(path: String, source: Source) throws(HDF5Error) {
        self.path = path
        let creating: Bool
        switch source {
        case .create, .createOnDisk: creating = true
        case .disk, .image: creating = false
        }
        isWritable = creating
        // Structures libhdf5 reads while opening the file, checked first (see HDF5ObjectHeaderCheck).
        // A disk file that cannot be opened here (missing, a FIFO or device) is not opened by
        // libhdf5 either: it would read it without the crash guards.
        switch source {
        case .image(let bytes): contents = HDF5FileBytes(bytes: bytes)
        case let .disk(diskPath):
            do { contents = HDF5FileBytes(file: try ReadableFile(path: diskPath)) } catch {
                throw HDF5Error.cannotOpen(file: path, message: error.description)
            }
        case .create, .createOnDisk: contents = nil
        }
        if let contents {
            let problem = HDF5ObjectHeaderCheck.superblockProblem(contents)
            if let failure = contents.failure { throw HDF5Error.cannotOpen(file: path, message: failure.description) }
            if let problem { throw HDF5Error.corruptFile(file: path, path: "/", detail: problem) }
        }

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
                    if case .createOnDisk = source { return .cannotCreate(file: path, message: message) }
                    return .cannotOpen(file: path, message: message)
                }
                // libhdf5 is loaded on first use (Sources/CHDF5): a missing or mismatched library is
                // reported here, naming what was tried, instead of every call failing.
                guard nn_h5_load() == 0 else {
                    throw openFailure("libhdf5 could not be loaded: \(String(cString: nn_h5_load_error()))")
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
                case let .disk(diskPath):
                    fid = try HDF5Library.check(H5Fopen(diskPath, nn_h5f_acc_rdonly(), fapl), openFailure)
                case let .createOnDisk(diskPath):
                    fid = try HDF5Library.check(
                        H5Fcreate(diskPath, nn_h5f_acc_trunc(), hid_t(H5P_DEFAULT), fapl), openFailure)
                case .create:
                    try HDF5Library.check(H5Pset_fapl_core(fapl, 1 << 20, false), openFailure)
                    HDF5File.memoryFileCounter += 1
                    let uniqueName = "\(path) [nnhdf5 new memory file \(HDF5File.memoryFileCounter)]"
                    fid = try HDF5Library.check(
                        H5Fcreate(uniqueName, nn_h5f_acc_excl(), hid_t(H5P_DEFAULT), fapl), openFailure)
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
                if creating {
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

    /// Runs `body` on the bytes of the file; nil for a file this process is creating, or when a
    /// read failed (the file changed since it was opened). Lock must be held.
    private func withContents<T>(_ body: (HDF5FileBytes) -> T) -> T? {
        guard let contents, contents.failure == nil else { return nil }
        let result = body(contents)
        return contents.failure == nil ? result : nil
    }

    /// Base address and address/length sizes of the file. Lock must be held.
    private func layout() -> (base: Int, addressSize: Int, lengthSize: Int, symbolLeafK: Int) {
        if let addressLayout { return addressLayout }
        var result = (base: 0, addressSize: 8, lengthSize: 8, symbolLeafK: 4)
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
                var internalK: UInt32 = 0, leafK: UInt32 = 0
                if H5Pget_sym_k(fcpl, &internalK, &leafK) >= 0, leafK > 0 { result.symbolLeafK = Int(leafK) }
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
                ?? (readFailure, [:])
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
        // Once per object header of the file: objects (or handles) that share a header, or
        // continuation chunks, would otherwise make the checks quadratic.
        let report: HDF5ObjectHeaderCheck.Report
        if let known = attributeReports[UInt64(address)] {
            report = known
        } else {
            report = withContents { bytes in
                HDF5ObjectHeaderCheck(bytes: bytes, base: layout.base, addressSize: layout.addressSize,
                                      lengthSize: layout.lengthSize, heaps: heaps, memo: symbolTableMemo)
                    .inspect(objectAddress: UInt64(address))
            } ?? HDF5ObjectHeaderCheck.Report(problem: readFailure)
            attributeReports[UInt64(address)] = report
        }
        if let problem = report.problem {
            throw HDF5Error.corruptFile(file: path, path: objectPath, detail: problem)
        }
        return report.attributeNames
    }

    /// What `requireSoundAttributeMessages` found for each object header address. Guarded by the lock.
    private var attributeReports: [UInt64: HDF5ObjectHeaderCheck.Report] = [:]

    /// Object addresses of groups whose symbol table passed `requireSoundSymbolTable`. Guarded by the lock.
    private var checkedSymbolTables: Set<UInt64> = []
    /// What the symbol-table checks of this file found so far (shared name heaps and object
    /// headers are checked once). Guarded by the lock.
    private let symbolTableMemo = HDF5ObjectHeaderCheck.SymbolTableMemo()

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
                                  lengthSize: layout.lengthSize, heaps: [:], memo: symbolTableMemo,
                                  symbolLeafK: layout.symbolLeafK)
                .symbolTableProblem(objectAddress: UInt64(address))
        } ?? readFailure
        if let problem {
            throw HDF5Error.corruptFile(file: path, path: objectPath, detail: problem)
        }
        checkedSymbolTables.insert(UInt64(address))
    }

    /// Why a check could not read the file.
    private var readFailure: String {
        contents?.failure.map { "the file could not be read to validate it: \($0)" } ?? "the file could not be read to validate it"
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
        } ?? (contents == nil ? nil : readFailure)
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
