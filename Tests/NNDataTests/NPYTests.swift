import NNTestSupport
import Foundation
import Testing
import NNCore
@testable import NNData

/// The labels of the first 64 Fashion-MNIST test images, as Keras's reference files record them
/// (`fashion_test64.labels.npy`).
let fashionTest64Labels: [Int64] = [
    9, 2, 1, 1, 6, 1, 4, 6, 5, 7, 4, 5, 7, 3, 4, 1, 2, 4, 8, 0, 2, 5, 7, 9, 1, 4, 6, 0, 9, 3, 8, 8,
    3, 3, 8, 0, 7, 5, 7, 9, 6, 1, 3, 7, 6, 7, 2, 1, 2, 2, 4, 4, 5, 8, 2, 2, 8, 4, 8, 0, 7, 7, 8, 5,
]

func parseNPY(_ bytes: [UInt8]) -> DataError? {
    dataError { () throws(DataError) in try NPYArray(contents: bytes, path: "array.npy") }
}

@Suite("NumPy .npy arrays")
struct NPYTests {
    @Test func float32LittleEndian() throws {
        let values: [Float] = [1.5, -2, 0, .greatestFiniteMagnitude, 1e-30, 3]
        let a = try NPYArray(contents: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                                           littleEndian(values.map(\.bitPattern))), path: "a.npy")
        #expect(a.shape == [2, 3])
        #expect(a.descr == "<f4")
        #expect(a.values == .float32(values))
        #expect(a.count == 6)
        #expect(a.floats == values)
    }

    @Test func float64AndBigEndian() throws {
        let doubles: [Double] = [0.1, -1e300, 2]
        let a = try NPYArray(contents: npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                                           littleEndian(doubles.map(\.bitPattern))), path: "a.npy")
        #expect(a.values == .float64(doubles))
        #expect(a.floats == [0.1, -.infinity, 2])

        let floats: [Float] = [1, -0.25, 7e10]
        let b = try NPYArray(contents: npy("{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }",
                                           bigEndian(floats.map(\.bitPattern))), path: "b.npy")
        #expect(b.values == .float32(floats))
        let c = try NPYArray(contents: npy("{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }",
                                           bigEndian([Int64(-5), 1 << 40])), path: "c.npy")
        #expect(c.values == .int64([-5, 1 << 40]))
        let d = try NPYArray(contents: npy("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }",
                                           bigEndian([Double(-3.75).bitPattern])), path: "d.npy")
        #expect(d.values == .float64([-3.75]))
    }

    @Test func integersAndBooleans() throws {
        let u8 = try NPYArray(contents: npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", [0, 7, 200, 255]), path: "u")
        #expect(u8.values == .uint8([0, 7, 200, 255]))
        #expect(u8.floats == [0, 7, 200, 255])
        let i64 = try NPYArray(contents: npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
                                             littleEndian([Int64(-1), 9, Int64.min])), path: "i")
        #expect(i64.values == .int64([-1, 9, .min]))
        let i8 = try NPYArray(contents: npy("{'descr': '|i1', 'fortran_order': False, 'shape': (3,), }", [0xFF, 0x80, 0x05]), path: "i8")
        #expect(i8.values == .int64([-1, -128, 5]))
        let i16 = try NPYArray(contents: npy("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }",
                                             littleEndian([Int16(-300), 300])), path: "i16")
        #expect(i16.values == .int64([-300, 300]))
        let u32 = try NPYArray(contents: npy("{'descr': '<u4', 'fortran_order': False, 'shape': (1,), }",
                                             littleEndian([UInt32.max])), path: "u32")
        #expect(u32.values == .int64([Int64(UInt32.max)]))
        let bools = try NPYArray(contents: npy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", [1, 0, 1]), path: "b")
        #expect(bools.values == .uint8([1, 0, 1]))
        let f16 = try NPYArray(contents: npy("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }",
                                             littleEndian([Float16(1.5).bitPattern, Float16(-0.25).bitPattern])), path: "h")
        #expect(f16.values == .float32([1.5, -0.25]))
    }

    /// `fashion_test64.labels.npy` from the Keras reference files (NumPy 2.4, int64, shape (64,)):
    /// its 128-byte header, byte for byte, and the labels it holds.
    @Test func labelsFileFromKerasReference() throws {
        let header = "{'descr': '<i8', 'fortran_order': False, 'shape': (64,), }" + String(repeating: " ", count: 59) + "\n"
        let file = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 0x76, 0x00] + Array(header.utf8) + littleEndian(fashionTest64Labels)
        #expect(file.count == 640)
        #expect(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (64,), }", littleEndian(fashionTest64Labels)) == file)
        let a = try NPYArray(contents: file, path: "fashion_test64.labels.npy")
        #expect(a.shape == [64])
        #expect(a.descr == "<i8")
        #expect(a.values == .int64(fashionTest64Labels))
    }

    @Test func version2And3Headers() throws {
        let values: [Float] = [4, 5]
        for major: UInt8 in [2, 3] {
            let bytes = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", littleEndian(values.map(\.bitPattern)), major: major)
            #expect(bytes[6] == major)
            let a = try NPYArray(contents: bytes, path: "v\(major).npy")
            #expect(a.shape == [1, 2] && a.values == .float32(values))
        }
        // Double-quoted keys, no trailing comma, 'L' suffixes from Python 2.
        let py2 = try NPYArray(contents: npy(#"{"descr": "<f4", "fortran_order": False, "shape": (1L, 2L)}"#,
                                             littleEndian(values.map(\.bitPattern))), path: "p")
        #expect(py2.shape == [1, 2])
        let scalar = try NPYArray(contents: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", littleEndian([Float(9).bitPattern])),
                                  path: "s")
        #expect(scalar.shape == [] && scalar.values == .float32([9]))
        let empty = try NPYArray(contents: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }", []), path: "e")
        #expect(empty.count == 0 && empty.shape == [0, 5])
    }

    @Test func fortranOrderIsRefused() {
        let error = parseNPY(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", [UInt8](repeating: 0, count: 16)))
        expectError(error, "invalidNPY", path: "array.npy", "Fortran")
    }

    @Test func truncatedDataIsRefused() {
        let error = parseNPY(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", [UInt8](repeating: 0, count: 20)))
        expectError(error, "invalidNPY", path: "array.npy", "needs 24 data bytes", "has 20", "truncated")
        // A header length running past the end.
        var cut = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0])
        cut = Array(cut.prefix(40))
        expectError(parseNPY(cut), "invalidNPY", path: "array.npy", "header length")
        expectError(parseNPY(Array(cut.prefix(8))), "invalidNPY", path: "array.npy", "magic")
    }

    @Test(arguments: [
        ("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", "dtype '|O'"),
        ("{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (2,), }", "descr"),
        ("{'descr': '<U5', 'fortran_order': False, 'shape': (2,), }", "dtype '<U5'"),
        ("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", "dtype '<c8'"),
        ("{'descr': '<f16', 'fortran_order': False, 'shape': (2,), }", "dtype '<f16'"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", "shape"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", "shape"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", "too large"),
        ("{'descr': '<f4', 'fortran_order': False}", "shape"),
    ])
    func unsupportedArraysAreRefused(_ header: String, _ phrase: String) {
        let error = parseNPY(npy(header, [UInt8](repeating: 0, count: 64)))
        expectError(error, "invalidNPY", path: "array.npy", phrase)
    }

    @Test func badMagicAndVersion() {
        expectError(parseNPY(Array("PK\u{03}\u{04} not numpy".utf8)), "invalidNPY", path: "array.npy", "magic")
        var v9 = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0])
        v9[6] = 9
        expectError(parseNPY(v9), "invalidNPY", path: "array.npy", "version 9.0")
    }

    @Test(arguments: [[2, 3], [5], [], [1, 1, 4], [0]])
    func encodeRoundTripsWithANumPyReadableHeader(_ shape: [Int]) throws {
        let count = shape.reduce(1, *)
        let values = (0..<count).map { Float($0) * 0.5 - 1 }
        let bytes = NPYArray.encode(floats: values, shape: shape)
        let decoded = try NPYArray(contents: bytes, path: "x.npy")
        #expect(decoded.shape == shape)
        #expect(decoded.values == .float32(values))

        #expect(Array(bytes.prefix(8)) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect((10 + headerLength) % 64 == 0, "data does not start on a 64-byte boundary")
        #expect(bytes.count == 10 + headerLength + 4 * count)
        let header = String(decoding: bytes[10..<10 + headerLength], as: UTF8.self)
        #expect(header.hasSuffix("\n"))
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"), "\(header)")
        #expect(header.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F || $0 == 0x0A })
    }

    @Test func writeAndReadAFile() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/out.npy"
        try NPYArray.write(floats: [1, 2, 3, 4], shape: [2, 2], to: path)
        let a = try NPYArray(path: path)
        #expect(a.shape == [2, 2] && a.floats == [1, 2, 3, 4])
        #expect(folder.names == ["out.npy"])
        let missing = folder.path + "/none.npy"
        #expect(dataError({ () throws(DataError) in try NPYArray(path: missing) }) == .file(.notFound(path: missing)))
    }
}
