import Foundation
import NNCore
import NNSystem
import Testing
@testable import NNFormat

@Suite struct RoundTripTests {
    /// For inference the optimizer slots are not kept, but still checked unless verification is
    /// off: a damaged slot stops a verified load either way.
    @Test func inferenceSkipsTheOptimizerSlots() throws {
        let model = try Fixtures.richModel()
        let folder = Fixtures.temporaryFolder()
        let path = folder + "/rich-inference.nnm"
        try NNMWriter.write(model, to: path, producer: "tests")
        let forInference = try NNMFile(path: path).model(optimizerState: false)
        #expect(forInference.optimizerState == nil)
        #expect(forInference.weights == model.weights)
        #expect(forInference.metadata.loss == model.metadata.loss)
        // Damage the last value of the last tensor, an optimizer slot.
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let header = try NNMFile(path: path).header
        let last = try #require(header.tensors.max { $0.offset < $1.offset })
        #expect(last.name.hasPrefix("optimizer/"))
        bytes[header.dataOffset + last.offset + 4 * last.count - 1] ^= 0x10
        try Fixtures.write(bytes, to: path)
        #expect(try NNMFile(path: path).model(verify: false, optimizerState: false).weights == model.weights)
        for keep in [true, false] {
            let error = #expect(throws: ModelFileError.self) { try NNMFile(path: path).model(optimizerState: keep) }
            guard case let .checksumMismatch(_, tensor, _, _)? = error else {
                Issue.record("expected a checksum mismatch, got \(String(describing: error))")
                continue
            }
            #expect(tensor == last.name)
        }
    }

    @Test func float32RoundTripIsExactAndKeepsEverything() throws {
        let model = try Fixtures.richModel()
        let folder = Fixtures.temporaryFolder()
        let path = folder + "/rich.nnm"
        try NNMWriter.write(model, to: path, producer: "tests")
        let file = try NNMFile(path: path)
        let loaded = try file.model()
        #expect(loaded.architecture == model.architecture)
        #expect(loaded.weights == model.weights)
        #expect(loaded.optimizerState == model.optimizerState)
        #expect(loaded.metadata.classNames == ["a", "b", "c"])
        #expect(loaded.metadata.history == model.metadata.history)
        #expect(loaded.metadata.user.map(\.key) == ["author", "note"])
        #expect(loaded.metadata.user.last?.value == "ünïcode ✓")
        #expect(JSON.object(loaded.metadata.extra) == JSON.object([("future", .array([1, 2]))]))
        #expect(loaded.metadata.producer == "tests")
        #expect(loaded.metadata.createdAt?.hasSuffix("Z") == true)
        // Weights are read into memory the model owns (files are never mapped).
        #expect(loaded.weights.allSatisfy { !$0.isBorrowed })
        let x = Tensor(shape: [2, 3, 4], values: (0..<24).map { Float($0) / 10 - 1 })
        #expect(try loaded.predict(x) == model.predict(x))
        #expect(try FileReader.contents(ofDirectory: folder) == ["rich.nnm"], "no temporary file is left behind")
    }

