import Foundation
import Testing
@testable import NNHDF5
import NNTestSupport

/// Writing a file with every writer and reading it back exactly.
@Suite struct RoundTripTests {
    /// 3000 names of 30 bytes: 90,000 bytes counted Keras's way, so they must split.
    static let bigNames: [String] = (0..<3000).map { index in
        let base = "layer_\(index)_"
        return base + String(repeating: "x", count: 30 - base.utf8.count)
    }

    static let unicode = "naïve ✓ 日本語 🚀"

    /// Writes the round-trip file at `path`.
    static func writeSample(at path: String) throws {
        let file = try HDF5File.createOnDisk(at: path)
        let root = try file.root
        try root.setStringAttribute("keras_version", "3.15.1")
        try root.setStringAttribute("unicode", unicode)
        try root.setStringAttribute("empty_string", "")
        try root.setStringArrayAttribute("layer_names", ["flatten", "dense", "dense_1"])
        try root.setStringArrayAttribute("unicode_names", ["é", unicode, ""])
        try root.setStringArrayAttribute("big", bigNames)
        try root.setStringArrayAttribute("no_names", [])
        try root.setDoubleArrayAttribute("numbers", [1.5, -2, 1e300])

        let weights = try root.createGroup("model_weights")
        let flatten = try weights.createGroup("flatten")
        try flatten.setEmptyFloat64ArrayAttribute("weight_names")
        let dense = try weights.createGroup("dense")
        try dense.setStringArrayAttribute("weight_names", ["dense/kernel:0", "dense/bias:0"])
        // Intermediate group "dense" is created on the way, like h5py does.
        let kernel = try dense.createDataset("dense/kernel:0", shape: [2, 3], floats: [1, 2, 3, 4, 5, -6.5])
        try kernel.setStringAttribute("note", "on a dataset")
        try dense.createDataset("dense/bias:0", shape: [3], floats: [0.25, .greatestFiniteMagnitude, -0.0])

        try root.createGroup("a/b/c")
        try root.createDataset("a/b/c/doubles", shape: [2, 2], doubles: [1e-300, 2, 3, .pi])
        try root.createDataset("scalar", shape: [], floats: [42])
        try root.createDataset("scalar_double", shape: [], doubles: [-1.25])
        try root.createDataset("scalar_int64", shape: [], int64s: [123_456_789_012])
        try root.createDataset("int64s", shape: [3], int64s: [-1, 0, .max])
        try root.createDataset("empty", shape: [0], floats: [])
        try root.createDataset("empty3d", shape: [2, 0, 3], doubles: [])
        try root.createDataset("ones", shape: [1, 1, 1, 1], floats: [1])
        try file.close()
    }

