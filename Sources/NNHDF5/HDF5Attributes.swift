internal import CHDF5

/// Attributes: small named values attached to groups (including the root group)
/// and datasets.
///
/// Readers return nil when the attribute is absent and throw
/// `attributeTypeMismatch` when it holds another kind of value. Writers replace an
/// existing attribute of the same name.
extension HDF5Object {
    /// The largest attribute array Keras writes in one piece; larger string arrays are
    /// split into `name0`, `name1`, ... (`HDF5_OBJECT_HEADER_LIMIT` in Keras).
    package static var attributeSplitLimitBytes: Int { 64512 }

    /// Names of this object's attributes, in HDF5's name order.
    ///
    /// For files opened for reading, the names come from the object header this
    /// library has parsed and checked: libhdf5 1.10's `H5Aiterate2` crashes while
    /// cleaning up after an attribute message it cannot decode (see
    /// `Fixtures/hdf5/crashers/`). Only attributes in dense storage are listed by
    /// libhdf5 itself.
    package func attributeNames() throws(HDF5Error) -> [String] {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = try requireAttributeAccess()
            if let names = checkedAttributeNames { return names }
            final class Collector { var names: [String] = [] }
            let collector = Collector()
            var index: hsize_t = 0
            _ = try withExtendedLifetime(collector) { () throws(HDF5Error) in
                try HDF5Library.check(
                    H5Aiterate2(id, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, context in
                        guard let name, let context else { return -1 }
                        let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
                        collector.names.append(String(cString: name))
                        return 0
                    }, Unmanaged.passUnretained(collector).toOpaque()),
                    failure("listing attributes of"))
            }
            return collector.names
        }
    }

    /// Whether an attribute called `name` exists.
    package func hasAttribute(_ name: String) throws(HDF5Error) -> Bool {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = try requireAttributeAccess()
            try validateAttributeName(name)
            return try HDF5Library.check(H5Aexists(id, name), failure("looking up attribute '\(name)' of")) > 0
        }
    }

    /// A string attribute: a fixed- or variable-length string (ASCII or UTF-8),
    /// scalar or a one-element array. Nil when the attribute does not exist.
    package func stringAttribute(_ name: String) throws(HDF5Error) -> String? {
        try HDF5Library.locked { () throws(HDF5Error) in
            guard let value = try readAttribute(name) else { return nil }
            switch value {
            case .strings(let strings, _) where strings.count == 1:
                return strings[0]
            default:
                throw mismatch(name, expected: "a single string", found: value)
            }
        }
    }

    /// A string-array attribute (fixed- or variable-length strings), as Keras reads
    /// `layer_names` and `weight_names`.
    ///
    /// - When `name` is absent but `name0`, `name1`, ... exist (Keras splits arrays
    ///   larger than 64512 bytes that way), their contents are joined in numeric
    ///   order, stopping at the first missing index.
    /// - An empty numeric array (Keras writes an empty float64 array for the
    ///   `weight_names` of a layer without weights) reads as `[]`.
    /// - A scalar string, or an array of more than one dimension, is refused
    ///   (`attributeTypeMismatch`): h5py, and so Keras, would read it as characters or rows.
    /// - Returns nil when neither `name` nor `name0` exists.
    /// - Refuses more than `maximumCount` strings in all, before reading them.
    package func stringArrayAttribute(_ name: String, maximumCount: Int = HDF5Limits.maxAttributeElementCount)
        throws(HDF5Error) -> [String]?
    {
        try HDF5Library.locked { () throws(HDF5Error) in
            if let (value, rank) = try readAttributeAndRank(name, maxElements: maximumCount) {
                return try strings(of: value, rank: rank, attribute: name)
            }
            var joined: [String] = []
            var index = 0
            while let (part, rank) = try readAttributeAndRank("\(name)\(index)", maxElements: maximumCount - joined.count) {
                joined += try strings(of: part, rank: rank, attribute: "\(name)\(index)")
                index += 1
                guard index <= maximumCount else {
                    throw HDF5Error.implausibleSize(file: filePath, path: attributePath(name),
                                                    detail: "more than \(maximumCount) parts '\(name)0', '\(name)1', ...")
                }
            }
            return index == 0 ? nil : joined
        }
    }

    /// The value of attribute `name` as stored: strings, numbers (converted to Double), or the
    /// name of a type this library does not read. Nil when the attribute does not exist. At most
    /// `maximumCount` elements are read (more is `implausibleSize`).
    package func attributeValue(_ name: String, maximumCount: Int = HDF5Limits.maxAttributeElementCount)
        throws(HDF5Error) -> HDF5AttributeValue?
    {
        try HDF5Library.locked { () throws(HDF5Error) in try readAttribute(name, maxElements: maximumCount) }
    }

    /// A numeric attribute (integer or float, scalar or array) converted to Double.
    /// Nil when the attribute does not exist.
    package func numericAttribute(_ name: String) throws(HDF5Error) -> [Double]? {
        try HDF5Library.locked { () throws(HDF5Error) in
            guard let value = try readAttribute(name) else { return nil }
            switch value {
            case .numbers(let numbers, _): return numbers
            default: throw mismatch(name, expected: "numbers", found: value)
            }
        }
    }

    // MARK: - Writing

    /// Writes a variable-length UTF-8 string scalar attribute.
    package func setStringAttribute(_ name: String, _ value: String) throws(HDF5Error) {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = try prepareAttributeWrite(name)
            try checkNoNUL([value], attribute: name)
            try deleteAttributeIfPresent(name, in: id)
            try writeVariableLengthStrings([value], scalar: true, utf8: true, name: name, in: id)
        }
    }

    /// Writes a string array attribute the way Keras's `save_attributes_to_hdf5_group` does, split
    /// into `name0`, `name1`, ... when large.
    ///
    /// Keras (through numpy and h5py) counts the array's size as `count × longest UTF-8 length`
    /// (numpy's fixed-width bytes array). If that exceeds 64512 bytes, the array is cut into the
    /// fewest pieces (numpy `array_split`, earlier pieces one longer) that each fit, stored as
    /// `name0`, `name1`, ... with h5py's type for those numpy pieces: fixed-length strings of the
    /// longest string's size, NUL-padded. Otherwise the array is one attribute `name` of
    /// variable-length strings (h5py's type for a Python list of bytes). A variable-length
    /// string takes 16 bytes in the object header whatever its length, so more than about 4,090
    /// short strings do not fit in one attribute message (libhdf5's limit is 64 KiB): Keras itself
    /// fails there ("object header message is too large"); when libhdf5 refuses the
    /// variable-length attribute, this writes it as fixed-length strings instead, which Keras's
    /// size count guarantees to fit. Keras's reader (`load_attributes_from_hdf5_group`) and this
    /// library's read all three forms.
    ///
    /// Existing `name` and `name0`, `name1`, ... are removed first. The string type is ASCII when
    /// every string is ASCII (as Keras's byte strings are), UTF-8 otherwise.
    ///
    /// - Throws: `invalidArgument` when one string alone is longer than 64512 bytes
    ///   (Keras refuses that too) or contains a NUL character.
    package func setStringArrayAttribute(_ name: String, _ values: [String]) throws(HDF5Error) {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = try prepareAttributeWrite(name)
            try checkNoNUL(values, attribute: name)
            let limit = Self.attributeSplitLimitBytes
            let longest = values.map(\.utf8.count).max() ?? 0
            guard longest <= limit else {
                throw HDF5Error.invalidArgument(
                    file: filePath, path: name,
                    detail: "attribute '\(name)' has a string of \(longest) bytes; at most \(limit) fit in one attribute")
            }
            try deleteAttributeIfPresent(name, in: id)
            var index = 0
            while try deleteAttributeIfPresent("\(name)\(index)", in: id) { index += 1 }

            let ascii = values.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
            let itemSize = max(1, longest)
            let pieces = Self.kerasSplit(count: values.count, itemSize: itemSize, limit: limit)
            if pieces.count > 1 {
                for (number, range) in pieces.enumerated() {
                    try writeFixedLengthStrings(
                        Array(values[range]), size: itemSize, utf8: !ascii, name: "\(name)\(number)", in: id)
                }
            } else {
                // As h5py does for Keras; where the header message would be too large (Keras fails
                // there), the fixed-length strings numpy's count was made for.
                do throws(HDF5Error) {
                    try writeVariableLengthStrings(values, scalar: false, utf8: !ascii, name: name, in: id)
                } catch {
                    HDF5Library.discardErrorStack()
                    try deleteAttributeIfPresent(name, in: id)
                    try writeFixedLengthStrings(values, size: itemSize, utf8: !ascii, name: name, in: id)
                }
            }
        }
    }

    /// Writes a float64 array attribute (little-endian IEEE).
    package func setDoubleArrayAttribute(_ name: String, _ values: [Double]) throws(HDF5Error) {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = try prepareAttributeWrite(name)
            try deleteAttributeIfPresent(name, in: id)
            let fail = failure("writing attribute '\(name)' of")
            let space = try HDF5Library.check(H5Screate_simple(1, [hsize_t(values.count)], nil), fail)
            defer { _ = H5Sclose(space) }
            let attribute = try HDF5Library.check(
                H5Acreate2(id, name, nn_h5t_ieee_f64le(), space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)), fail)
            defer { _ = H5Aclose(attribute) }
            if !values.isEmpty {
                _ = try values.withUnsafeBufferPointer { (typed) throws(HDF5Error) in
                    let raw = UnsafeRawBufferPointer(typed)
                    try HDF5Library.check(H5Awrite(attribute, nn_h5t_native_double(), raw.baseAddress), fail)
                }
            }
        }
    }

    /// Writes an empty float64 array attribute: what Keras stores as the
    /// `weight_names` of a layer without weights (`np.array([])`).
    package func setEmptyFloat64ArrayAttribute(_ name: String) throws(HDF5Error) {
        try setDoubleArrayAttribute(name, [])
    }

    /// Deletes the attribute `name`; returns whether it existed.
    @discardableResult
    package func deleteAttribute(_ name: String) throws(HDF5Error) -> Bool {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = try prepareAttributeWrite(name)
            return try deleteAttributeIfPresent(name, in: id)
        }
    }

    /// The pieces Keras's `save_attributes_to_hdf5_group` cuts an array of `count`
    /// items of `itemSize` bytes into: the fewest pieces whose largest part fits in
    /// `limit` bytes, sized like numpy's `array_split` (the first `count % pieces`
    /// parts one longer).
    static func kerasSplit(count: Int, itemSize: Int, limit: Int) -> [Range<Int>] {
        var pieces = 1
        while pieces < count && ((count + pieces - 1) / pieces) * itemSize > limit {
            pieces += 1
        }
        let base = count / pieces
        let longer = count % pieces
        var ranges: [Range<Int>] = []
        var start = 0
        for piece in 0..<pieces {
            let length = base + (piece < longer ? 1 : 0)
            ranges.append(start..<(start + length))
            start += length
        }
        return ranges
    }
}

