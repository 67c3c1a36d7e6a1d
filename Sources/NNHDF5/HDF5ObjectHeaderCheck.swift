/// Validation of an object's attribute messages before libhdf5 decodes them.
///
/// libhdf5 1.10 decodes an attribute message trusting the sizes it declares: a
/// name/datatype/dataspace size or an element count that runs past the message
/// makes it copy out of bounds (segfault in `H5Aiterate2`/`H5Aopen`), and a
/// variable-length string whose heap reference (collection, object index) is
/// corrupt makes `H5HG_read` read through a wild pointer or overflow the buffer it
/// sized from the declared length. Inputs doing both are in
/// `Fixtures/hdf5/crashers/`.
///
/// This walks the object header (version 1, and version 2 "OHDR"), and for each
/// attribute message checks that its parts fit in the message and, for
/// variable-length data, that every heap reference names an existing object of a
/// collection that `HDF5GlobalHeapCheck` accepted, of exactly the declared length.
/// Attributes in dense storage (fractal heap) and shared datatypes/dataspaces are
/// not checked (Keras/h5py files do not use them).
struct HDF5ObjectHeaderCheck {
    let bytes: HDF5FileBytes
    /// Absolute offset of the file's base address (the superblock position).
    let base: Int
    let addressSize: Int
    let lengthSize: Int
    let heaps: HDF5GlobalHeapCheck.Index
    /// What earlier symbol-table checks of the same file found; see `SymbolTableMemo`.
    var memo = SymbolTableMemo()
    /// The symbol-table leaf node K of the file (libhdf5 sizes each node's entry table for 2K
    /// entries and decodes as many as the node declares).
    var symbolLeafK = 4

    /// Most header chunks (continuation messages) one object header may have; more is refused.
    /// (A Keras `.h5` of 10,000 layers with 64 KB names needs about one per layer.)
    static let maxChunks = 1 << 16

    // MARK: Bounded reads

    func unsigned(_ offset: Int, _ width: Int) -> UInt64? {
        guard offset >= 0, width >= 0, width <= 8, offset <= bytes.count - width else { return nil }
        return bytes.unsigned(at: offset, width: width)
    }

    private func int(_ offset: Int, _ width: Int) -> Int? {
        guard let value = unsigned(offset, width), value <= UInt64(Int.max / 2) else { return nil }
        return Int(value)
    }

    func absolute(_ address: UInt64) -> Int? {
        guard address <= UInt64(Int.max / 2) else { return nil }
        return base + Int(address)
    }

    private static func align8(_ value: Int) -> Int { (value + 7) & ~7 }

    // MARK: Object header

    /// A message found in an object header.
    private struct Message {
        let type: Int
        let data: Int
        let size: Int
        /// The header message flags (bit 1: a shared message, stored as a reference).
        let flags: Int
    }

    /// What the check found in one object header.
    struct Report {
        /// The first problem in the attribute messages, or nil.
        var problem: String?
        /// Names of the attributes stored in the header, in HDF5's name order; nil
        /// when the header was not parsed or the attributes are in dense storage.
        var attributeNames: [String]?
    }

