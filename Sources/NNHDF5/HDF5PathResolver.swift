internal import CHDF5

/// A group identifier held only for the duration of one lookup; closed on `deinit`.
///
/// `borrowed` identifiers belong to someone else and are not closed.
final class ScopedGroupID {
    let id: hid_t
    let path: String
    private let owned: Bool

    init(id: hid_t, path: String, owned: Bool) {
        self.id = id
        self.path = path
        self.owned = owned
    }

    deinit {
        if owned {
            HDF5Library.locked {
                _ = H5Gclose(id)
                HDF5Library.discardErrorStack()
            }
        }
    }
}

/// Walks paths inside one file component by component, never letting HDF5 follow
/// a link this library has not checked first.
///
/// Every link on the way is examined with `H5Lget_info` before it is used:
/// external and user-defined links are refused, and a soft link is used only when
/// its target resolves, through groups of this file, to an existing object. All
/// methods must be called with the HDF5 lock held.
struct HDF5PathResolver {
    let file: HDF5File

    // MARK: Path syntax

    /// Joins a group path and a relative path.
    static func join(_ base: String, _ component: String) -> String {
        base == "/" ? "/" + component : base + "/" + component
    }

    /// Splits `path` into components, rejecting empty components and ".".
    /// Returns whether the path is absolute. The path "/" has no components.
    func split(_ path: String, relativeTo base: String) throws(HDF5Error) -> (absolute: Bool, components: [String]) {
        guard !path.isEmpty else {
            throw HDF5Error.invalidArgument(file: file.path, path: base, detail: "empty object path")
        }
        let absolute = path.hasPrefix("/")
        let body = absolute ? String(path.dropFirst()) : path
        if body.isEmpty {
            if absolute { return (true, []) }
        }
        // Split at the byte "/", as libhdf5 does (and in time linear in the path's bytes: a split
        // by Character would treat "/" followed by a combining mark as no separator).
        let components = body.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        for component in components where component.isEmpty || component == "." || component.utf8.contains(0) {
            throw HDF5Error.invalidArgument(
                file: file.path, path: base,
                detail: "malformed object path '\(path)' (empty, '.' or NUL component)")
        }
        return (absolute, components)
    }

    // MARK: Single links

    /// What `name` (one component) in group `loc` is, without following it.
    func linkKind(in loc: hid_t, name: String, fullPath: String) throws(HDF5Error) -> HDF5ObjectKind {
        let failure: (String) -> HDF5Error = {
            .libraryFailure(file: file.path, path: fullPath, operation: "inspecting link", message: $0)
        }
        try file.requireSoundSymbolTable(of: loc, path: fullPath)
        let exists = try HDF5Library.check(H5Lexists(loc, name, file.linkAccess), failure)
        if exists == 0 { return .missing }

        var linkType: Int32 = 0
        var valueSize = 0
        try HDF5Library.check(nn_h5_link_info(loc, name, file.linkAccess, &linkType, &valueSize), failure)

        switch linkType {
        case Int32(H5L_TYPE_HARD.rawValue):
            var objectType: Int32 = 0
            try HDF5Library.check(nn_h5_object_type(loc, name, file.linkAccess, &objectType)) {
                .libraryFailure(file: file.path, path: fullPath, operation: "inspecting object", message: $0)
            }
            switch objectType {
            case Int32(H5O_TYPE_GROUP.rawValue): return .group
            case Int32(H5O_TYPE_DATASET.rawValue): return .dataset
            case Int32(H5O_TYPE_NAMED_DATATYPE.rawValue): return .namedDatatype
            default: return .unknownObject
            }
        case Int32(H5L_TYPE_SOFT.rawValue):
            let value = try linkValue(in: loc, name: name, size: valueSize, fullPath: fullPath)
            let end = value.firstIndex(of: 0) ?? value.endIndex
            return .softLink(target: String(decoding: value[..<end], as: UTF8.self))
        case Int32(H5L_TYPE_EXTERNAL.rawValue):
            let value = try linkValue(in: loc, name: name, size: valueSize, fullPath: fullPath)
            // Layout: one flags byte, the file name, NUL, the object path, NUL.
            // Parsed here rather than with H5Lunpack_elink_val, which trusts the
            // NULs to be present and would read past the buffer otherwise.
            let strings = value.dropFirst().split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
            let targetFile = strings.count > 0 ? String(decoding: strings[0], as: UTF8.self) : ""
            let targetPath = strings.count > 1 ? String(decoding: strings[1], as: UTF8.self) : ""
            return .externalLink(file: targetFile, path: targetPath)
        default:
            return .userDefinedLink(type: Int(linkType))
        }
    }

    /// The stored value of a soft/external link, after checking its declared size.
    private func linkValue(in loc: hid_t, name: String, size: Int, fullPath: String) throws(HDF5Error) -> [UInt8] {
        guard size > 0, size <= HDF5Limits.maxLinkValueBytes else {
            throw HDF5Error.implausibleSize(
                file: file.path, path: fullPath,
                detail: "link value declares \(size) bytes (limit \(HDF5Limits.maxLinkValueBytes))")
        }
        var buffer = [UInt8](repeating: 0, count: size)
        _ = try buffer.withUnsafeMutableBufferPointer { (typed) throws(HDF5Error) in
            let raw = UnsafeMutableRawBufferPointer(typed)
            try HDF5Library.check(H5Lget_val(loc, name, raw.baseAddress, raw.count, file.linkAccess)) {
                .libraryFailure(file: file.path, path: fullPath, operation: "reading link value of", message: $0)
            }
        }
        return buffer
    }

