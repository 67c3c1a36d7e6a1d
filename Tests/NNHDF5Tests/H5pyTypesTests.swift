import Testing
@testable import NNHDF5

/// Datatypes, layouts and attribute encodings written by h5py
/// (`Fixtures/hdf5/make_h5py_types.py`).
@Suite struct H5pyTypesTests {
    let root: HDF5Group

    init() throws {
        root = try HDF5File(readingFrom: Fixture.path(Fixture.h5pyTypes)).root
    }

    @Test func float16IsConvertedExactly() throws {
        let half = try root.dataset("f16")
        #expect(half.elementType == .float16)
        #expect(half.declaredBytes == 16)
        let values = try half.readFloats()
        #expect(values.count == 8)
        #expect(Array(values[0..<5]) == [0, 1, -2.5, 65504, 0x1p-24])
        #expect(values[5] == .infinity)
        #expect(values[6].isNaN)
        #expect(values[7].bitPattern == Float(-0.0).bitPattern)
        let doubles = try half.readDoubles()
        #expect(doubles[4] == 0x1p-24)

        let bigEndian = try root.dataset("f16_be")
        #expect(bigEndian.elementType == .float16)
        #expect(try bigEndian.readFloats() == [1.5, -3.0, 0.0999755859375])
    }

    @Test func halfConversionMatchesEveryBitPattern() {
        // Spot checks across the range, including the largest subnormal and smallest normal.
        #expect(HalfFloat.toFloat(0x03FF) == 0x1.FF8p-15)
        #expect(HalfFloat.toFloat(0x0400) == 0x1p-14)
        #expect(HalfFloat.toFloat(0x3C00) == 1)
        #expect(HalfFloat.toFloat(0xC000) == -2)
        #expect(HalfFloat.toFloat(0x7BFF) == 65504)
        #expect(HalfFloat.toFloat(0xFC00) == -.infinity)
        #expect(HalfFloat.toFloat(0x7E00).isNaN)
        #expect(HalfFloat.toFloat(0x8001) == -0x1p-24)
        // Every finite half survives a round trip through Float16 where the platform has it.
        #if arch(arm64) || arch(x86_64)
        for bits in UInt16.min...UInt16.max {
            let converted = HalfFloat.toFloat(bits)
            let reference = Float(Float16(bitPattern: bits))
            if reference.isNaN {
                #expect(converted.isNaN)
            } else if converted.bitPattern != reference.bitPattern {
                Issue.record("half \(bits): \(converted) != \(reference)")
                return
            }
        }
        #endif
    }

    @Test func numericTypesConvertThroughHDF5() throws {
        let bigEndian = try root.dataset("f32_be")
        #expect(bigEndian.elementType == .float32)
        #expect(bigEndian.shape == [2, 3])
        #expect(try bigEndian.readFloats() == [0, 0.25, 0.5, 0.75, 1, 1.25])

        let doubles = try root.dataset("f64")
        #expect(doubles.elementType == .float64)
        #expect(try doubles.readDoubles() == [1e300, -0.1, 3])
        let asFloats = try doubles.readFloats()
        #expect(asFloats[1] == Float(-0.1))
        #expect(asFloats[2] == 3)

        let scalar = try root.dataset("f64_scalar")
        #expect(scalar.shape == [])
        #expect(try scalar.readFloats() == [3.25])

        let int8 = try root.dataset("i8")
        #expect(int8.elementType == .integer(bits: 8, signed: true))
        #expect(try int8.readFloats() == [-128, 0, 127])
        let uint16 = try root.dataset("u16")
        #expect(uint16.elementType == .integer(bits: 16, signed: false))
        #expect(try uint16.readDoubles() == [0, 65535])
        #expect(try root.dataset("i64").readDoubles() == [-1_099_511_627_776, 7])
    }