// MARK: - Internals

/// The value of an attribute as read from the file.
package enum HDF5AttributeValue: Sendable, Equatable {
    /// Strings; `scalar` for a scalar dataspace (one string), else an array.
    case strings([String], scalar: Bool)
    /// Integers or floats converted to Double; `scalar` as for strings.
    case numbers([Double], scalar: Bool)
    /// A type this library does not read, described in words.
    case unsupported(String)

    /// What the value is, in words (`an array of 3 strings`).
    package var summary: String {
        switch self {
        case let .strings(values, scalar): return scalar ? "a string" : "an array of \(values.count) strings"
        case let .numbers(values, scalar): return scalar ? "a number" : "an array of \(values.count) numbers"
        case let .unsupported(type): return "a value of type \(type)"
        }
    }
}

extension HDF5Object {
    /// The object's identifier after checking (once per object) that libhdf5 can
    /// decode its attribute messages safely. Lock must be held.
    func requireAttributeAccess() throws(HDF5Error) -> hid_t {
        let id = try requireID()
        if !attributeMessagesChecked {
            checkedAttributeNames = try file.requireSoundAttributeMessages(of: id, path: name)
            attributeMessagesChecked = true
        }
        return id
    }

    /// Path used in messages about an attribute of this object.
    func attributePath(_ name: String) -> String { "\(self.name) (attribute '\(name)')" }

