@_spi(Testing) import NNSystem
@_spi(Testing) import NNData
import NNTestSupport
import Foundation
import NNModel
import NNHDF5
import Testing

/// Files that claim huge sizes must be refused before anything of that size is allocated
/// (see Spec/LIMITS.md). Each test gives the reader a small file whose header lies; a reader
/// that believed it would try to allocate terabytes and crash.
@Suite struct LimitsTests {
    // MARK: .nnm

    /// A `.nnm` image with the given header JSON (CRC-32 correct) and data section.
    static func nnm(header: [UInt8], data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
        var out = NNMFormat.magic + [1, 0, 0, 0]
        let crc = CRC32.checksum(header)
        out += (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * UInt32($0))) }
        let declared = length ?? UInt64(header.count)
        out += (0..<8).map { UInt8(truncatingIfNeeded: declared >> (8 * UInt64($0))) }
        out += header
        while out.count % NNMFormat.alignment != 0 { out.append(0) }
        return out + data
    }

    /// The header of a real small model with its tensor table replaced.
    static func header(tensors: String) throws -> [UInt8] {
        let model = try Sequential(tinyArchitecture, seed: 1)
        let file = try NNMFile(contents: NNMWriter.encode(model, producer: "limits"), path: "tiny.nnm")
        let architecture = KerasConfig.json(for: file.header.architecture).serialized()
        return Array("{\"architecture\": \(architecture), \"tensors\": \(tensors)}".utf8)
    }

    @Test func nnmHeaderLengthOf2To60IsRefused() throws {
        let bytes = Self.nnm(header: Array("{}".utf8), length: 1 << 60)
        #expect(throws: ModelFileError.headerTooLarge(path: "huge.nnm", length: 1 << 60, limit: NNMFormat.maximumHeaderLength)) {
            try NNMFile(contents: bytes, path: "huge.nnm")
        }
        // The header-only reader allocates the header it reads: it must refuse first too.
        let folder = try TemporaryFolder("limits")
        let path = try folder.write("huge.nnm", bytes)
        #expect(throws: ModelFileError.self) { try NNMFile.readHeader(path: path) }
        #expect(throws: ModelFileError.self) { try NNMFile(path: path) }
        // Just under the cap but past the end of the file.
        let past = Self.nnm(header: Array("{}".utf8), length: UInt64(NNMFormat.maximumHeaderLength))
        #expect(throws: ModelFileError.headerPastEnd(path: "p.nnm", length: UInt64(NNMFormat.maximumHeaderLength), fileSize: past.count)) {
            try NNMFile(contents: past, path: "p.nnm")
        }
    }

    @Test func nnmTensorOf2To62ElementsIsRefused() throws {
        let shapes = [
            "[2147483648, 2147483648]",          // 2^62 elements: 2^64 bytes overflow
            "[1048576, 1048576, 1048576, 4]",    // 2^62 elements of float16: 2^63 bytes overflow
            "[4611686018427387904]",             // 2^62 as one dimension (beyond exact JSON integers)
            "[1048576, 1048576, 1048576]",       // 2^60 elements: fits Int, length cannot match
        ]
        for (i, shape) in shapes.enumerated() {
            let dtype = i == 1 ? "float16" : "float32"
            let header = try Self.header(tensors: """
                [{"name": "hidden/kernel", "dtype": "\(dtype)", "shape": \(shape), "offset": 0, "length": 4398046511104, "crc32": 0}]
                """)
            let error = #expect(throws: ModelFileError.self) { try NNMFile(contents: Self.nnm(header: header), path: "t.nnm") }
            switch error {
            case .invalidTensorShape?, .tensorLengthMismatch?: break
            default: Issue.record("shape \(shape): \(String(describing: error))")
            }
        }
        // A length that matches 2^40 elements but lies past the 0-byte data section.
        let header = try Self.header(tensors: """
            [{"name": "hidden/kernel", "dtype": "float32", "shape": [1048576, 1048576], "offset": 0, "length": 4398046511104, "crc32": 0}]
            """)
        let error = #expect(throws: ModelFileError.self) { try NNMFile(contents: Self.nnm(header: header), path: "t.nnm") }
        guard case .tensorOutOfBounds? = error else { Issue.record("\(String(describing: error))"); return }
    }

    @Test func nnmRankAndTensorCountCaps() throws {
        let rank9 = try Self.header(tensors: """
            [{"name": "x", "dtype": "float32", "shape": [1, 1, 1, 1, 1, 1, 1, 1, 1], "offset": 0, "length": 4, "crc32": 0}]
            """)
        let error = #expect(throws: ModelFileError.self) { try NNMFile(contents: Self.nnm(header: rank9), path: "r.nnm") }
        guard case .invalidTensorShape? = error else { Issue.record("\(String(describing: error))"); return }
        let many = try Self.header(tensors: "[" + Array(repeating: "{}", count: NNMFormat.maximumTensorCount + 1).joined(separator: ",") + "]")
        #expect(throws: ModelFileError.tooManyTensors(path: "m.nnm", count: NNMFormat.maximumTensorCount + 1, limit: NNMFormat.maximumTensorCount)) {
            try NNMFile(contents: Self.nnm(header: many), path: "m.nnm")
        }
    }

    // MARK: JSON and Keras configs

    @Test func jsonDepthCap() throws {
        let deep = String(repeating: "[", count: JSON.maximumDepth + 1) + String(repeating: "]", count: JSON.maximumDepth + 1)
        #expect(throws: JSONParseError.self) { try JSON(parsing: deep) }
        let ok = String(repeating: "[", count: JSON.maximumDepth) + String(repeating: "]", count: JSON.maximumDepth)
        #expect(throws: Never.self) { try JSON(parsing: ok) }
        // Far deeper than the cap: refused without exhausting the stack.
        #expect(throws: ModelConfigError.self) { try KerasConfig.architecture(fromJSON: Array(String(repeating: "{\"a\":", count: 100_000).utf8)) }
    }

    static func config(inputShape: String, units: String) -> [UInt8] {
        Array("""
        {"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "InputLayer", "config": {"batch_shape": [null, \(inputShape)], "name": "in"}},
          {"class_name": "Dense", "config": {"name": "d", "units": \(units), "activation": "relu"}}]}}
        """.utf8)
    }

    @Test func kerasConfigWithHugeSizesIsRefused() throws {
        for (input, units) in [("4", "1e12"), ("4", "1000000000000"), ("4", "8589934592"), ("1048576, 1048576", "1"),
                               ("1, 1, 1, 1, 1, 1, 1, 1, 1", "1"), ("4", "1e300"), ("4", "-1"), ("4", "2.5")] {
            let error = #expect(throws: ModelConfigError.self, "input \(input), units \(units)") {
                try KerasConfig.architecture(fromJSON: Self.config(inputShape: input, units: units))
            }
            switch error {
            case .invalidField?, .invalidInputShape?: break
            default: Issue.record("input \(input), units \(units): \(String(describing: error))")
            }
        }
        // The largest Dense the architecture accepts still needs its weights from a file: nothing is allocated here.
        let largest = try KerasConfig.architecture(fromJSON: Self.config(inputShape: "4", units: "\(ModelArchitecture.maximumElements / 4)"))
        #expect(try largest.weightSpecs().first?.shape == [4, ModelArchitecture.maximumElements / 4])
    }

    // MARK: IDX, NPY, gzip, whole files

    @Test func idxWithDimension2To31InA20ByteFileIsRefused() throws {
        let oneAxis: [UInt8] = [0, 0, 8, 1, 0x80, 0, 0, 0] + Array(repeating: 7, count: 12)
        #expect(oneAxis.count == 20)
        let e1 = #expect(throws: DataError.self) { try IDXFile(contents: oneAxis, path: "a.idx") }
        guard case .invalidIDX? = e1 else { Issue.record("\(String(describing: e1))"); return }
        let threeAxes: [UInt8] = [0, 0, 8, 3, 0x80, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 2] + [1, 2, 3, 4]
        #expect(threeAxes.count == 20)
        let e2 = #expect(throws: DataError.self) { try IDXFile(contents: threeAxes, path: "b.idx") }
        guard case let .invalidIDX(_, reason)? = e2, reason.contains("\(IDXFile.maximumElements)") else {
            Issue.record("\(String(describing: e2))"); return
        }
        let allFF: [UInt8] = [0, 0, 8, 4] + Array(repeating: 0xFF, count: 16)
        #expect(throws: DataError.self) { try IDXFile(contents: allFF, path: "c.idx") }
    }

    static func npy(_ header: String, body: [UInt8] = []) -> [UInt8] {
        var h = header
        while (10 + h.utf8.count + 1) % 64 != 0 { h += " " }
        h += "\n"
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(h.utf8.count & 0xFF), UInt8(h.utf8.count >> 8)] + Array(h.utf8) + body
    }

    @Test func npyWithShape2To40IsRefused() throws {
        for shape in ["(1099511627776,)", "(1048576, 1048576)", "(4294967296, 4294967296, 4294967296)",
                      "(99999999999999999999999,)", "(2147483648, 2)"] {
            let bytes = Self.npy("{'descr': '<f8', 'fortran_order': False, 'shape': \(shape), }", body: [0, 0, 0, 0, 0, 0, 0, 0])
            let error = #expect(throws: DataError.self, "shape \(shape)") { try NPYArray(contents: bytes, path: "h.npy") }
            guard case .invalidNPY? = error else { Issue.record("\(shape): \(String(describing: error))"); continue }
        }
        // A version 2.0 header length of 4 GiB - 1 in a tiny file.
        let v2: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x7B]
        #expect(throws: DataError.self) { try NPYArray(contents: v2, path: "v2.npy") }
    }

    @Test func gzipOutputCap() throws {
        let bomb = try Fixture.bytes("fuzz/limits/zeros-4MiB.gz")
        #expect(throws: FileError.tooLarge(path: "z.gz", size: (1 << 20) + 1, limit: 1 << 20)) {
            try Gzip.decompress(bomb, path: "z.gz", limit: 1 << 20)
        }
        #expect(try Gzip.decompress(bomb, path: "z.gz").count == 4 << 20)
        // A trailer that claims 4 GiB is not believed: refused as damaged, not allocated up front.
        var lying = bomb
        lying.replaceSubrange((lying.count - 4)..., with: [0xFF, 0xFF, 0xFF, 0xFF])
        let error = #expect(throws: FileError.self) { try Gzip.decompress(lying, path: "z.gz") }
        guard case .invalidGzip? = error else { Issue.record("\(String(describing: error))"); return }
    }

    @Test func wholeFileReadCap() throws {
        let folder = try TemporaryFolder("limits")
        let path = try folder.write("zeros.bin", [UInt8](repeating: 0, count: 2048))
        #expect(throws: FileError.tooLarge(path: path, size: 2048, limit: 1024)) { try FileReader.bytes(path, limit: 1024) }
    }

    // MARK: .keras archives

    static let tinyConfig = Array(KerasConfig.json(for: tinyArchitecture).serialized().utf8)

    @Test func kerasMemberDeclaring1TBIsRefused() throws {
        // Deflated members: the compressed size is honest, the uncompressed size a claim the
        // member caps refuse before extraction.
        for (member, declared) in [("model.weights.h5", UInt64(1) << 40), ("config.json", UInt64(1) << 40),
                                   ("config.json", UInt64(1) << 30)] {
            var zip = ZipBuilder()
            zip.members = [
                .init(name: "config.json", data: Self.tinyConfig),
                .init(name: "model.weights.h5", data: Array(repeating: 0, count: 64)),
            ]
            let i = zip.members.firstIndex { $0.name == member }!
            zip.members[i].declaredUncompressed = declared
            zip.members[i].method = 8
            let error = #expect(throws: KerasImportError.self, "\(member) declaring \(declared)") {
                try KerasReader.read(contents: zip.bytes(), path: "huge.keras")
            }
            guard case let .archiveMemberTooLarge(_, name, size, limit)? = error else {
                Issue.record("\(member): \(String(describing: error))"); continue
            }
            #expect(name == member && size == declared && limit < declared)
        }
        // A stored member of 1 TB, compressed and uncompressed.
        var zip = ZipBuilder()
        zip.members = [
            .init(name: "config.json", data: Self.tinyConfig),
            .init(name: "model.weights.h5", data: Array(repeating: 0, count: 64),
                  declaredUncompressed: UInt64(1) << 40, declaredCompressed: UInt64(1) << 40),
        ]
        let stored = #expect(throws: KerasImportError.self) { try KerasReader.read(contents: zip.bytes(), path: "huge.keras") }
        guard case .archiveMemberTooLarge? = stored else { Issue.record("\(String(describing: stored))"); return }
        // Sizes near 2^64, which ZIPFoundation would add up and overflow, are refused with the directory.
        zip.members[1].declaredCompressed = UInt64.max - 40
        zip.members[1].declaredUncompressed = UInt64.max - 40
        let error = #expect(throws: KerasImportError.self) { try KerasReader.read(contents: zip.bytes(), path: "huge.keras") }
        guard case let .invalidArchive(_, reason)? = error, reason.contains("model.weights.h5") else {
            Issue.record("\(String(describing: error))"); return
        }
    }

    /// A member may declare exactly the member cap (16 GiB) with a compressed size just as large:
    /// the 1100× ratio guard is then no guard, and the reader used to reserve 16 GiB for it before
    /// reading a byte. The compressed size cannot exceed the archive itself.
    @Test func kerasMemberDeclaringTheCapInATinyArchiveIsRefused() throws {
        var zip = ZipBuilder()
        zip.members = [
            .init(name: "config.json", data: Self.tinyConfig),
            .init(name: "model.weights.h5", data: Array(repeating: 0, count: 64),
                  declaredUncompressed: UInt64(KerasReader.maximumArchiveMemberSize),
                  declaredCompressed: UInt64(KerasReader.maximumArchiveMemberSize), method: 8),
        ]
        let error = #expect(throws: KerasImportError.self) { try KerasReader.read(contents: zip.bytes(), path: "cap.keras") }
        guard case let .archiveMemberTooLarge(_, name, _, limit)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(name == "model.weights.h5")
        #expect(limit < 1 << 24)
    }

    // MARK: HDF5

    @Test func hdf5DatasetDeclaring2To40ElementsIsRefused() throws {
        let path = Fixture.path("fuzz/limits/huge-datasets.h5")
        for file in [try HDF5File(readingFrom: path), try HDF5File(bytes: try Fixture.bytes("fuzz/limits/huge-datasets.h5"), name: "h.h5")] {
            let root = try file.root
            let huge = #expect(throws: HDF5Error.self) { try root.dataset("huge_1d") }
            guard case let .implausibleSize(_, _, detail)? = huge, detail.contains("limit \(HDF5Limits.maxElementCount)") else { Issue.record("\(String(describing: huge))"); continue }
            // 4 GiB declared, nothing stored: more than HDF5Limits.maxExpansion times what the file holds.
            let expanding = #expect(throws: HDF5Error.self) { try root.dataset("four_gib") }
            guard case .implausibleSize? = expanding else { Issue.record("\(String(describing: expanding))"); continue }
            try file.close()
        }
        // A kernel of 2^34 elements is refused by the architecture limits already.
        let tooWide = ModelArchitecture(inputShape: [1 << 17], layers: [Layer(name: "dense", kind: .dense(Dense(units: 1 << 17)))])
        #expect(throws: ModelConfigError.self) { try tooWide.validated() }
        // As a Keras weights store for an architecture whose kernel (2^31 elements, 8 GiB) the
        // architecture limits allow: the HDF5 checks refuse the file's datasets before allocating.
        let wide = ModelArchitecture(inputShape: [1 << 15], layers: [Layer(name: "dense", kind: .dense(Dense(units: 1 << 16)))])
        _ = try wide.validated()
        let error = #expect(throws: KerasImportError.self) {
            try KerasReader.read(contents: try Fixture.bytes("fuzz/limits/huge-datasets.h5"), path: "h.h5", architecture: wide)
        }
        guard case .hdf5(.implausibleSize)? = error else { Issue.record("\(String(describing: error))"); return }
    }
}
