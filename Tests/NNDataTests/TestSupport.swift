@_spi(Testing) import NNSystem
import Foundation
import NNTestSupport
import Testing
import NNCore
@testable import NNData
@testable import NNSystem

/// IDX file bytes: magic `00 00 type rank`, big-endian dimensions, then the elements.
func idx(_ dimensions: [Int], _ elements: [UInt8], type: UInt8 = 0x08) -> [UInt8] {
    var out: [UInt8] = [0, 0, type, UInt8(dimensions.count)]
    for d in dimensions { out += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
    return out + elements
}

/// A gzip member holding `bytes` in stored (uncompressed) deflate blocks, written by hand from
/// RFC 1951/1952 so the tests do not depend on the decompressor's own library to make input.
func storedGzip(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]  // no flags, mtime 0, unknown OS
    var offset = 0
    repeat {
        let n = min(65_535, bytes.count - offset)
        let last: UInt8 = offset + n == bytes.count ? 1 : 0
        out += [last, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
        out += bytes[offset..<offset + n]
        offset += n
    } while offset < bytes.count
    let crc = CRC32.checksum(bytes), size = UInt32(truncatingIfNeeded: bytes.count)
    for v in [crc, size] { out += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
    return out
}

/// `b"nnmodel gzip test: " + bytes(range(256)) + b"repeat " * 40` compressed by Python's
/// `gzip.compress(data, mtime=0)` (real deflate, with Huffman codes and back-references).
let pythonGzipPlain: [UInt8] = Array("nnmodel gzip test: ".utf8) + (0...255).map(UInt8.init)
    + Array(String(repeating: "repeat ", count: 40).utf8)
let pythonGzip: [UInt8] = [
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0xcb, 0xcb, 0xcd, 0x4f, 0x49, 0xcd, 0x51, 0x48, 0xaf,
    0xca, 0x2c, 0x50, 0x28, 0x49, 0x2d, 0x2e, 0xb1, 0x52, 0x60, 0x60, 0x64, 0x62, 0x66, 0x61, 0x65, 0x63, 0xe7, 0xe0, 0xe4,
    0xe2, 0xe6, 0xe1, 0xe5, 0xe3, 0x17, 0x10, 0x14, 0x12, 0x16, 0x11, 0x15, 0x13, 0x97, 0x90, 0x94, 0x92, 0x96, 0x91, 0x95,
    0x93, 0x57, 0x50, 0x54, 0x52, 0x56, 0x51, 0x55, 0x53, 0xd7, 0xd0, 0xd4, 0xd2, 0xd6, 0xd1, 0xd5, 0xd3, 0x37, 0x30, 0x34,
    0x32, 0x36, 0x31, 0x35, 0x33, 0xb7, 0xb0, 0xb4, 0xb2, 0xb6, 0xb1, 0xb5, 0xb3, 0x77, 0x70, 0x74, 0x72, 0x76, 0x71, 0x75,
    0x73, 0xf7, 0xf0, 0xf4, 0xf2, 0xf6, 0xf1, 0xf5, 0xf3, 0x0f, 0x08, 0x0c, 0x0a, 0x0e, 0x09, 0x0d, 0x0b, 0x8f, 0x88, 0x8c,
    0x8a, 0x8e, 0x89, 0x8d, 0x8b, 0x4f, 0x48, 0x4c, 0x4a, 0x4e, 0x49, 0x4d, 0x4b, 0xcf, 0xc8, 0xcc, 0xca, 0xce, 0xc9, 0xcd,
    0xcb, 0x2f, 0x28, 0x2c, 0x2a, 0x2e, 0x29, 0x2d, 0x2b, 0xaf, 0xa8, 0xac, 0xaa, 0xae, 0xa9, 0xad, 0xab, 0x6f, 0x68, 0x6c,
    0x6a, 0x6e, 0x69, 0x6d, 0x6b, 0xef, 0xe8, 0xec, 0xea, 0xee, 0xe9, 0xed, 0xeb, 0x9f, 0x30, 0x71, 0xd2, 0xe4, 0x29, 0x53,
    0xa7, 0x4d, 0x9f, 0x31, 0x73, 0xd6, 0xec, 0x39, 0x73, 0xe7, 0xcd, 0x5f, 0xb0, 0x70, 0xd1, 0xe2, 0x25, 0x4b, 0x97, 0x2d,
    0x5f, 0xb1, 0x72, 0xd5, 0xea, 0x35, 0x6b, 0xd7, 0xad, 0xdf, 0xb0, 0x71, 0xd3, 0xe6, 0x2d, 0x5b, 0xb7, 0x6d, 0xdf, 0xb1,
    0x73, 0xd7, 0xee, 0x3d, 0x7b, 0xf7, 0xed, 0x3f, 0x70, 0xf0, 0xd0, 0xe1, 0x23, 0x47, 0x8f, 0x1d, 0x3f, 0x71, 0xf2, 0xd4,
    0xe9, 0x33, 0x67, 0xcf, 0x9d, 0xbf, 0x70, 0xf1, 0xd2, 0xe5, 0x2b, 0x57, 0xaf, 0x5d, 0xbf, 0x71, 0xf3, 0xd6, 0xed, 0x3b,
    0x77, 0xef, 0xdd, 0x7f, 0xf0, 0xf0, 0xd1, 0xe3, 0x27, 0x4f, 0x9f, 0x3d, 0x7f, 0xf1, 0xf2, 0xd5, 0xeb, 0x37, 0x6f, 0xdf,
    0xbd, 0xff, 0xf0, 0xf1, 0xd3, 0xe7, 0x2f, 0x5f, 0xbf, 0x7d, 0xff, 0xf1, 0xf3, 0xd7, 0xef, 0x3f, 0x7f, 0xff, 0xfd, 0x2f,
    0x4a, 0x2d, 0x48, 0x4d, 0x2c, 0x51, 0x18, 0xa5, 0xd0, 0x28, 0x00, 0x23, 0x2d, 0x5c, 0x67, 0x2b, 0x02, 0x00, 0x00,
]

/// `.npy` bytes with the given header dictionary text and format version, padded as NumPy does.
func npy(_ header: String, _ body: [UInt8], major: UInt8 = 1) -> [UInt8] {
    let prefix = major == 1 ? 10 : 12
    var text = header
    let unpadded = prefix + text.utf8.count + 1
    text += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    let n = text.utf8.count
    var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, major, 0]
    out += major == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8)] : [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)]
    return out + Array(text.utf8) + body
}