    fileprivate func mismatch(_ name: String, expected: String, found value: HDF5AttributeValue) -> HDF5Error {
        .attributeTypeMismatch(file: filePath, path: self.name, attribute: name, expected: expected, found: value.summary)
    }

    /// Strings from a value read for `stringArrayAttribute`: a one-dimensional array (h5py and Keras
    /// read a scalar string as its characters and a 2-D array as rows, not as a list of names).
    fileprivate func strings(of value: HDF5AttributeValue, rank: Int, attribute: String) throws(HDF5Error) -> [String] {
        switch value {
        case .strings(let strings, scalar: false) where rank == 1 || strings.isEmpty: return strings
        case .numbers(let numbers, scalar: false) where numbers.isEmpty: return []
        case .strings(_, scalar: true):
            throw mismatch(attribute, expected: "a one-dimensional array of strings", found: value)
        case .strings(let strings, scalar: false):
            throw HDF5Error.attributeTypeMismatch(file: filePath, path: self.name, attribute: attribute,
                                                  expected: "a one-dimensional array of strings",
                                                  found: "a \(rank)-dimensional array of \(strings.count) strings")
        default: throw mismatch(attribute, expected: "a one-dimensional array of strings", found: value)
        }
    }

    fileprivate func validateAttributeName(_ name: String) throws(HDF5Error) {
        guard !name.isEmpty, !name.utf8.contains(0) else {
            throw HDF5Error.invalidArgument(file: filePath, path: self.name, detail: "invalid attribute name '\(name)'")
        }
    }