    /// Checks everything `writeSample` wrote.
    static func verifySample(_ file: HDF5File) throws {
        let root = try file.root
        #expect(root.name == "/")
        #expect(try root.stringAttribute("keras_version") == "3.15.1")
        #expect(try root.stringAttribute("unicode") == unicode)
        #expect(try root.stringAttribute("empty_string") == "")
        #expect(try root.stringAttribute("absent") == nil)
        #expect(try root.stringArrayAttribute("layer_names") == ["flatten", "dense", "dense_1"])
        #expect(try root.stringArrayAttribute("unicode_names") == ["é", unicode, ""])
        #expect(try root.stringArrayAttribute("big") == bigNames)
        #expect(try root.stringArrayAttribute("no_names") == [])
        #expect(try root.stringArrayAttribute("absent") == nil)
        #expect(try root.numericAttribute("numbers") == [1.5, -2, 1e300])
        #expect(try root.numericAttribute("absent") == nil)

        // The big array was split like Keras splits it.
        let attributeNames = try root.attributeNames()
        #expect(!attributeNames.contains("big"))
        #expect(attributeNames.contains("big0"))
        #expect(attributeNames.contains("big1"))
        #expect(!attributeNames.contains("big2"))
        #expect(try root.stringArrayAttribute("big0")?.count == 1500)

        #expect(try root.memberNames() == ["a", "empty", "empty3d", "int64s", "model_weights", "ones", "scalar", "scalar_double",
                                           "scalar_int64"])
        let weights = try root.group("model_weights")
        #expect(weights.name == "/model_weights")
        #expect(try weights.memberNames() == ["dense", "flatten"])
        let flatten = try weights.group("flatten")
        #expect(try flatten.stringArrayAttribute("weight_names") == [])
        #expect(try flatten.numericAttribute("weight_names") == [])
        let dense = try weights.group("dense")
        let names = try #require(try dense.stringArrayAttribute("weight_names"))
        #expect(names == ["dense/kernel:0", "dense/bias:0"])

        let kernel = try dense.dataset(names[0])
        #expect(kernel.name == "/model_weights/dense/dense/kernel:0")
        #expect(kernel.shape == [2, 3])
        #expect(kernel.elementType == .float32)
        #expect(kernel.layout == .contiguous)
        #expect(kernel.declaredBytes == 24)
        #expect(kernel.storageBytes == 24)
        #expect(try kernel.readFloats() == [1, 2, 3, 4, 5, -6.5])
        #expect(try kernel.readDoubles() == [1, 2, 3, 4, 5, -6.5])
        #expect(try kernel.stringAttribute("note") == "on a dataset")
        let bias = try dense.dataset(names[1]).readFloats()
        #expect(bias.map(\.bitPattern) == [Float(0.25), .greatestFiniteMagnitude, -0.0].map(\.bitPattern))

        let doubles = try root.dataset("a/b/c/doubles")
        #expect(doubles.elementType == .float64)
        #expect(try doubles.readDoubles() == [1e-300, 2, 3, .pi])
        // The same dataset through an absolute path, from another group.
        #expect(try weights.dataset("/a/b/c/doubles").readDoubles() == [1e-300, 2, 3, .pi])

        let scalar = try root.dataset("scalar")
        #expect(scalar.shape == [])
        #expect(scalar.elementCount == 1)
        #expect(try scalar.readFloats() == [42])
        #expect(try root.dataset("scalar_double").readDoubles() == [-1.25])
        let int64 = try root.dataset("scalar_int64")
        #expect(int64.shape == [] && int64.elementType == .integer(bits: 64, signed: true))
        #expect(try int64.readDoubles() == [123_456_789_012])
        #expect(try root.dataset("int64s").readDoubles() == [-1, 0, Double(Int64.max)])

        let empty = try root.dataset("empty")
        #expect(empty.shape == [0])
        #expect(empty.elementCount == 0)
        #expect(try empty.readFloats() == [])
        let empty3d = try root.dataset("empty3d")
        #expect(empty3d.shape == [2, 0, 3])
        #expect(try empty3d.readDoubles() == [])
        #expect(try root.dataset("ones").shape == [1, 1, 1, 1])

        #expect(try root.kind(of: "a") == .group)
        #expect(try root.kind(of: "a/b/c/doubles") == .dataset)
        #expect(try root.kind(of: "nothing") == .missing)
        #expect(try root.kind(of: "/") == .group)
        #expect(try root.hasMember("a/b/c/doubles"))
        #expect(try root.hasMember("/a/b"))
        #expect(try !root.hasMember("a/x/c"))
        #expect(try !root.hasMember("scalar/x"))
        #expect(try !root.hasMember(""))
        #expect(try !root.hasMember("a//b"))
    }

    @Test func writesAndReadsBackFromDisk() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("round_trip.h5")
        try Self.writeSample(at: path)
        let file = try HDF5File(readingFrom: path)
        #expect(file.path == path)
        #expect(!file.isWritable)
        try Self.verifySample(file)
    }

    @Test func readsBackFromMemoryImage() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("round_trip.h5")
        try Self.writeSample(at: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let file = try HDF5File(bytes: bytes, name: "model.weights.h5")
        #expect(file.path == "model.weights.h5")
        try Self.verifySample(file)
    }

    @Test func readsBackWhileStillOpenForWriting() throws {
        let directory = try TemporaryDirectory()
        let file = try HDF5File.createOnDisk(at: directory.path("open.h5"))
        let root = try file.root
        try root.createDataset("d", shape: [2], doubles: [1, 2])
        try root.setStringArrayAttribute("names", ["x"])
        try root.setStringArrayAttribute("names", ["y", "z"])  // replaces
        #expect(try root.stringArrayAttribute("names") == ["y", "z"])
        #expect(try root.dataset("d").readDoubles() == [1, 2])
        try file.flush()
    }

    @Test func replacingASplitAttributeRemovesOldPieces() throws {
        let directory = try TemporaryDirectory()
        let file = try HDF5File.createOnDisk(at: directory.path("split.h5"))
        let root = try file.root
        try root.setStringArrayAttribute("names", Self.bigNames)
        #expect(try root.hasAttribute("names1"))
        try root.setStringArrayAttribute("names", ["small"])
        #expect(try root.attributeNames().filter { $0.hasPrefix("names") } == ["names"])
        #expect(try root.stringArrayAttribute("names") == ["small"])
        #expect(try root.deleteAttribute("names"))
        #expect(try !root.deleteAttribute("names"))
    }

    /// The split points match numpy's `array_split` as used by Keras.
    @Test func kerasSplitMatchesNumpyArraySplit() {
        // 3000 × 30 bytes = 90,000 > 64,512: two pieces of 1500.
        #expect(HDF5Object.kerasSplit(count: 3000, itemSize: 30, limit: 64512) == [0..<1500, 1500..<3000])
        // 5 × 20,000: ceil(5/2) × 20,000 = 60,000 fits; numpy gives [3, 2].
        #expect(HDF5Object.kerasSplit(count: 5, itemSize: 20000, limit: 64512) == [0..<3, 3..<5])
        // 7 × 30,000: at most 2 per piece -> 4 pieces [2, 2, 2, 1].
        #expect(HDF5Object.kerasSplit(count: 7, itemSize: 30000, limit: 64512) == [0..<2, 2..<4, 4..<6, 6..<7])
        // Exactly at the limit stays in one piece.
        #expect(HDF5Object.kerasSplit(count: 2, itemSize: 32256, limit: 64512) == [0..<2])
        #expect(HDF5Object.kerasSplit(count: 0, itemSize: 1, limit: 64512) == [0..<0])
    }

    /// String arrays take the forms Keras's `save_attributes_to_hdf5_group` gives them (h5py
    /// writes the same with Keras's code): one variable-length attribute while it fits in a 64 KiB
    /// object header message (4,091 strings of 16 bytes each with this name), split into
    /// fixed-length `name0`, `name1`, ... when numpy's count (strings × longest) exceeds 64,512
    /// bytes, and in between (where Keras itself fails with "object header message is too
    /// large") one fixed-length attribute.
    @Test(arguments: [
        (4_091, [("names", "variable-length", 4_091)]),
        (4_092, [("names", "fixed-length 10", 4_092)]),
        (6_451, [("names", "fixed-length 10", 6_451)]),
        (6_452, [("names0", "fixed-length 10", 3_226), ("names1", "fixed-length 10", 3_226)]),
        (10_000, [("names0", "fixed-length 10", 5_000), ("names1", "fixed-length 10", 5_000)]),
    ])
    func manyStringsTakeKerasForms(_ count: Int, _ forms: [(String, String, Int)]) throws {
        // Names of exactly 10 bytes: the longest one sets numpy's item size.
        let names = (0..<count).map { "n" + String(repeating: "0", count: 9 - String($0).count) + String($0) }
        let written = try HDF5File.createInMemory(name: "many.h5")
        try written.root.setStringArrayAttribute("names", names)
        let file = try HDF5File(bytes: try written.fileImage(), name: "many.h5")
        let root = try file.root
        #expect(try root.attributeNames() == forms.map(\.0))
        for (name, type, elements) in forms {
            let form = try HDF5TestSupport.stringAttributeForm(of: root, name)
            #expect(form?.type == type && form?.count == elements, "\(name): \(String(describing: form))")
        }
        #expect(try root.stringArrayAttribute("names") == names)
    }

    @Test func rejectsBadWrites() throws {
        let directory = try TemporaryDirectory()
        let file = try HDF5File.createOnDisk(at: directory.path("bad.h5"))
        let root = try file.root
        #expect(throws: HDF5Error.self) { try root.createDataset("x", shape: [2, 2], floats: [1, 2, 3]) }
        #expect(throws: HDF5Error.self) { try root.createDataset("x", shape: [-1], floats: []) }
        #expect(throws: HDF5Error.self) { try root.createDataset("/abs", shape: [1], floats: [1]) }
        #expect(throws: HDF5Error.self) { try root.createDataset("a//b", shape: [1], floats: [1]) }
        #expect(throws: HDF5Error.self) { try root.setStringAttribute("", "x") }
        #expect(throws: HDF5Error.self) { try root.setStringAttribute("nul", "a\u{0}b") }
        let tooLong = String(repeating: "x", count: 64513)
        #expect(throws: HDF5Error.self) { try root.setStringArrayAttribute("long", [tooLong]) }
        try root.createGroup("g")
        let duplicate = #expect(throws: HDF5Error.self) { try root.createGroup("g") }
        if case .libraryFailure(_, let path, _, let message)? = duplicate {
            #expect(path == "/g")
            #expect(!message.isEmpty)
        } else {
            Issue.record("expected libraryFailure, got \(String(describing: duplicate))")
        }
    }

    /// A list attribute (Keras's `layer_names`, `weight_names`) must be one-dimensional: h5py, and
    /// so Keras, read a scalar string as its characters and a 2-D array as rows.
    @Test func listAttributesMustBeOneDimensional() throws {
        let file = try HDF5File.createInMemory(name: "scalar.h5")
        let root = try file.root
        try root.setStringAttribute("layer_names", "dense")
        let scalar = #expect(throws: HDF5Error.self) { try root.stringArrayAttribute("layer_names") }
        #expect("\(scalar.map(String.init(describing:)) ?? "")".contains("expected a one-dimensional array of strings, found a string"))
        let twoD = try HDF5File(readingFrom: Fixture.path("layer-names-2d.h5"))
        let error = #expect(throws: HDF5Error.self) { try twoD.root.group("model_weights").stringArrayAttribute("layer_names") }
        #expect("\(error.map(String.init(describing:)) ?? "")".contains("found a 2-dimensional array of 12 strings"))
        try root.setStringArrayAttribute("weight_names", ["a", "b"])
        #expect(try root.stringArrayAttribute("weight_names") == ["a", "b"])
    }
}

