import Testing
@testable import NNHDF5

/// The datatype parser that runs before libhdf5 decodes a datatype (which trusts every size and
/// count it declares), on hand-made datatype messages.
@Suite struct DatatypeCheckTests {
    /// The problem `datatypeNamesProblem` finds in `datatype` (the whole buffer is the message).
    static func problem(_ datatype: [UInt8]) -> String? {
        let check = HDF5ObjectHeaderCheck(bytes: HDF5FileBytes(bytes: datatype), base: 0, addressSize: 8, lengthSize: 8, heaps: [:])
        return check.datatypeNamesProblem(at: 0, size: datatype.count)
    }

    static func header(class typeClass: UInt8, version: UInt8, bits: [UInt8] = [0, 0, 0], size: UInt32) -> [UInt8] {
        [version << 4 | typeClass] + bits + withUnsafeBytes(of: size.littleEndian, Array.init)
    }

    static let float32 = header(class: 1, version: 1, bits: [0x20, 0x3F, 0], size: 4) + [0, 0, 32, 0, 23, 8, 0, 23, 127, 0, 0, 0]

    @Test func soundTypesPass() {
        #expect(Self.problem(Self.float32) == nil)
        // A variable-length string of bytes, as h5py writes it.
        #expect(Self.problem(Self.header(class: 9, version: 1, bits: [1, 0, 0], size: 16)
            + Self.header(class: 0, version: 1, size: 1) + [0, 0, 8, 0]) == nil)
        // An array (version 3) of 2 x 3 floats.
        #expect(Self.problem(Self.header(class: 10, version: 3, size: 24) + [2, 2, 0, 0, 0, 3, 0, 0, 0] + Self.float32) == nil)
        // An opaque type with an 8-byte tag.
        #expect(Self.problem(Self.header(class: 5, version: 1, bits: [8, 0, 0], size: 4) + Array("tag\0\0\0\0\0".utf8)) == nil)
    }

    @Test func overrunsAreRefused() {
        // Opaque tag longer than the message.
        #expect(Self.problem(Self.header(class: 5, version: 1, bits: [135, 0, 0], size: 0) + [0, 0, 0, 0])?
            .contains("135-byte tag") == true)
        // An array of rank 33: libhdf5 decodes into a table of 32.
        let rank33 = Self.header(class: 10, version: 3, size: 4) + [33] + Array(repeating: 1, count: 4 * 33) + Self.float32
        #expect(Self.problem(rank33)?.contains("rank 33") == true)
        // Version 1 arrays are read as version 2 by libhdf5, so they are checked too.
        let v1 = Self.header(class: 10, version: 1, size: 4) + [3, 0, 0, 0] + [1, 0, 0, 0]
        #expect(Self.problem(v1)?.contains("overrun") == true)
        // A compound (version 1) member of rank 5: libhdf5 fills 4 dimensions.
        let member = Array("a\0\0\0\0\0\0\0".utf8) + [0, 0, 0, 0, 5, 0, 0, 0] + Array(repeating: 0, count: 24) + Self.float32
        #expect(Self.problem(Self.header(class: 6, version: 1, bits: [1, 0, 0], size: 4) + member)?.contains("rank 5") == true)
        // A variable-length type nested 40 deep.
        var nested = Self.float32
        for _ in 0..<40 { nested = Self.header(class: 9, version: 1, size: 16) + nested }
        #expect(Self.problem(nested)?.contains("nested more than 32 deep") == true)
    }
}