    @Test(arguments: [(DType.float16, Float(1e-3)), (.bfloat16, 8e-3), (.float64, 0)])
    func reducedPrecisionRoundTrip(dtype: DType, relativeTolerance: Float) throws {
        let model = try Fixtures.richModel()
        let bytes = NNMWriter.encode(model, dtype: dtype, producer: "tests")
        let path = Fixtures.temporaryFolder() + "/m.nnm"
        try AtomicFile.write(bytes, to: path)
        let file = try NNMFile(path: path)
        #expect(file.header.weightDType == dtype)
        let loaded = try file.model()
        for (a, b) in zip(model.weights, loaded.weights) {
            #expect(a.shape == b.shape)
            for (x, y) in zip(a.scalars, b.scalars) { #expect(abs(x - y) <= relativeTolerance * abs(x) + 1e-30) }
            #expect(!b.isBorrowed)
        }
        // Optimizer slots are always float32.
        #expect(file.header.tensors.filter { $0.name.hasPrefix("optimizer/") }.allSatisfy { $0.dtype == .float32 })
        #expect(loaded.optimizerState == model.optimizerState)
    }

    @Test func bfloat16RoundsToNearestEven() {
        #expect(DType.bfloat16Bits(1.0) == 0x3F80)
        #expect(DType.bfloat16Bits(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie, even stays
        #expect(DType.bfloat16Bits(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie, odd rounds up
        #expect(DType.bfloat16Bits(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(Float(bitPattern: UInt32(DType.bfloat16Bits(.nan)) << 16).isNaN)
        #expect(DType.bfloat16Bits(.infinity) == 0x7F80)
    }

    @Test func withoutOptimizerStateTheFileHasOnlyWeights() throws {
        let model = try Fixtures.richModel()
        let bytes = NNMWriter.encode(model, producer: "tests", includeOptimizer: false)
        let path = Fixtures.temporaryFolder() + "/m.nnm"
        try AtomicFile.write(bytes, to: path)
        let header = try NNMFile.readHeader(path: path)
        #expect(header.optimizer == nil)
        #expect(header.tensors.map(\.name) == ["hidden/kernel", "hidden/bias", "frozen/kernel", "out/kernel", "out/bias"])
    }

    @Test func savingReplacesAnExistingFileAtomically() throws {
        let folder = Fixtures.temporaryFolder()
        let path = folder + "/m.nnm"
        try NNMWriter.write(try Fixtures.tinyModel(), to: path, producer: "first")
        try NNMWriter.write(try Fixtures.richModel(), to: path, producer: "second")
        #expect(try NNMFile(path: path).header.metadata.producer == "second")
        #expect(try FileReader.contents(ofDirectory: folder) == ["m.nnm"])
    }

    @Test func savingIntoAMissingFolderFailsCleanly() throws {
        let folder = Fixtures.temporaryFolder() + "/missing"
        let error = #expect(throws: ModelFileError.self) {
            try NNMWriter.write(try Fixtures.tinyModel(), to: folder + "/m.nnm", producer: "tests")
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("folder"))
        #expect(!FileReader.exists(folder))
    }
}

@Suite struct DamageTests {
    /// Every prefix of a valid file is refused with a ModelFileError (never a crash).
    @Test func everyTruncationIsRejected() throws {
        let bytes = NNMWriter.encode(try Fixtures.richModel(), producer: "tests")
        let folder = Fixtures.temporaryFolder()
        let path = folder + "/cut.nnm"
        var refused = 0
        for length in 0..<bytes.count {
            try Fixtures.write(Array(bytes[0..<length]), to: path)
            do {
                _ = try NNMFile(path: path).model()
                Issue.record("a \(length)-byte prefix of a \(bytes.count)-byte file loaded")
            } catch {
                refused += 1
            }
        }
        #expect(refused == bytes.count)
    }

    /// Flipping any single byte of the preamble, header or tensor data is detected (by a CRC or
    /// a check) — except the minor version, which readers accept whatever its value (spec section 2).
    @Test func everySingleByteCorruptionIsDetected() throws {
        let bytes = NNMWriter.encode(try Fixtures.tinyModel(), producer: "tests", createdAt: "2026-01-01T00:00:00Z")
        let path = Fixtures.temporaryFolder() + "/flip.nnm"
        try AtomicFile.write(bytes, to: path)
        let header = try NNMFile.readHeader(path: path)
        let used = Set(0..<(NNMFormat.preambleSize + header.headerLength)).subtracting([10, 11])
            .union(header.tensors.flatMap { t in (header.dataOffset + t.offset)..<(header.dataOffset + t.offset + t.length) })
        for position in used.sorted() {
            var damaged = bytes
            damaged[position] ^= 0x20
            try Fixtures.write(damaged, to: path)
            #expect(throws: ModelFileError.self, "byte \(position) = \(bytes[position])") { _ = try NNMFile(path: path).model() }
        }
    }

    @Test func noVerifySkipsTensorChecksumsButNotStructure() throws {
        let path = Fixtures.path("nnm/tensor-checksum.nnm")
        #expect(throws: ModelFileError.self) { _ = try NNMFile(path: path).model() }
        let model = try NNMFile(path: path).model(verify: false)
        #expect(model.weights[0].scalars == [0.5, -0.25])
    }
}