    /// Throws the refusal for a link kind that must not be followed; returns otherwise.
    func refuseUnfollowable(_ kind: HDF5ObjectKind, at path: String) throws(HDF5Error) {
        switch kind {
        case .missing:
            throw HDF5Error.notFound(file: file.path, path: path)
        case .externalLink(let targetFile, let targetPath):
            throw HDF5Error.externalLink(file: file.path, path: path, targetFile: targetFile, targetPath: targetPath)
        case .userDefinedLink(let type):
            throw HDF5Error.unsupportedLink(file: file.path, path: path, linkType: type)
        default:
            return
        }
    }

    // MARK: Soft links

    /// The kind of object a soft link finally points to, after checking that its
    /// target resolves inside this file through groups only.
    ///
    /// - Parameters:
    ///   - target: the stored link value.
    ///   - linkPath: full path of the link itself (for messages).
    ///   - parent: the group that contains the link (relative targets start there).
    func resolveSoftLink(target: String, linkPath: String, parent: ScopedGroupID) throws(HDF5Error) -> HDF5ObjectKind {
        var budget = HDF5Limits.maxSoftLinkLookups
        return try resolveSoftLink(target: target, linkPath: linkPath, parent: parent, depth: 1, budget: &budget)
    }

    private func resolveSoftLink(
        target: String, linkPath: String, parent: ScopedGroupID, depth: Int, budget: inout Int
    ) throws(HDF5Error) -> HDF5ObjectKind {
        func refuse(_ reason: String) -> HDF5Error {
            .unsafeSoftLink(file: file.path, path: linkPath, target: target, reason: reason)
        }
        guard depth <= HDF5Limits.maxSoftLinkDepth else {
            throw refuse("more than \(HDF5Limits.maxSoftLinkDepth) nested soft links")
        }
        guard let parsed = try? split(target, relativeTo: parent.path) else {
            throw refuse("the target path is malformed")
        }
        var current: ScopedGroupID
        if parsed.absolute {
            current = try openRoot()
        } else {
            current = parent
        }
        if parsed.components.isEmpty { return .group }  // target "/"

        for (index, component) in parsed.components.enumerated() {
            budget -= 1
            guard budget >= 0 else { throw refuse("too many link lookups while resolving it") }
            let componentPath = HDF5PathResolver.join(current.path, component)
            var kind = try linkKind(in: current.id, name: component, fullPath: componentPath)
            if case .softLink(let inner) = kind {
                kind = try resolveSoftLink(
                    target: inner, linkPath: linkPath, parent: current, depth: depth + 1, budget: &budget)
            }
            switch kind {
            case .missing:
                throw refuse("the target does not exist in the file ('\(componentPath)' is missing)")
            case .externalLink(let otherFile, let otherPath):
                throw refuse("the target leaves the file through an external link at '\(componentPath)' to '\(otherPath)' in '\(otherFile)'")
            case .userDefinedLink(let type):
                throw refuse("the target goes through a user-defined link (type \(type)) at '\(componentPath)'")
            default:
                break
            }
            if index == parsed.components.count - 1 { return kind }
            guard kind == .group else {
                throw refuse("'\(componentPath)' on the way to the target is \(kind), not a group")
            }
            current = try openGroup(in: current, name: component, path: componentPath)
        }
        return .group  // unreachable: the loop returns on its last component
    }

    // MARK: Walking

    /// Opens the root group for a lookup.
    func openRoot() throws(HDF5Error) -> ScopedGroupID {
        let fid = try file.requireOpen(path: "/")
        let id = try HDF5Library.check(H5Gopen2(fid, "/", file.groupAccess)) {
            .libraryFailure(file: file.path, path: "/", operation: "opening group", message: $0)
        }
        return ScopedGroupID(id: id, path: "/", owned: true)
    }

    /// Opens a member already known to be a group (or a checked soft link to one).
    func openGroup(in parent: ScopedGroupID, name: String, path: String) throws(HDF5Error) -> ScopedGroupID {
        let id = try HDF5Library.check(H5Gopen2(parent.id, name, file.groupAccess)) {
            .libraryFailure(file: file.path, path: path, operation: "opening group", message: $0)
        }
        return ScopedGroupID(id: id, path: path, owned: true)
    }

    /// Walks every component of `path` but the last, each of which must be a group
    /// (directly or through a checked soft link).
    ///
    /// - Returns: the parent group of the last component and that component's name;
    ///   the name is nil when `path` is "/".
    func walkToParent(of path: String, from base: ScopedGroupID) throws(HDF5Error) -> (parent: ScopedGroupID, last: String?) {
        let parsed = try split(path, relativeTo: base.path)
        var current = parsed.absolute ? try openRoot() : base
        guard let last = parsed.components.last else { return (current, nil) }
        for component in parsed.components.dropLast() {
            let componentPath = HDF5PathResolver.join(current.path, component)
            let kind = try followedKind(in: current, name: component, path: componentPath)
            guard kind == .group else {
                throw HDF5Error.wrongKind(file: file.path, path: componentPath, expected: "a group", found: kind.description)
            }
            current = try openGroup(in: current, name: component, path: componentPath)
        }
        return (current, last)
    }

    /// The kind of the object a member refers to, following a soft link only after
    /// checking it; refuses missing, external and user-defined links.
    func followedKind(in parent: ScopedGroupID, name: String, path: String) throws(HDF5Error) -> HDF5ObjectKind {
        var kind = try linkKind(in: parent.id, name: name, fullPath: path)
        if case .softLink(let target) = kind {
            kind = try resolveSoftLink(target: target, linkPath: path, parent: parent)
        }
        try refuseUnfollowable(kind, at: path)
        return kind
    }
}
