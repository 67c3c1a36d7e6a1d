/// What a name inside an HDF5 group refers to, found without following links.
package enum HDF5ObjectKind: Equatable, Sendable, CustomStringConvertible {
    /// A hard link to a group.
    case group
    /// A hard link to a dataset.
    case dataset
    /// A hard link to a named (committed) datatype.
    case namedDatatype
    /// A hard link to an object of a type this library does not know.
    case unknownObject
    /// A soft link; `target` is the stored path (absolute, or relative to the group).
    case softLink(target: String)
    /// An external link into another file. Never followed by this library.
    case externalLink(file: String, path: String)
    /// A link of a user-defined link class. Never followed by this library.
    case userDefinedLink(type: Int)
    /// No link with that name exists.
    case missing

    package var description: String {
        switch self {
        case .group: return "a group"
        case .dataset: return "a dataset"
        case .namedDatatype: return "a named datatype"
        case .unknownObject: return "an object of unknown type"
        case .softLink(let target): return "a soft link to '\(target)'"
        case .externalLink(let file, let path): return "an external link to '\(path)' in '\(file)'"
        case .userDefinedLink(let type): return "a user-defined link (type \(type))"
        case .missing: return "nothing"
        }
    }
}
