/// Limits applied to untrusted files before anything is allocated or read.
///
/// A file can declare shapes and sizes that have nothing to do with the bytes it
/// contains; these limits decide what is refused as implausible.
package enum HDF5Limits {
    /// Highest dataspace rank accepted (HDF5's own maximum).
    package static let maxRank = 32
    /// Most elements a dataset or attribute may declare (2^31).
    package static let maxElementCount = 1 << 31
    /// Most elements an attribute may declare (attributes are small metadata).
    package static let maxAttributeElementCount = 1 << 24
    /// Most bytes an attribute's fixed-size elements may declare in total (64 MiB).
    package static let maxAttributeBytes = 1 << 26
    /// Longest link value (soft-link path, external-link file and path) read (64 KiB).
    package static let maxLinkValueBytes = 1 << 16
    /// Largest raw-data size a compact dataset can have (it lives in the object header).
    package static let maxCompactBytes = 1 << 16
    /// Largest chunk (in bytes) accepted when it is also larger than the whole dataset.
    package static let maxChunkBytes = 1 << 24
    /// Chunked datasets declaring more than this many bytes must store at least
    /// 1/`maxExpansion` of it (guards against decompression and shape bombs).
    package static let expansionCheckFloorBytes = 1 << 26
    /// Largest accepted ratio of declared bytes to stored bytes above the floor.
    package static let maxExpansion = 1000
    /// Deepest chain of soft links followed while resolving one path.
    package static let maxSoftLinkDepth = 8
    /// Most link lookups spent resolving soft links for one path.
    package static let maxSoftLinkLookups = 1024
    /// Most objects (groups, datasets, links) a recursive listing reports; the rest are counted
    /// as left out, not listed.
    package static let maxListedObjects = 100_000
    /// Deepest group nesting a recursive listing descends into.
    package static let maxListingDepth = 64
}
