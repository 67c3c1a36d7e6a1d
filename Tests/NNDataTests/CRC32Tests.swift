@_spi(Testing) import NNSystem
import CZlibNN
import NNCore
import Testing

/// zlib's CRC-32 of `count` bytes at `bytes`, continuing from `crc`: the reference.
private func zlibCRC(_ bytes: UnsafeRawPointer, count: Int, continuing crc: UInt32 = 0) -> UInt32 {
    UInt32(truncatingIfNeeded: crc32(uLong(crc), bytes.assumingMemoryBound(to: Bytef.self), uInt(count)))
}

/// Seeded random bytes.
private func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    var bytes = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        var word = generator.next()
        for _ in 0..<min(8, count - i) {
            bytes[i] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            i += 1
        }
    }
    return bytes
}

/// Every implementation against zlib's `crc32`: each length from 0 to 4096 at each start offset
/// from 0 to 15, chained pieces, large buffers. A SIMD implementation this CPU lacks is skipped
/// with the reason.
@Suite("CRC-32 implementations agree with zlib")
struct CRC32Tests {
    static let maxLength = 4096
    static let bytes = randomBytes(maxLength + 16, seed: 0xC4C3_2)

    /// Each length 0...4096 at each offset 0...15, starting from 0 and from a previous checksum.
    static func everyLengthAndOffset(_ implementation: CRC32.Implementation) {
        var mismatches = 0
        bytes.withUnsafeBytes { buffer in
            let base = buffer.baseAddress!
            for offset in 0..<16 {
                for length in 0...maxLength {
                    let start = base + offset
                    let previous = UInt32(truncatingIfNeeded: length &* 0x9E37_79B1 &+ offset)
                    let fresh = CRC32.checksum(start, count: length, using: implementation)
                    let continued = CRC32.checksum(start, count: length, continuing: previous, using: implementation)
                    if fresh != zlibCRC(start, count: length) || continued != zlibCRC(start, count: length, continuing: previous) {
                        mismatches += 1
                        if mismatches <= 5 { Issue.record("\(implementation): offset \(offset), length \(length)") }
                    }
                }
            }
        }
        #expect(mismatches == 0)
    }

    /// A buffer cut at random points (empty pieces included), chained: the checksum of the whole.
    static func chaining(_ implementation: CRC32.Implementation) {
        let whole = randomBytes(100_001, seed: 7)
        let expected = whole.withUnsafeBytes { zlibCRC($0.baseAddress!, count: $0.count) }
        var generator = SeededGenerator(seed: 11)
        whole.withUnsafeBytes { buffer in
            for trial in 0..<15 {
                // Small pieces in some trials, tens of kilobytes in others.
                let largest = [16, 300, 70_000][trial % 3]
                var crc: UInt32 = 0, at = 0, pieces = 0
                while at < buffer.count {
                    let n = min(Int.random(in: 0...largest, using: &generator), buffer.count - at)
                    crc = CRC32.checksum(buffer.baseAddress! + at, count: n, continuing: crc, using: implementation)
                    at += n
                    pieces += 1
                }
                #expect(crc == expected, "\(implementation): trial \(trial), \(pieces) pieces")
            }
        }
    }

    /// Large buffers of odd lengths at odd offsets.
    static func large(_ implementation: CRC32.Implementation) {
        let bytes = randomBytes((3 << 20) + 64, seed: 3)
        bytes.withUnsafeBytes { buffer in
            for (offset, length) in [(0, 1 << 20), (3, (1 << 20) + 7), (13, (3 << 20) + 45), (1, 256), (5, 255), (9, 4097 + 256)] {
                let start = buffer.baseAddress! + offset
                #expect(CRC32.checksum(start, count: length, using: implementation) == zlibCRC(start, count: length),
                        "\(implementation): offset \(offset), length \(length)")
            }
        }
    }

    /// The published check values.
    static func checkValues(_ implementation: CRC32.Implementation) {
        for (text, crc) in [("", 0), ("a", 0xE8B7_BE43), ("abc", 0x3524_41C2), ("123456789", 0xCBF4_3926),
                            ("The quick brown fox jumps over the lazy dog", 0x414F_A339)] as [(String, UInt32)] {
            let bytes = Array(text.utf8), padded = bytes + [0]  // never empty: a base address for ""
            let value = padded.withUnsafeBytes { CRC32.checksum($0.baseAddress!, count: bytes.count, using: implementation) }
            #expect(value == crc, "\(implementation): \"\(text)\"")
        }
    }

    /// Every check above.
    static func all(_ implementation: CRC32.Implementation) {
        checkValues(implementation)
        everyLengthAndOffset(implementation)
        chaining(implementation)
        large(implementation)
    }

    @Test("zlib fallback (the path of CPUs without PCLMULQDQ)")
    func zlibFallback() {
        #expect(CRC32.Implementation.zlib.isSupported)
        Self.all(.zlib)
    }

    @Test("PCLMULQDQ, 4 x 128-bit folding",
          .enabled(if: CRC32.Implementation.pclmul.isSupported, "this CPU lacks PCLMULQDQ or SSE4.1"))
    func pclmul() {
        Self.all(.pclmul)
    }

    @Test("VPCLMULQDQ with AVX-512, 4 x 512-bit folding",
          .enabled(if: CRC32.Implementation.vpclmul.isSupported, "this CPU or OS lacks VPCLMULQDQ, AVX-512F/VL or the AVX-512 state"))
    func vpclmul() {
        Self.all(.vpclmul)
    }

    /// The default checksum uses the fastest supported implementation and agrees with zlib.
    @Test func fastestIsUsed() {
        let expected: CRC32.Implementation = CRC32.Implementation.vpclmul.isSupported ? .vpclmul
            : CRC32.Implementation.pclmul.isSupported ? .pclmul : .zlib
        #expect(CRC32.fastest == expected)
        let bytes = randomBytes(100_003, seed: 5)
        bytes.withUnsafeBytes { buffer in
            #expect(CRC32.checksum(buffer) == zlibCRC(buffer.baseAddress!, count: buffer.count))
            #expect(CRC32.checksum(UnsafeRawBufferPointer(rebasing: buffer[1...]), continuing: 0x1234_5678)
                    == zlibCRC(buffer.baseAddress! + 1, count: buffer.count - 1, continuing: 0x1234_5678))
        }
    }
}