    @Test func layouts() throws {
        let chunked = try root.dataset("chunked_gzip")
        #expect(chunked.layout == .chunked)
        #expect(chunked.shape == [100, 10])
        #expect(chunked.storageBytes < chunked.declaredBytes)
        #expect(try chunked.readFloats() == (0..<1000).map(Float.init))
        let compact = try root.dataset("compact")
        #expect(compact.layout == .compact)
        #expect(try compact.readFloats() == [1, 2, 3, 4])
    }

    @Test func nonNumericDatasetsAreRefusedForNumbers() throws {
        for (name, type) in [("bool", "enum"), ("str_ds", "string"), ("compound", "compound")] {
            let dataset = try root.dataset(name)
            #expect(dataset.elementType.description == type)
            #expect(throws: HDF5Error.unsupportedType(
                file: Fixture.path(Fixture.h5pyTypes), path: "/\(name)", type: type, requested: "float32")) {
                try dataset.readFloats()
            }
        }
    }

    @Test func stringAttributeEncodings() throws {
        #expect(try root.stringAttribute("vlen_utf8") == "h\u{e9}llo \u{2713}")
        #expect(try root.stringAttribute("vlen_ascii") == "ascii bytes")
        #expect(try root.stringAttribute("fixed_nullpad") == "fixed")
        #expect(try root.stringAttribute("nullterm") == "pad")
        #expect(try root.stringAttribute("spacepad") == "pad")
        #expect(try root.stringAttribute("one_element") == "only")
        #expect(try root.stringArrayAttribute("fixed_array") == ["a", "bcd"])
        #expect(try root.stringArrayAttribute("fixed_utf8") == ["\u{fc}", "ok"])
        // A scalar string is not a list (h5py, and so Keras, would iterate over its characters).
        #expect(throws: HDF5Error.attributeTypeMismatch(
            file: Fixture.path(Fixture.h5pyTypes), path: "/", attribute: "vlen_utf8",
            expected: "a one-dimensional array of strings", found: "a string")) {
            try root.stringArrayAttribute("vlen_utf8")
        }
    }

    @Test func splitFixedLengthAttributeIsJoined() throws {
        #expect(try root.stringArrayAttribute("names") == ["a", "bb", "c"])
        #expect(try root.stringArrayAttribute("names1") == ["c"])
    }

    @Test func numericAttributes() throws {
        #expect(try root.numericAttribute("ints") == [1, 2, 3])
        #expect(try root.numericAttribute("scalar_number") == [2.5])
        #expect(try root.numericAttribute("empty_f64") == [])
        #expect(try root.stringArrayAttribute("empty_f64") == [])
    }

    @Test func attributeMismatchesAreErrors() throws {
        let file = Fixture.path(Fixture.h5pyTypes)
        #expect(throws: HDF5Error.attributeTypeMismatch(
            file: file, path: "/", attribute: "ints", expected: "a single string", found: "an array of 3 numbers")) {
            try root.stringAttribute("ints")
        }
        #expect(throws: HDF5Error.attributeTypeMismatch(
            file: file, path: "/", attribute: "ints", expected: "a one-dimensional array of strings", found: "an array of 3 numbers")) {
            try root.stringArrayAttribute("ints")
        }
        #expect(throws: HDF5Error.attributeTypeMismatch(
            file: file, path: "/", attribute: "fixed_array", expected: "a single string", found: "an array of 2 strings")) {
            try root.stringAttribute("fixed_array")
        }
        #expect(throws: HDF5Error.attributeTypeMismatch(
            file: file, path: "/", attribute: "vlen_utf8", expected: "numbers", found: "a string")) {
            try root.numericAttribute("vlen_utf8")
        }
        #expect(throws: HDF5Error.invalidUTF8(file: file, path: "/", attribute: "bad_utf8")) {
            try root.stringAttribute("bad_utf8")
        }
    }

    @Test func writingToAReadOnlyFileIsRefused() throws {
        #expect(throws: HDF5Error.readOnly(
            file: Fixture.path(Fixture.h5pyTypes), path: "/", operation: "write attribute 'x' of")) {
            try root.setStringAttribute("x", "y")
        }
        #expect(throws: HDF5Error.self) { try root.createGroup("g") }
    }
}