/// Pieces of a dataset: the boxes that select a flat run of elements, and reads and writes of
/// runs that start and end anywhere.
@Suite struct DatasetPieceTests {
    /// Every flat run of arrays of a few shapes: the boxes are disjoint and their union is the run.
    @Test(arguments: [[7], [3, 4], [2, 3, 4], [2, 1, 3, 5], [4, 0, 2]])
    func boxesCoverExactlyTheRun(shape: [Int]) {
        let total = shape.reduce(1, *)
        for start in 0...total {
            for count in 0...(total - start) {
                var covered: [Int] = []
                let boxes = HDF5Dataset.boxes(from: start, count: count, in: shape)
                #expect(boxes.count <= 2 * shape.count + 1)
                for box in boxes {
                    #expect(box.start.count == shape.count && box.count.count == shape.count)
                    // Every index of the box, flattened in C order.
                    var indices = [0]
                    for axis in shape.indices {
                        indices = indices.flatMap { prefix in (0..<box.count[axis]).map { prefix * shape[axis] + box.start[axis] + $0 } }
                    }
                    covered += indices
                }
                #expect(covered.sorted() == Array(start..<start + count), "shape \(shape), run \(start)..<\(start + count)")
                #expect(Set(covered).count == covered.count)
            }
        }
        #expect(HDF5Dataset.boxes(from: 0, count: 1, in: []).count == 1, "a scalar is one box")
    }