    fileprivate func checkNoNUL(_ values: [String], attribute: String) throws(HDF5Error) {
        if values.contains(where: { $0.utf8.contains(0) }) {
            throw HDF5Error.invalidArgument(
                file: filePath, path: self.name, detail: "attribute '\(attribute)': strings must not contain NUL characters")
        }
    }

    /// Checks that the file is writable and the name valid; returns the object id.
    fileprivate func prepareAttributeWrite(_ name: String) throws(HDF5Error) -> hid_t {
        let id = try requireID()
        guard file.isWritable else {
            throw HDF5Error.readOnly(file: filePath, path: self.name, operation: "write attribute '\(name)' of")
        }
        try validateAttributeName(name)
        return id
    }

    /// Deletes attribute `name` if present; returns whether it was. Lock must be held.
    @discardableResult
    fileprivate func deleteAttributeIfPresent(_ name: String, in id: hid_t) throws(HDF5Error) -> Bool {
        let exists = try HDF5Library.check(H5Aexists(id, name), failure("looking up attribute '\(name)' of"))
        guard exists > 0 else { return false }
        try HDF5Library.check(H5Adelete(id, name), failure("deleting attribute '\(name)' of"))
        return true
    }

    /// A C string datatype of `size` bytes (`nn_h5t_variable()` for variable length), NUL-padded
    /// when `nullPadded` (numpy's `S<size>`), in UTF-8 or ASCII. The caller closes it. Lock must be held.
    fileprivate func stringType(size: Int, nullPadded: Bool, utf8: Bool, _ fail: (String) -> HDF5Error)
        throws(HDF5Error) -> hid_t
    {
        let type = try HDF5Library.check(H5Tcopy(nn_h5t_c_s1()), fail)
        do throws(HDF5Error) {
            try HDF5Library.check(H5Tset_size(type, size), fail)
            if nullPadded { try HDF5Library.check(H5Tset_strpad(type, H5T_STR_NULLPAD), fail) }
            try HDF5Library.check(H5Tset_cset(type, utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII), fail)
        } catch {
            _ = H5Tclose(type)
            throw error
        }
        return type
    }

    /// Writes strings as a variable-length string attribute. Lock must be held.
    fileprivate func writeVariableLengthStrings(
        _ values: [String], scalar: Bool, utf8: Bool, name: String, in id: hid_t
    ) throws(HDF5Error) {
        let fail = failure("writing attribute '\(name)' of")
        let type = try stringType(size: nn_h5t_variable(), nullPadded: false, utf8: utf8, fail)
        defer { _ = H5Tclose(type) }
        let space = scalar
            ? try HDF5Library.check(H5Screate(H5S_SCALAR), fail)
            : try HDF5Library.check(H5Screate_simple(1, [hsize_t(values.count)], nil), fail)
        defer { _ = H5Sclose(space) }
        let attribute = try HDF5Library.check(
            H5Acreate2(id, name, type, space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)), fail)
        defer { _ = H5Aclose(attribute) }