func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { v in (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) } }
}

func bigEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { v in (0..<MemoryLayout<T>.size).reversed().map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) } }
}

/// The error of type `E` a throwing call produces, or `nil` (recording an issue) when it succeeds.
func typedError<T, E: Error>(_ body: () throws(E) -> T, sourceLocation: SourceLocation = #_sourceLocation) -> E? {
    do {
        let value = try body()
        Issue.record("no error; got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// The `DataError` a throwing call produces, or `nil` (recording an issue) when it succeeds.
func dataError<T>(_ body: () throws(DataError) -> T, sourceLocation: SourceLocation = #_sourceLocation) -> DataError? {
    typedError(body, sourceLocation: sourceLocation)
}

/// The `FileError` a throwing call produces, or `nil` (recording an issue) when it succeeds.
func fileError<T>(_ body: () throws(FileError) -> T, sourceLocation: SourceLocation = #_sourceLocation) -> FileError? {
    typedError(body, sourceLocation: sourceLocation)
}

/// The class labels of a dataset.
func classLabels(_ d: Dataset) -> [Int32]? {
    if case let .classes(c)? = d.labels { return c }
    return nil
}

extension DataError {
    /// The case's name (`"invalidIDX"`, `"file"`, ...).
    var caseName: String { Mirror(reflecting: self).children.first?.label ?? "\(self)" }

    /// The file the error names.
    var filePath: String { path ?? "" }

    /// The reason text, when the case has one.
    var reason: String {
        switch self {
        case let .file(.invalidGzip(_, r)), let .file(.readFailed(_, r)), let .invalidIDX(_, r), let .invalidCSV(_, _, r),
             let .invalidNPY(_, r), let .mismatch(_, r), let .unknownLayout(_, r):
            return r
        default: return ""
        }
    }
}

/// Expects `error` to be the case `name` about `path`, with a reason containing every one of `phrases`
/// and a message that starts with the path.
func expectError(
    _ error: DataError?, _ name: String, path: String, _ phrases: String..., sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let error else { return }  // dataError already recorded the missing error
    #expect(error.caseName == name, "expected \(name), got \(error)", sourceLocation: sourceLocation)
    #expect(error.filePath == path, "\(error)", sourceLocation: sourceLocation)
    #expect(error.description.hasPrefix(path), "message does not start with the file: \(error)", sourceLocation: sourceLocation)
    for phrase in phrases {
        #expect(error.reason.contains(phrase), "'\(phrase)' not in: \(error)", sourceLocation: sourceLocation)
    }
}