    /// Checks the attribute messages of the object header at `address` (relative
    /// to the base) and collects the attributes' names.
    func inspect(objectAddress address: UInt64) -> Report {
        guard [2, 4, 8].contains(addressSize), [2, 4, 8].contains(lengthSize), let start = absolute(address) else { return Report() }
        let messages: [Message]
        switch self.messages(ofHeaderAt: start) {
        case .notParsed: return Report()
        case let .problem(problem): return Report(problem: problem)
        case let .messages(found): messages = found
        }
        let undefinedAddress = UInt64.max >> UInt64(64 - 8 * addressSize)
        var names: [String]? = []
        for message in messages {
            switch message.type {
            case 0x0C:
                if let problem = attributeProblem(message) { return Report(problem: problem) }
                if let name = attributeName(message) { names?.append(name) } else { names = nil }
            case 0x15:
                // Attribute Info: a defined fractal heap address means dense storage.
                let flags = int(message.data + 1, 1) ?? 0
                let heapAt = message.data + 2 + (flags & 0x01 != 0 ? 2 : 0)
                if let heap = unsigned(heapAt, addressSize), heap != undefinedAddress {
                    names = nil
                }
            default:
                break
            }
        }
        return Report(problem: nil, attributeNames: names?.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    /// The name stored in an attribute message (already checked to fit).
    private func attributeName(_ message: Message) -> String? {
        let data = message.data
        guard let version = int(data, 1), let nameSize = int(data + 2, 2), nameSize > 0 else { return nil }
        let nameAt = version == 3 ? data + 9 : data + 8
        guard nameAt + nameSize <= data + message.size else { return nil }
        var raw = bytes.slice(nameAt..<nameAt + nameSize)
        if let end = raw.firstIndex(of: 0) { raw.removeSubrange(end...) }
        return String(decoding: raw, as: UTF8.self)
    }

    /// The messages of an object header, or why the header cannot be sound.
    private enum Parsed {
        /// A header this check does not parse (libhdf5 then validates or rejects it alone).
        case notParsed
        /// Every message of every chunk.
        case messages([Message])
        /// Continuation chunks that loop, overlap or are too many.
        case problem(String)
    }

    /// All messages of the header at `start`, every continuation chunk followed once: a chunk
    /// reached twice, chunks that overlap (more bytes than the file has) or more than
    /// ``maxChunks`` chunks are a problem, so the walk is linear in the file's size and never
    /// leaves a chunk unchecked.
    private func messages(ofHeaderAt start: Int) -> Parsed {
        var messages: [Message] = []
        var chunks: [(start: Int, end: Int)] = []
        let isVersion2 = unsigned(start, 4) == 0x5244_484F  // "OHDR" little-endian
        var prefixFlags = 0
        if isVersion2 {
            guard unsigned(start + 4, 1) == 2, let flags = int(start + 5, 1) else { return .notParsed }
            prefixFlags = flags
            var cursor = start + 6
            if flags & 0x20 != 0 { cursor += 16 }  // access/modification/change/birth times
            if flags & 0x10 != 0 { cursor += 4 }   // attribute phase change values
            let width = 1 << (flags & 0x03)
            guard let size = int(cursor, width) else { return .notParsed }
            chunks.append((cursor + width, cursor + width + size))
        } else {
            guard unsigned(start, 1) == 1, let size = int(start + 8, 4) else { return .notParsed }
            chunks.append((start + 16, start + 16 + size))
        }

        var next = 0
        var seen: Set<Int> = []
        var scanned = 0
        while next < chunks.count {
            let chunk = chunks[next]
            next += 1
            guard seen.insert(chunk.start).inserted else {
                return .problem("object header at offset \(start) continues twice into the chunk at offset \(chunk.start) (a loop)")
            }
            guard next <= Self.maxChunks else {
                return .problem("object header at offset \(start) continues in more than \(Self.maxChunks) chunks")
            }
            let end = min(chunk.end, bytes.count)
            scanned += max(0, end - chunk.start)
            guard scanned <= bytes.count else {
                return .problem("object header at offset \(start) has chunks that overlap (more bytes than the file holds)")
            }
            var position = chunk.start
            let headerSize = isVersion2 ? (4 + (prefixFlags & 0x04 != 0 ? 2 : 0)) : 8
            while position + headerSize <= end {
                let type: Int
                let size: Int
                let flags: Int
                if isVersion2 {
                    guard let t = int(position, 1), let s = int(position + 1, 2), let f = int(position + 3, 1) else { break }
                    (type, size, flags) = (t, s, f)
                } else {
                    guard let t = int(position, 2), let s = int(position + 2, 2), let f = int(position + 4, 1) else { break }
                    (type, size, flags) = (t, s, f)
                }
                let data = position + headerSize
                guard data + size <= end else { break }  // libhdf5 reports this corruption itself
                messages.append(Message(type: type, data: data, size: size, flags: flags))
                // Past the file, a chunk is checked by `headerSizeProblem`; here only its bytes
                // inside the file are read (and no sum of file values can overflow).
                if type == 0x10,
                   let offset = unsigned(data, addressSize), let length = int(data + addressSize, lengthSize),
                   let target = absolute(offset), target < bytes.count {
                    let stop = length < bytes.count - target ? target + length : bytes.count
                    if let owner = memo.chunkOwners[target], owner != start {
                        return .problem("object headers at offsets \(owner) and \(start) continue into the same chunk at offset \(target)")
                    }
                    memo.chunkOwners[target] = start
                    if isVersion2 {
                        // "OCHK" signature first, checksum (4 bytes) last.
                        chunks.append((target + 4, max(target + 4, stop - 4)))
                    } else {
                        chunks.append((target, stop))
                    }
                }
                position = data + size
            }
        }
        return .messages(messages)
    }

    // MARK: Symbol tables


    /// Facts the symbol-table checks of one file share, so that checking every group costs time
    /// linear in the file however its groups share name heaps and object headers.
    final class SymbolTableMemo {
        /// Absolute offsets of object headers `headerSizeProblem` found sound.
        var soundHeaders: Set<Int> = []
        /// The last 0 byte of each local heap data segment checked (nil: the segment has none).
        var lastZero: [Range<Int>: Int?] = [:]
        /// The (B-tree, local heap) address pairs of symbol tables found sound: groups that share
        /// them are not walked again.
        var soundTables: Set<[UInt64]> = []
        /// The symbol table (B-tree, local heap addresses) each B-tree or symbol-table node
        /// belongs to: in a sound file no node belongs to two, so every node is walked once per file.
        var nodeOwners: [UInt64: [UInt64]] = [:]
        /// The object header (its offset) each continuation chunk belongs to, for the same reason.
        var chunkOwners: [Int: Int] = [:]
        /// What `freeListProblem` found for each local heap (its offset).
        var freeLists: [Int: String?] = [:]
    }

    /// The offset of the last 0 byte in the local heap data segment `segment`, found once per
    /// segment: a link name at offset `p` ends inside the segment exactly when `p` is at most this.
    private func lastZero(in segment: Range<Int>) -> Int? {
        if let known = memo.lastZero[segment] { return known }
        let found = bytes.lastZero(in: segment)
        memo.lastZero[segment] = found
        return found
    }

    /// `headerSizeProblem(at:)`, computed once per object header of the file.
    private func memoizedHeaderSizeProblem(at start: Int) -> String? {
        guard !memo.soundHeaders.contains(start) else { return nil }
        if let problem = headerSizeProblem(at: start) { return problem }
        memo.soundHeaders.insert(start)
        return nil
    }

    /// The first problem in the symbol table of the old-style group whose object header is at
    /// `address`, or nil (also for headers not parsed here and for new-style groups).
    ///
    /// libhdf5 1.10 reads the B-tree ("TREE") nodes, symbol-table ("SNOD") nodes and object
    /// headers a group points to through its metadata accumulator. An address far outside the
    /// file (undefined, or wrapping around) makes it try to grow the accumulator to an
    /// impossible size; when that allocation fails it loses the buffer (sets it to NULL) and the
    /// next metadata read copies from address 0 (see Fixtures/fuzz/regressions/h5/). So every
    /// address the group's B-tree gives must lie inside the file.
    ///
    /// The B-tree is walked once, in time linear in the file: a node reached twice (a loop, or a
    /// node shared by two parents), a node whose level is not one less than its parent's, or
    /// more entries than the file can hold without nodes overlapping is a problem, never a pass.
    func symbolTableProblem(objectAddress address: UInt64) -> String? {
        guard [2, 4, 8].contains(addressSize), [2, 4, 8].contains(lengthSize), let start = absolute(address) else { return nil }
        let messages: [Message]
        switch self.messages(ofHeaderAt: start) {
        case .notParsed: return nil
        case let .problem(problem): return problem
        case let .messages(found): messages = found
        }
        guard let table = messages.first(where: { $0.type == 0x11 }) else { return nil }
        guard let treeAddress = unsigned(table.data, addressSize), let heapAddress = unsigned(table.data + addressSize, addressSize)
        else { return "symbol table message at offset \(table.data) is cut off" }
        guard !memo.soundTables.contains([treeAddress, heapAddress]) else { return nil }
        func inside(_ address: UInt64) -> Bool {
            guard let at = absolute(address) else { return false }
            return at < bytes.count
        }
        guard inside(heapAddress), let heapAt = absolute(heapAddress) else {
            return "symbol table's local heap address \(heapAddress) lies outside the file"
        }
        // "HEAP", version, reserved (3), data segment size, free list offset, data segment address.
        var names: (at: Int, size: Int, lastZero: Int?)?
        if unsigned(heapAt, 4) == 0x5041_4548, let dataSize = unsigned(heapAt + 8, lengthSize),
           let dataAddress = unsigned(heapAt + 8 + 2 * lengthSize, addressSize) {
            guard dataSize <= UInt64(bytes.count), inside(dataAddress), let dataAt = absolute(dataAddress),
                  dataSize <= UInt64(bytes.count - dataAt) else {
                return "local heap at offset \(heapAt) declares a \(dataSize)-byte data segment at address \(dataAddress), beyond the end of the file"
            }
            names = (dataAt, Int(dataSize), lastZero(in: dataAt..<dataAt + Int(dataSize)))
            if let offset = unsigned(heapAt + 8 + lengthSize, lengthSize) {
                let problem: String?
                if let known = memo.freeLists[heapAt] {
                    problem = known
                } else {
                    problem = freeListProblem(first: offset, heapAt: heapAt, dataAt: dataAt, dataSize: Int(dataSize))
                    memo.freeLists[heapAt] = .some(problem)
                }
                if let problem { return problem }
            }
        }
        let undefined = UInt64.max >> UInt64(64 - 8 * addressSize)
        // Nodes to visit: a symbol-table node, or a B-tree node and the level its parent implies
        // (nil for the root).
        var pending: [(address: UInt64, isSymbolNode: Bool, level: Int?)] = [(treeAddress, false, nil)]
        var visited: Set<UInt64> = []
        // Entries of nodes that do not overlap take at least this many bytes each.
        var entryBudget = bytes.count / (addressSize + lengthSize) + 1
        let owner = [treeAddress, heapAddress]
        while let (node, isSymbolNode, expectedLevel) = pending.popLast() {
            guard visited.insert(node).inserted else {
                return "group B-tree reaches the node at address \(node) twice (a loop or a shared node)"
            }
            if let other = memo.nodeOwners[node], other != owner {
                return "the node at address \(node) belongs to two groups' B-trees"
            }
            memo.nodeOwners[node] = owner
            guard inside(node), let at = absolute(node) else {
                return "group B-tree refers to address \(node), outside the file"
            }
            if isSymbolNode {
                // "SNOD", version, reserved, symbol count, then entries of name offset,
                // object header address, cache type (4), reserved (4), scratch (16).
                guard unsigned(at, 4) == 0x444F_4E53, let count = int(at + 6, 2) else { continue }  // libhdf5 refuses it itself
                guard count <= 2 * symbolLeafK else {
                    return "symbol table node at offset \(at) declares \(count) entries, more than the \(2 * symbolLeafK) its nodes hold"
                }
                entryBudget -= count
                guard entryBudget >= 0 else {
                    return "group B-tree's nodes declare more entries than the file can hold (nodes overlap)"
                }
                let entrySize = lengthSize + addressSize + 24
                for i in 0..<count {
                    let entry = at + 8 + i * entrySize
                    guard let objectHeader = unsigned(entry + lengthSize, addressSize),
                          let cacheType = unsigned(entry + lengthSize + addressSize, 4) else { break }
                    // libhdf5 strdup()s the link name at this heap offset: it must end inside the heap,
                    // that is, a 0 byte must follow it there.
                    if let names, let nameOffset = unsigned(entry, lengthSize) {
                        guard nameOffset < UInt64(names.size), let lastZero = names.lastZero,
                              names.at + Int(nameOffset) <= lastZero else {
                            return "symbol table node at offset \(at) names a link at local heap offset \(nameOffset), which does not hold a terminated name"
                        }
                    }
                    if objectHeader == undefined, cacheType == 2 { continue }  // a soft link: no object header
                    guard inside(objectHeader) else {
                        return "symbol table node at offset \(at) refers to an object header at address \(objectHeader), outside the file"
                    }
                    if let problem = memoizedHeaderSizeProblem(at: absolute(objectHeader) ?? 0) { return problem }
                }
                continue
            }
            // "TREE", node type (0: group), level, entries used, left and right siblings, then
            // keys (heap offsets) alternating with child addresses.
            guard unsigned(at, 4) == 0x4545_5254, unsigned(at + 4, 1) == 0, let level = int(at + 5, 1),
                  let entries = int(at + 6, 2) else { continue }  // libhdf5 refuses it itself
            if let expectedLevel, level != expectedLevel {
                return "group B-tree node at offset \(at) has level \(level), expected \(expectedLevel) below its parent"
            }
            entryBudget -= entries
            guard entryBudget >= 0 else {
                return "group B-tree's nodes declare more entries than the file can hold (nodes overlap)"
            }
            for sibling in [unsigned(at + 8, addressSize), unsigned(at + 8 + addressSize, addressSize)] {
                if let sibling, sibling != undefined, !inside(sibling) {
                    return "group B-tree node at offset \(at) has a sibling at address \(sibling), outside the file"
                }
            }
            let first = at + 8 + 2 * addressSize + lengthSize
            for i in 0..<entries {
                guard let child = unsigned(first + i * (addressSize + lengthSize), addressSize) else {
                    return "group B-tree node at offset \(at) is cut off"
                }
                pending.append((child, level == 0, level == 0 ? nil : level - 1))
            }
        }
        memo.soundTables.insert(owner)
        return nil
    }

    /// The first problem in a local heap's free list, or nil.
    ///
    /// libhdf5 1.10 reads the list (offset of the next free block, size of this one, each a
    /// length) into a linked list of its own, one allocation per block, and does not notice a
    /// list that comes back to an earlier block: it allocates until memory runs out (found by
    /// the fuzzer: 7 GB in a minute from a 26 KB file). Every block must lie inside the data
    /// segment and be visited once; the list ends at offset 1 (libhdf5's end marker) or at the
    /// undefined value.
    func freeListProblem(first: UInt64, heapAt: Int, dataAt: Int, dataSize: Int) -> String? {
        let undefined = UInt64.max >> UInt64(64 - 8 * lengthSize)
        let blockHeader = 2 * lengthSize
        var offset = first
        var seen = Set<UInt64>()
        while offset != 1, offset != undefined {
            guard offset <= UInt64(dataSize), dataSize - Int(offset) >= blockHeader else {
                return "local heap at offset \(heapAt) has a free block at offset \(offset), outside its \(dataSize)-byte data segment"
            }
            guard seen.insert(offset).inserted, seen.count <= dataSize / blockHeader + 1 else {
                return "local heap at offset \(heapAt) has a free list that loops (offset \(offset) comes back)"
            }
            let at = dataAt + Int(offset)
            guard let next = unsigned(at, lengthSize), let size = unsigned(at + lengthSize, lengthSize) else {
                return "local heap at offset \(heapAt) has a free block at offset \(offset) that is cut off"
            }
            guard size <= UInt64(dataSize) - offset else {
                return "local heap at offset \(heapAt) has a \(size)-byte free block at offset \(offset), past its \(dataSize)-byte data segment"
            }
            offset = next
        }
        return nil
    }

    /// Whether the first chunk of the object header at `start` declares more bytes than the file
    /// has after it: libhdf5 allocates the declared size (up to 4 GiB for version 1, 2^64 for
    /// version 2) before it finds out the read cannot succeed.
    func headerSizeProblem(at start: Int) -> String? {
        let declared: Int?, chunkStart: Int
        if unsigned(start, 4) == 0x5244_484F {  // "OHDR"
            guard unsigned(start + 4, 1) == 2, let flags = int(start + 5, 1) else { return nil }
            var cursor = start + 6
            if flags & 0x20 != 0 { cursor += 16 }
            if flags & 0x10 != 0 { cursor += 4 }
            let width = 1 << (flags & 0x03)
            guard let size = unsigned(cursor, width) else { return nil }
            declared = size <= UInt64(Int.max / 2) ? Int(size) : nil
            chunkStart = cursor + width
        } else {
            guard unsigned(start, 1) == 1, let size = unsigned(start + 8, 4) else { return nil }  // libhdf5 refuses other versions
            declared = Int(size)
            chunkStart = start + 16
        }
        guard let declared, declared <= bytes.count - min(chunkStart, bytes.count) else {
            return "object header at offset \(start) declares a first chunk larger than the rest of the file"
        }
        let messages: [Message]
        switch self.messages(ofHeaderAt: start) {
        case .notParsed: messages = []
        case let .problem(problem): return problem
        case let .messages(found): messages = found
        }
        for message in messages where message.type == 0x03 && message.flags & 0x02 == 0 {
            if let problem = datatypeNamesProblem(at: message.data, size: message.size) {
                return "object header at offset \(start): datatype message: \(problem)"
            }
        }
        // Continuation chunks: libhdf5 allocates each one's declared length before reading it.
        for message in messages where message.type == 0x10 {
            guard let offset = unsigned(message.data, addressSize), let length = unsigned(message.data + addressSize, lengthSize)
            else { continue }
            guard let target = absolute(offset), target < bytes.count, length <= UInt64(bytes.count - target) else {
                return "object header at offset \(start) continues in a \(length)-byte chunk at address \(offset), beyond the end of the file"
            }
        }
        return nil
    }

    /// The object header address of the root group, from the superblock at `superblock`
    /// (nil when the superblock is not one this check parses).
    func rootObjectHeaderAddress(superblock: Int) -> UInt64? {
        guard let version = int(superblock + 8, 1) else { return nil }
        switch version {
        case 0, 1:
            // Fixed part (24 bytes, 28 for version 1), four addresses, then the root symbol table entry.
            let entry = superblock + (version == 0 ? 24 : 28) + 4 * addressSize
            return unsigned(entry + lengthSize, addressSize)
        case 2, 3:
            return unsigned(superblock + 12 + 3 * addressSize, addressSize)
        default:
            return nil
        }
    }

    // MARK: Superblock

    /// The first problem in the superblock of a file about to be opened, or nil.
    ///
    /// Opening reads the superblock, a version 0/1 superblock's driver information block and the
    /// root group's object header; libhdf5 1.10 allocates the sizes these declare (a 4-byte
    /// length for the driver block, up to 8 bytes for an object header chunk) before it checks
    /// that the file holds them.
    static func superblockProblem(_ bytes: HDF5FileBytes) -> String? {
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        var at = 0
        while at + 8 <= bytes.count {
            if bytes.matches(signature, at: at) { break }
            at = at == 0 ? 512 : at * 2
        }
        guard at + 16 <= bytes.count else { return nil }
        let version = Int(bytes[at + 8])
        let addressSize = Int(bytes[at + (version <= 1 ? 13 : 9)])
        let lengthSize = Int(bytes[at + (version <= 1 ? 14 : 10)])
        guard version <= 3, [2, 4, 8].contains(addressSize), [2, 4, 8].contains(lengthSize) else { return nil }  // libhdf5 refuses it
        let check = HDF5ObjectHeaderCheck(bytes: bytes, base: at, addressSize: addressSize, lengthSize: lengthSize, heaps: [:])
        let undefined = UInt64.max >> UInt64(64 - 8 * addressSize)
        if version <= 1 {
            let driverField = at + (version == 0 ? 24 : 28) + 3 * addressSize
            if let driver = check.unsigned(driverField, addressSize), driver != undefined {
                guard let block = check.absolute(driver), block + 8 <= bytes.count else {
                    return "the superblock's driver information block address \(driver) lies beyond the end of the file"
                }
                let length = bytes.unsigned(at: block + 4, width: 4)
                guard length <= UInt64(bytes.count - block) else {
                    return "the driver information block declares \(length) bytes, more than the file holds after it"
                }
            }
        }
        // A truncated file (end-of-file address past the bytes) libhdf5 refuses before reading the root.
        // libhdf5 takes the superblock's position as the base address and, when the stored base
        // address differs, moves the end-of-file address by the difference (modulo 2^64) first: a
        // file whose stored end lies past its bytes can still be opened (found by the fuzzer).
        let baseField = at + (version == 0 ? 24 : version == 1 ? 28 : 12)
        let endField = baseField + 2 * addressSize
        guard let storedBase = check.unsigned(baseField, addressSize), let storedEnd = check.unsigned(endField, addressSize),
              storedEnd != undefined else { return nil }
        // libhdf5 compares the (moved) end with the file's size: both count from the file's start.
        let end = storedEnd &- (storedBase &- UInt64(at))
        guard end <= UInt64(bytes.count) else { return nil }
        if let root = check.rootObjectHeaderAddress(superblock: at), root != undefined,
           let header = check.absolute(root), header < bytes.count {
            return check.headerSizeProblem(at: header)
        }
        return nil
    }

    // MARK: Datatypes

    /// The first problem with the datatype stored in `size` bytes at `start`, or nil.
    ///
    /// libhdf5 1.10 decodes a datatype trusting the sizes it declares: it strdup()s one name per
    /// declared enumeration or compound member and copies an opaque type's tag of the length its
    /// bit field states, stepping through the datatype (and the base types of variable-length,
    /// array and enumeration types, and the member types of compounds) without checking that it
    /// stays inside the message. This parses the whole datatype, nested types included, and
    /// refuses one whose parts run past `size` bytes.
    func datatypeNamesProblem(at start: Int, size: Int) -> String? {
        guard size >= 8, start + size <= bytes.count else { return nil }
        switch datatypeEnd(at: start, end: start + size, depth: 0) {
        case let .problem(problem): return problem
        case .end, .notParsed: return nil
        }
    }

    /// The most datatypes nested in one another (variable-length of array of compound ...).
    static let maxDatatypeDepth = 32

    /// Where a datatype that starts at `start` ends, if it ends by `end`.
    private enum DatatypeEnd {
        case end(Int)
        case problem(String)
        /// A version or class this check does not parse (libhdf5 rejects it or reads nothing more).
        case notParsed
    }

    /// Parses the datatype at `start` (header, properties and nested types), which must end by `end`.
    private func datatypeEnd(at start: Int, end: Int, depth: Int) -> DatatypeEnd {
        guard depth <= Self.maxDatatypeDepth else {
            return .problem("datatypes nested more than \(Self.maxDatatypeDepth) deep")
        }
        guard start + 8 <= end, let classAndVersion = int(start, 1), let bits = int(start + 1, 3),
              let typeSize = int(start + 4, 4) else {
            return .problem("a datatype at offset \(start) is cut off")
        }
        let typeClass = classAndVersion & 0x0F, version = classAndVersion >> 4
        let properties = start + 8
        func fixed(_ length: Int) -> DatatypeEnd {
            properties + length <= end ? .end(properties + length)
                : .problem("a datatype of class \(typeClass) at offset \(start) overruns its message")
        }
        switch typeClass {
        case 0: return fixed(4)   // integer: bit offset, precision
        case 1: return fixed(12)  // floating point
        case 2: return fixed(2)   // time
        case 3, 7: return fixed(0)  // string, reference
        case 4: return fixed(4)   // bitfield
        case 5:  // opaque: an ASCII tag of the length the bit field gives, which libhdf5 copies
            let tag = bits & 0xFF
            guard properties + tag <= end else {
                return .problem("opaque datatype's \(tag)-byte tag overruns its message")
            }
            return .end(properties + tag)
        case 6:  // compound
            let members = bits & 0xFFFF
            var position = properties
            for member in 0..<members {
                guard position < end, let nul = bytes.firstZero(in: position..<end) else {
                    return .problem("compound member \(member) of \(members) has no terminated name inside the datatype")
                }
                let length = nul - position + 1
                position += version >= 3 ? length : Self.align8(length)
                switch version {
                case 1:
                    // Offset, rank, reserved, permutation, reserved, dimensions: libhdf5 fills 4
                    // dimensions and reads as many as the rank says.
                    guard let rank = int(position + 4, 1) else { return .problem("compound member \(member) is cut off") }
                    guard rank <= 4 else { return .problem("compound member \(member) of rank \(rank), more than 4") }
                    position += 4 + 1 + 3 + 4 + 4 + 16
                case 2: position += 4
                case 3: position += typeSize < 1 << 8 ? 1 : typeSize < 1 << 16 ? 2 : typeSize < 1 << 24 ? 3 : 4
                default: return .notParsed
                }
                switch datatypeEnd(at: position, end: end, depth: depth + 1) {
                case let .end(next): position = next
                case let .problem(problem): return .problem(problem)
                case .notParsed: return .notParsed
                }
            }
            return .end(position)
        case 8:  // enumeration: base type, then the names, then the values
            let members = bits & 0xFFFF
            guard let parentClass = int(properties, 1), parentClass & 0x0F == 0, let parentSize = int(properties + 4, 4) else {
                return .problem("enumeration whose base type is not an integer")
            }
            var position: Int
            switch datatypeEnd(at: properties, end: end, depth: depth + 1) {
            case let .end(next): position = next
            case let .problem(problem): return .problem(problem)
            case .notParsed: return .notParsed
            }
            for member in 0..<members {
                guard position < end, let nul = bytes.firstZero(in: position..<end) else {
                    return .problem("enumeration member \(member) of \(members) has no terminated name inside the datatype")
                }
                let length = nul - position + 1
                position += version >= 3 ? length : Self.align8(length)
            }
            let (values, overflow) = members.multipliedReportingOverflow(by: parentSize)
            guard !overflow, position <= end, values <= end - position else {
                return .problem("enumeration of \(members) members overruns its datatype")
            }
            return .end(position + values)
        case 9:  // variable-length sequence or string: the base type
            return datatypeEnd(at: properties, end: end, depth: depth + 1)
        case 10:  // array: rank, dimensions (and a permutation before version 3), base type
            guard let rank = int(properties, 1) else { return .problem("array datatype at offset \(start) is cut off") }
            // libhdf5 decodes the dimensions into a table of 32 (H5S_MAX_RANK) without checking.
            guard rank <= 32 else { return .problem("array datatype of rank \(rank), more than 32") }
            let position: Int
            switch version {
            case 1, 2: position = properties + 4 + 8 * rank  // libhdf5 reads version 1 as version 2
            case 3: position = properties + 1 + 4 * rank
            default: return .notParsed
            }
            guard position <= end else { return .problem("array datatype's \(rank) dimensions overrun its message") }
            return datatypeEnd(at: position, end: end, depth: depth + 1)
        default:
            return .notParsed
        }
    }

    // MARK: Attribute messages

    private func attributeProblem(_ message: Message) -> String? {
        let data = message.data
        let end = data + message.size
        func refuse(_ text: String) -> String { "attribute message at offset \(data): \(text)" }
        guard let version = int(data, 1) else { return nil }
        var flags = 0
        let nameSize, typeSize, spaceSize: Int
        let nameAt: Int
        let padded: Bool
        switch version {
        case 1, 2:
            guard let n = int(data + 2, 2), let t = int(data + 4, 2), let s = int(data + 6, 2) else { return nil }
            if version == 2 { flags = int(data + 1, 1) ?? 0 }
            (nameSize, typeSize, spaceSize, nameAt, padded) = (n, t, s, data + 8, version == 1)
        case 3:
            guard let f = int(data + 1, 1), let n = int(data + 2, 2), let t = int(data + 4, 2), let s = int(data + 6, 2)
            else { return nil }
            flags = f
            (nameSize, typeSize, spaceSize, nameAt, padded) = (n, t, s, data + 9, false)
        default:
            return nil  // libhdf5 rejects unknown versions itself
        }
        let typeAt = nameAt + (padded ? Self.align8(nameSize) : nameSize)
        let spaceAt = typeAt + (padded ? Self.align8(typeSize) : typeSize)
        let valueAt = spaceAt + (padded ? Self.align8(spaceSize) : spaceSize)
        guard valueAt <= end else {
            return refuse("name, datatype and dataspace (\(nameSize) + \(typeSize) + \(spaceSize) bytes) overrun the \(message.size)-byte message")
        }
        // libhdf5 strdup()s the name: its terminating NUL must be inside the name's bytes.
        guard nameSize > 0, bytes.firstZero(in: nameAt..<nameAt + nameSize) != nil else {
            return refuse("the \(nameSize)-byte name is not NUL-terminated")
        }
        if flags & 0x03 != 0 { return nil }  // shared datatype/dataspace: not parsed here
        if let problem = datatypeNamesProblem(at: typeAt, size: typeSize) { return refuse(problem) }

        // Element size from the datatype.
        guard let classAndVersion = int(typeAt, 1), let declaredSize = int(typeAt + 4, 4) else {
            return refuse("datatype is cut off")
        }
        let typeClass = classAndVersion & 0x0F
        let isVariableLength = typeClass == 9
        let elementSize = isVariableLength ? 4 + addressSize + 4 : declaredSize
        // libhdf5 sizes the attribute's value buffer from the declared size but copies the
        // references at their on-disk size: the two must agree.
        if isVariableLength, declaredSize != elementSize {
            return refuse("variable-length datatype declares \(declaredSize)-byte elements, its heap references take \(elementSize)")
        }
        var baseSize = 1
        if isVariableLength {
            guard let nestedSize = int(typeAt + 8 + 4, 4) else { return refuse("variable-length base type is cut off") }
            baseSize = nestedSize
        }

        // Element count from the dataspace.
        guard let spaceVersion = int(spaceAt, 1), let rank = int(spaceAt + 1, 1) else {
            return refuse("dataspace is cut off")
        }
        guard rank <= HDF5Limits.maxRank else { return refuse("dataspace rank \(rank) exceeds \(HDF5Limits.maxRank)") }
        var count = 1
        let dimsAt: Int
        switch spaceVersion {
        case 1:
            dimsAt = spaceAt + 8
        case 2:
            guard let spaceType = int(spaceAt + 3, 1) else { return refuse("dataspace is cut off") }
            if spaceType == 2 { count = 0 }
            dimsAt = spaceAt + 4
        default:
            return nil
        }
        for dimension in 0..<rank where count > 0 {
            guard let size = int(dimsAt + dimension * lengthSize, lengthSize) else {
                return refuse("dataspace dimensions are cut off or too large")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { return refuse("dataspace element count overflows") }
            count = product
        }
        let (valueBytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow, valueBytes <= end - valueAt else {
            return refuse("\(count) elements of \(elementSize) bytes overrun the \(end - valueAt) bytes of value data")
        }

        // Heap references of variable-length elements.
        guard isVariableLength else { return nil }
        for element in 0..<count {
            let at = valueAt + element * elementSize
            guard let length = unsigned(at, 4), let collection = unsigned(at + 4, addressSize),
                  let objectIndex = unsigned(at + 4 + addressSize, 4) else {
                return refuse("variable-length element \(element) is cut off")
            }
            // Only a null reference (collection address 0) is not read: libhdf5 sizes its buffer from
            // the declared length but copies the whole heap object, even for a length of 0.
            if collection == 0 { continue }
            guard let collectionOffset = absolute(collection), let objects = heaps[collectionOffset] else {
                return refuse("element \(element) refers to a global heap collection at address \(collection) that the file does not contain")
            }
            guard let objectSize = objects[objectIndex] else {
                return refuse("element \(element) refers to global heap object \(objectIndex), which collection \(collection) does not contain")
            }
            let (expected, lengthOverflow) = length.multipliedReportingOverflow(by: UInt64(baseSize))
            guard !lengthOverflow, expected == objectSize else {
                return refuse("element \(element) declares \(length) items of \(baseSize) bytes but its heap object holds \(objectSize) bytes")
            }
        }
        return nil
    }
}