        // All strings in one NUL-separated buffer, and a pointer to each.
        var storage: [CChar] = []
        var offsets: [Int] = []
        for value in values {
            offsets.append(storage.count)
            storage.append(contentsOf: value.utf8CString)
        }
        try storage.withUnsafeBufferPointer { (buffer) throws(HDF5Error) in
            guard let base = buffer.baseAddress else { return }  // no strings: nothing to write
            var pointers: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
            _ = try pointers.withUnsafeMutableBufferPointer { (typed) throws(HDF5Error) in
                try HDF5Library.check(H5Awrite(attribute, type, UnsafeMutableRawBufferPointer(typed).baseAddress), fail)
            }
        }
    }

    /// Writes strings as a fixed-length string array attribute of `size`-byte elements, NUL-padded
    /// (numpy's `S<size>` as h5py stores it). Lock must be held.
    fileprivate func writeFixedLengthStrings(
        _ values: [String], size: Int, utf8: Bool, name: String, in id: hid_t
    ) throws(HDF5Error) {
        let fail = failure("writing attribute '\(name)' of")
        let type = try stringType(size: size, nullPadded: true, utf8: utf8, fail)
        defer { _ = H5Tclose(type) }
        let space = try HDF5Library.check(H5Screate_simple(1, [hsize_t(values.count)], nil), fail)
        defer { _ = H5Sclose(space) }
        let attribute = try HDF5Library.check(
            H5Acreate2(id, name, type, space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)), fail)
        defer { _ = H5Aclose(attribute) }
        guard !values.isEmpty else { return }
        var storage = [UInt8](repeating: 0, count: values.count * size)
        for (index, value) in values.enumerated() {
            storage.replaceSubrange(index * size..<index * size + value.utf8.count, with: value.utf8)
        }
        _ = try storage.withUnsafeBufferPointer { (typed) throws(HDF5Error) in
            try HDF5Library.check(H5Awrite(attribute, type, typed.baseAddress), fail)
        }
    }

    /// Reads attribute `name`, or nil when it does not exist. Lock must be held.
    func readAttribute(_ name: String, maxElements: Int = HDF5Limits.maxAttributeElementCount)
        throws(HDF5Error) -> HDF5AttributeValue?
    {
        try readAttributeAndRank(name, maxElements: maxElements)?.value
    }

    /// Reads attribute `name` and the rank of its dataspace (0 for a scalar or null one), or nil
    /// when it does not exist. Lock must be held.
    func readAttributeAndRank(_ name: String, maxElements: Int = HDF5Limits.maxAttributeElementCount)
        throws(HDF5Error) -> (value: HDF5AttributeValue, rank: Int)?
    {
        let id = try requireAttributeAccess()
        try validateAttributeName(name)
        let fail = failure("reading attribute '\(name)' of")
        let exists = try HDF5Library.check(H5Aexists(id, name), fail)
        guard exists > 0 else { return nil }

        let attribute = try HDF5Library.check(H5Aopen(id, name, hid_t(H5P_DEFAULT)), fail)
        defer { _ = H5Aclose(attribute) }
        let space = try HDF5Library.check(H5Aget_space(attribute), fail)
        defer { _ = H5Sclose(space) }
        let extent = try HDF5Dataspace.extent(
            of: space, maxElements: min(maxElements, HDF5Limits.maxAttributeElementCount),
            file: filePath, path: attributePath(name), failure: fail)
        let scalar = extent.shape.isEmpty && !extent.isNull
        let type = try HDF5Library.check(H5Aget_type(attribute), fail)
        defer { _ = H5Tclose(type) }
        let typeClass = H5Tget_class(type)

        switch typeClass {
        case H5T_STRING:
            let strings = try readStrings(attribute, type: type, space: space, count: extent.count, name: name)
            return (.strings(strings, scalar: scalar), extent.shape.count)
        case H5T_INTEGER, H5T_FLOAT:
            let info = try HDF5TypeInfo.inspect(type, failure: fail)
            guard info.elementType.isNumeric || info.isConvertibleFloat else {
                return (.unsupported(info.elementType.description), extent.shape.count)
            }
            guard extent.count > 0 else { return (.numbers([], scalar: scalar), extent.shape.count) }
            var numbers = [Double](repeating: 0, count: extent.count)
            _ = try numbers.withUnsafeMutableBufferPointer { (typed) throws(HDF5Error) in
                let raw = UnsafeMutableRawBufferPointer(typed)
                try HDF5Library.check(H5Aread(attribute, nn_h5t_native_double(), raw.baseAddress), fail)
            }
            return (.numbers(numbers, scalar: scalar), extent.shape.count)
        case H5T_NO_CLASS:
            throw fail(HDF5Library.takeErrorMessage())
        default:
            return (.unsupported(HDF5TypeInfo.className(typeClass)), extent.shape.count)
        }
    }

    /// Reads `count` strings of string type `type`. Lock must be held.
    private func readStrings(_ attribute: hid_t, type: hid_t, space: hid_t, count: Int, name: String) throws(HDF5Error) -> [String] {
        guard count > 0 else { return [] }
        let fail = failure("reading attribute '\(name)' of")
        let variable = try HDF5Library.check(H5Tis_variable_str(type), fail) > 0
        let cset = H5Tget_cset(type)
        let utf8 = cset == H5T_CSET_UTF8
        HDF5Library.discardErrorStack()

        let memoryType = try HDF5Library.check(H5Tcopy(nn_h5t_c_s1()), fail)
        defer { _ = H5Tclose(memoryType) }
        try HDF5Library.check(H5Tset_cset(memoryType, utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII), fail)

        func decode(_ bytes: some Collection<UInt8>) throws(HDF5Error) -> String {
            guard let string = String(validating: bytes, as: UTF8.self) else {
                throw HDF5Error.invalidUTF8(file: filePath, path: self.name, attribute: name)
            }
            return string
        }

        if variable {
            try HDF5Library.check(H5Tset_size(memoryType, nn_h5t_variable()), fail)
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            _ = try pointers.withUnsafeMutableBufferPointer { (typed) throws(HDF5Error) in
                let raw = UnsafeMutableRawBufferPointer(typed)
                try HDF5Library.check(H5Aread(attribute, memoryType, raw.baseAddress), fail)
            }
            defer {
                pointers.withUnsafeMutableBytes { raw in
                    _ = nn_h5_reclaim(memoryType, space, raw.baseAddress)
                }
                HDF5Library.discardErrorStack()
            }
            return try pointers.map { (pointer) throws(HDF5Error) in
                guard let pointer else { return "" }  // HDF5's NULL string reads as empty
                return try decode(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
                                                      count: strlen(pointer)))
            }
        }

        let size = Int(H5Tget_size(type))
        guard size > 0 else { throw fail(HDF5Library.takeErrorMessage()) }
        let (total, overflow) = size.multipliedReportingOverflow(by: count)
        guard !overflow, total <= HDF5Limits.maxAttributeBytes else {
            throw HDF5Error.implausibleSize(
                file: filePath, path: attributePath(name),
                detail: "\(count) strings of \(size) bytes exceed \(HDF5Limits.maxAttributeBytes) bytes")
        }
        let pad = H5Tget_strpad(type)
        HDF5Library.discardErrorStack()
        try HDF5Library.check(H5Tset_size(memoryType, size), fail)
        try HDF5Library.check(H5Tset_strpad(memoryType, pad == H5T_STR_ERROR ? H5T_STR_NULLPAD : pad), fail)
        var bytes = [UInt8](repeating: 0, count: total)
        _ = try bytes.withUnsafeMutableBufferPointer { (typed) throws(HDF5Error) in
            let raw = UnsafeMutableRawBufferPointer(typed)
            try HDF5Library.check(H5Aread(attribute, memoryType, raw.baseAddress), fail)
        }
        return try (0..<count).map { (index) throws(HDF5Error) in
            var element = bytes[(index * size)..<((index + 1) * size)]
            if pad == H5T_STR_SPACEPAD {
                while element.last == 0x20 { element = element.dropLast() }
            } else if let end = element.firstIndex(of: 0) {
                element = element[..<end]
            }
            return try decode(element)
        }
    }
}
