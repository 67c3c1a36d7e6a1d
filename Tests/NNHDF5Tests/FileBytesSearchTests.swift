import Testing
@testable import NNHDF5
import NNSystem

/// The signature search the global heap scan runs over every byte of a file: the SIMD kernel
/// against a plain search, and a disk file read through one reused window against the same
/// bytes in memory (matches straddling two windows, several matches in one window).
@Suite struct FileBytesSearchTests {
    static let needle = Array("GCOL".utf8)

    /// Every start of `needle` in `bytes`, by comparing at each position.
    static func naive(_ needle: [UInt8], in bytes: [UInt8]) -> [Int] {
        guard needle.count <= bytes.count else { return [] }
        return (0...(bytes.count - needle.count)).filter { Array(bytes[$0..<$0 + needle.count]) == needle }
    }

    /// Bytes drawn from the needle's letters and one other, so that partial matches abound.
    static func letters(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        let alphabet = Array("GCOLx".utf8)
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return alphabet[Int(state >> 33) % alphabet.count]
        }
    }

    @Test(arguments: [1, 2, 4, 7])
    func kernelFindsWhatANaiveSearchFinds(needleLength: Int) {
        let needle = Array("GCOLGCO".utf8.prefix(needleLength))
        for length in 0...300 {
            let bytes = Self.letters(length, seed: UInt64(length * 31 + needleLength))
            let expected = Self.naive(needle, in: bytes)
            // Every start offset, so that the vector loop, its tail and unaligned starts are all met.
            for start in stride(from: 0, through: length, by: max(1, length / 40)) {
                let found = bytes.withUnsafeBytes {
                    ByteSearch.firstOffset(of: needle, in: UnsafeRawBufferPointer(rebasing: $0[start...]))
                }
                #expect(found.map { $0 + start } == expected.first { $0 >= start }, "length \(length), start \(start)")
            }
        }
        #expect(ByteSearch.firstOffset(of: [], in: UnsafeRawBufferPointer(start: nil, count: 0)) == nil)
    }

    @Test func diskFileSearchMatchesMemoryAcrossWindows() throws {
        let window = HDF5FileBytes.windowSize
        var bytes = [UInt8](repeating: UInt8(ascii: "G"), count: 2 * window + window / 2)
        // Near misses everywhere ("GGGG" has the first and last byte of nothing but the 'G').
        for i in stride(from: 0, to: bytes.count, by: 97) { bytes[i] = UInt8(ascii: "L") }
        let planted = [0, 1000, 1004, window - 6, window - 2, window + 2, 2 * window - 1, bytes.count - 4]
        for offset in planted { bytes.replaceSubrange(offset..<offset + 4, with: Self.needle) }
        let expected = Self.naive(Self.needle, in: bytes)
        #expect(expected == planted)

        let folder = try TemporaryDirectory()
        let path = try folder.write("search.bin", bytes)
        let file = try ReadableFile(path: path)
        for source in [HDF5FileBytes(file: file), HDF5FileBytes(bytes: bytes)] {
            var hits: [Int] = []
            var from = 0
            while let hit = source.find(Self.needle, from: from) {
                hits.append(hit)
                from = hit + 1
            }
            #expect(hits == expected)
            #expect(source.failure == nil)
            // A search that starts behind the window read last reads again from there.
            #expect(source.find(Self.needle, from: 1) == 1000)
            #expect(source.find(Self.needle, from: bytes.count - 3) == nil)
        }
    }
}