    @Test func runsAreWrittenAndReadAnywhere() throws {
        let folder = try TemporaryFolder("pieces")
        let path = folder.file("p.h5")
        let shape = [5, 6, 7]
        let values = (0..<210).map { Float($0) * 0.5 - 3 }
        do {
            let file = try HDF5File.createOnDisk(at: path)
            let root = try file.root
            for float64 in [false, true] {
                let dataset = try root.createDataset(float64 ? "d" : "f", shape: shape, float64: float64)
                var start = 0
                for n in [1, 2, 41, 6, 100, 60] {
                    if float64 {
                        try values[start..<start + n].map(Double.init).withUnsafeBufferPointer { try dataset.write($0, at: start) }
                    } else {
                        try values[start..<start + n].withUnsafeBufferPointer { try dataset.write($0, at: start) }
                    }
                    start += n
                }
                #expect(start == 210)
                #expect(throws: HDF5Error.self) { try [Float(1), 2].withUnsafeBufferPointer { try dataset.write($0, at: 209) } }
            }
            try file.close()
        }
        let file = try HDF5File(readingFrom: path)
        let root = try file.root
        for name in ["f", "d"] {
            let dataset = try root.dataset(name)
            #expect(try dataset.readFloats() == values)
            for (start, n) in [(0, 210), (0, 1), (6, 37), (41, 43), (209, 1), (100, 110)] {
                var piece = [Float](repeating: 0, count: n)
                try piece.withUnsafeMutableBufferPointer { try dataset.readFloats(from: start, into: $0) }
                #expect(piece == Array(values[start..<start + n]), "\(name) \(start)..<\(start + n)")
            }
            var tooMany = [Float](repeating: 0, count: 2)
            #expect(throws: HDF5Error.self) { try tooMany.withUnsafeMutableBufferPointer { try dataset.readFloats(from: 209, into: $0) } }
        }
    }
}
