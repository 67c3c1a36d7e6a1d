/// Every object under a group, as `h5ls -r` lists them: groups, datasets and links, depth first
/// in HDF5's name order.
///
/// Links are reported, never followed; a group reached a second time (through another hard link,
/// or a cycle) is reported as already listed and not entered again. Datasets are opened and
/// checked as ``HDF5Group/dataset(_:)`` checks them, but their data is not read.
package struct HDF5Listing: Sendable, Equatable {
    /// What one listed path is.
    package enum Kind: Sendable, Equatable {
        /// A group (its members follow it in the listing).
        case group
        /// A dataset: its element type and shape (`[]` for a scalar).
        case dataset(elementType: HDF5ElementType, shape: [Int])
        /// A group listed before under another path; not entered again.
        case alreadyListed(path: String)
        /// A soft, external or user-defined link, a named datatype or an object of unknown type:
        /// listed, never followed or opened.
        case other(HDF5ObjectKind)
        /// A dataset this library refuses to open (data in external files, a virtual dataset, a
        /// shape beyond its limits); the refusal says why.
        case refused(HDF5Error)
    }

    /// One listed object.
    package struct Entry: Sendable, Equatable {
        /// The object's absolute path in the file (`/model_weights/dense/dense/kernel:0`).
        package var path: String
        package var kind: Kind
    }

    /// The objects listed, in listing order.
    package var entries: [Entry] = []
    /// Members left out because the listing reached its object limit or its depth limit (the
    /// members of groups too deep to enter are counted, not theirs in turn).
    package var omitted = 0
}

extension HDF5Group {
    /// Lists every object under this group, recursively (see ``HDF5Listing``).
    ///
    /// A group's member count is read before its members are, so no more than
    /// `maximumObjects` names are ever read; groups nested deeper than `maximumDepth` below this
    /// one are listed but not entered.
    ///
    /// - Throws: `corruptFile` and the other errors of reading a damaged structure. Datasets this
    ///   library refuses to open are listed as ``HDF5Listing/Kind/refused(_:)``, not thrown.
    package func listing(maximumObjects: Int = HDF5Limits.maxListedObjects,
                         maximumDepth: Int = HDF5Limits.maxListingDepth) throws(HDF5Error) -> HDF5Listing {
        var listing = HDF5Listing()
        var seen: [UInt64: String] = [try objectAddress(): name]

        func walk(_ group: HDF5Group, depth: Int) throws(HDF5Error) {
            let total = try group.memberCount()
            let room = max(0, maximumObjects - listing.entries.count)
            let names = try group.memberNames(limit: room)
            listing.omitted += total - names.count
            for member in names {
                // Entering a group before may have used up the room counted for this one.
                guard listing.entries.count < maximumObjects else {
                    listing.omitted += 1
                    continue
                }
                let path = HDF5PathResolver.join(group.name, member)
                let kind = try group.kind(of: member)
                switch kind {
                case .group:
                    let child = try group.group(member)
                    let address = try child.objectAddress()
                    if let first = seen[address] {
                        listing.entries.append(HDF5Listing.Entry(path: path, kind: .alreadyListed(path: first)))
                        continue
                    }
                    seen[address] = path
                    listing.entries.append(HDF5Listing.Entry(path: path, kind: .group))
                    if depth < maximumDepth {
                        try walk(child, depth: depth + 1)
                    } else {
                        listing.omitted += try child.memberCount()
                    }
                case .dataset:
                    do {
                        let dataset = try group.dataset(member)
                        listing.entries.append(HDF5Listing.Entry(
                            path: path, kind: .dataset(elementType: dataset.elementType, shape: dataset.shape)))
                    } catch {
                        switch error {
                        case .externalDataset, .virtualDataset, .unsupportedShape, .implausibleSize:
                            listing.entries.append(HDF5Listing.Entry(path: path, kind: .refused(error)))
                        default:
                            throw error
                        }
                    }
                case .missing:
                    continue
                default:
                    listing.entries.append(HDF5Listing.Entry(path: path, kind: .other(kind)))
                }
            }
        }

        try walk(self, depth: 1)
        return listing
    }
}
