import Foundation
import Testing
@testable import NNHDF5

/// Truncated and corrupted copies of a real Keras file: opening and reading
/// everything must throw `HDF5Error`s or succeed, never crash.
///
/// Inputs that crashed libhdf5 itself are kept in `Fixtures/hdf5/crashers/` (see
/// the README there). For triage:
/// - `NNHDF5_FUZZ_LOG=<file>` appends each case's label to the file before running it;
/// - `NNHDF5_FUZZ_DUMP=<dir>` writes each case to `<dir>/<label>.h5` instead of running it;
/// - `NNHDF5_FUZZ_REPLAY=<file>` enables `replay()`, which runs just that input;
/// - `NNHDF5_FUZZ_SEED=<n>` changes the seeds of the random sweeps (to explore);
/// - `NNHDF5_FUZZ_INPUT=<fixture>` sweeps another file of `Fixtures/hdf5/` (to explore).
@Suite struct FuzzTests {
    static let environment = ProcessInfo.processInfo.environment
    static let seedOffset = UInt64(environment["NNHDF5_FUZZ_SEED"] ?? "") ?? 0

    static let original: [UInt8] = (try? Fixture.bytes(environment["NNHDF5_FUZZ_INPUT"] ?? Fixture.kerasWeights)) ?? []

    /// Byte ranges of the fixture that hold metadata (object headers, B-trees,
    /// heaps, superblock) rather than raw weights; computed with h5py
    /// (`Dataset.id.get_offset()`): raw data occupies 8192..<83456 and a few small
    /// blocks after it.
    static let metadataRanges: [Range<Int>] = environment["NNHDF5_FUZZ_INPUT"] == nil
        ? [0..<8192, 83456..<94496]
        : [0..<original.count]

    /// Runs one mutated input: from memory, and every 16th case also from disk.
    static func run(_ label: String, _ bytes: [UInt8], directory: TemporaryDirectory, viaDisk: Bool) {
        if let dump = environment["NNHDF5_FUZZ_DUMP"] {
            try? Data(bytes).write(to: URL(fileURLWithPath: dump).appendingPathComponent(label + ".h5"))
            return
        }
        if let log = environment["NNHDF5_FUZZ_LOG"],
           let handle = FileHandle(forWritingAtPath: log) ?? {
               _ = FileManager.default.createFile(atPath: log, contents: nil)
               return FileHandle(forWritingAtPath: log)
           }() {
            handle.seekToEndOfFile()
            handle.write(Data((label + "\n").utf8))
            try? handle.synchronize()
            try? handle.close()
        }
        if let file = try? HDF5File(bytes: bytes, name: label) {
            let result = exerciseEverything(in: file)
            #expect(result.foreignErrors.isEmpty, "\(label): \(result.foreignErrors)")
        }
        if viaDisk, let path = try? directory.write("case.h5", bytes), let file = try? HDF5File(readingFrom: path) {
            exerciseEverything(in: file)
        }
    }

    @Test(.enabled(if: environment["NNHDF5_FUZZ_REPLAY"] != nil))
    func replay() throws {
        let path = try #require(Self.environment["NNHDF5_FUZZ_REPLAY"])
        let directory = try TemporaryDirectory()
        Self.run(URL(fileURLWithPath: path).lastPathComponent, try TemporaryDirectory.read(path),
                 directory: directory, viaDisk: true)
    }

    @Test func originalIsFullyReadable() throws {
        let file = try HDF5File(bytes: Self.original, name: "original.h5")
        let result = exerciseEverything(in: file)
        #expect(result.visited == 14)  // root, 8 groups below it, 5 datasets
        #expect(result.foreignErrors.isEmpty)
    }

    @Test func truncationSweep() throws {
        let directory = try TemporaryDirectory()
        let count = Self.original.count
        var lengths = Array(stride(from: 0, to: count, by: 61))
        lengths += [1, 7, 8, 9, 95, 96, 97, 511, 512, 513, 2047, 2048, 2049, count - 1]
        for (index, length) in lengths.enumerated() {
            Self.run("truncate-\(length)", Array(Self.original.prefix(length)), directory: directory,
                     viaDisk: index.isMultiple(of: 16))
        }
    }

    @Test func bitFlipSweep() throws {
        let directory = try TemporaryDirectory()
        var generator = SeededGenerator(seed: 0x5EED_0001 &+ Self.seedOffset << 8)
        for index in 0..<400 {
            var bytes = Self.original
            let offset: Int
            if index % 4 == 3 {
                offset = Int.random(in: 0..<bytes.count, using: &generator)
            } else {
                let range = Self.metadataRanges[Int.random(in: 0..<Self.metadataRanges.count, using: &generator)]
                offset = Int.random(in: range, using: &generator)
            }
            let mask = UInt8(1) << UInt8.random(in: 0...7, using: &generator)
            bytes[offset] ^= mask
            Self.run("flip-\(index)-at-\(offset)-mask-\(mask)", bytes, directory: directory, viaDisk: index.isMultiple(of: 16))
        }
    }

    @Test func byteSmashSweep() throws {
        let directory = try TemporaryDirectory()
        var generator = SeededGenerator(seed: 0x5EED_0002 &+ Self.seedOffset << 8)
        let interesting: [UInt8] = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0x20, 0xFE]
        for index in 0..<300 {
            var bytes = Self.original
            var changes: [String] = []
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let range = Self.metadataRanges[Int.random(in: 0..<Self.metadataRanges.count, using: &generator)]
                let offset = Int.random(in: range, using: &generator)
                let value = Bool.random(using: &generator)
                    ? interesting[Int.random(in: 0..<interesting.count, using: &generator)]
                    : UInt8.random(in: 0...255, using: &generator)
                bytes[offset] = value
                changes.append("\(offset)=\(value)")
            }
            Self.run("smash-\(index)-" + changes.joined(separator: ","), bytes, directory: directory,
                     viaDisk: index.isMultiple(of: 16))
        }
    }
}
