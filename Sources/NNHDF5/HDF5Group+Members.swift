internal import CHDF5

#if canImport(Glibc)
import Glibc
#endif

/// The links of a group, listed in one pass.
///
/// For readers that open many members of one group (a model's layers): looking each up by name
/// makes libhdf5 read the group's object header again, every message of it, and that header
/// holds the group's attributes (a large `layer_names` split into thousands of pieces), so n
/// lookups cost n × the header. Opening a listed hard link goes to its object directly.
package struct HDF5Members: Sendable {
    /// The links' names, in HDF5's name order (byte-wise alphabetical).
    package let names: [String]
    /// Every link by its name's bytes (names are compared as bytes, as libhdf5 compares them,
    /// not as Swift compares strings): the object header address of a hard link, nil for a soft,
    /// external or user-defined link.
    let links: [[UInt8]: UInt64?]

    /// Whether a link called `name` (one name, not a path) exists, of any kind.
    package func contains(_ name: String) -> Bool { links[Array(name.utf8)] != nil }

    /// Whether `path` is one link name that a listing answers for (not empty, no "/", not ".").
    static func isSingleName(_ path: String) -> Bool {
        !path.isEmpty && path != "." && !path.utf8.contains(UInt8(ascii: "/"))
    }
}

extension HDF5Group {
    /// The links of this group, listed in one pass (time linear in the group's size).
    ///
    /// - Parameter limit: list at most this many links (the first in name order).
    /// - Throws: `corruptFile` when the group's symbol table points outside the file,
    ///   `implausibleSize` for a link name longer than 64 KiB.
    package func members(limit: Int = Int.max) throws(HDF5Error) -> HDF5Members {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = try requireID()
            try file.requireSoundSymbolTable(of: id, path: name)
            final class Collector {
                let limit: Int
                var names: [String] = []
                var links: [[UInt8]: UInt64?] = [:]
                var longName: Int?
                init(limit: Int) { self.limit = limit }
            }
            let collector = Collector(limit: limit)
            guard limit > 0 else { return HDF5Members(names: [], links: [:]) }
            let status = withExtendedLifetime(collector) {
                nn_h5_links(id, { name, linkType, address, context in
                    guard let name, let context else { return -1 }
                    let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
                    guard collector.names.count < collector.limit else { return 1 }
                    let length = strnlen(name, HDF5Limits.maxLinkValueBytes + 1)
                    guard length <= HDF5Limits.maxLinkValueBytes else {
                        collector.longName = collector.names.count
                        return 1
                    }
                    let bytes = Array(UnsafeRawBufferPointer(start: name, count: length))
                    collector.names.append(String(decoding: bytes, as: UTF8.self))
                    collector.links[bytes] = linkType == Int32(H5L_TYPE_HARD.rawValue) ? UInt64(address) : .some(nil)
                    return 0
                }, Unmanaged.passUnretained(collector).toOpaque())
            }
            if let index = collector.longName {
                HDF5Library.discardErrorStack()
                throw HDF5Error.implausibleSize(
                    file: filePath, path: name,
                    detail: "link name \(index) is longer than \(HDF5Limits.maxLinkValueBytes) bytes")
            }
            try HDF5Library.check(status, failure("listing members of"))
            return HDF5Members(names: collector.names, links: collector.links)
        }
    }

    /// `hasMember(_:)`, answered from `members` (this group's listing) when `path` is one name.
    package func hasMember(_ path: String, listedIn members: HDF5Members) throws(HDF5Error) -> Bool {
        HDF5Members.isSingleName(path) ? members.contains(path) : try hasMember(path)
    }

    /// `group(_:)`, with a member that `members` (this group's listing) holds as a hard link opened
    /// at its object's address, with no lookup by name in this group. Any other link, and a path
    /// of several names, is opened by `group(_:)`, checked and refused the same way.
    ///
    /// - Throws: `notFound` when `members` has no such link, `wrongKind` when it is not a group,
    ///   and the errors of `group(_:)`.
    package func group(_ path: String, listedIn members: HDF5Members) throws(HDF5Error) -> HDF5Group {
        guard HDF5Members.isSingleName(path) else { return try group(path) }
        let name = path
        let fullPath = HDF5PathResolver.join(self.name, name)
        guard let link = members.links[Array(name.utf8)] else { throw HDF5Error.notFound(file: filePath, path: fullPath) }
        guard let address = link else { return try group(name) }
        return try HDF5Library.locked { () throws(HDF5Error) in
            let id = try requireID()
            let object = try HDF5Library.check(nn_h5_open_by_address(id, haddr_t(address)), failure("opening group", path: fullPath))
            let type = H5Iget_type(object)
            guard type == H5I_GROUP else {
                _ = H5Oclose(object)
                HDF5Library.discardErrorStack()
                let found: HDF5ObjectKind = type == H5I_DATASET ? .dataset : type == H5I_DATATYPE ? .namedDatatype : .unknownObject
                throw HDF5Error.wrongKind(file: filePath, path: fullPath, expected: "a group", found: found.description)
            }
            return HDF5Group(handle: HDF5Handle(file: file, id: object, kind: .group), name: fullPath)
        }
    }
}
