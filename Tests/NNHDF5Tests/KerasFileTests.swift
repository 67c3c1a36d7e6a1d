import Testing
@testable import NNHDF5

/// Reading a real tf_keras 2.21 `model.save_weights('x.h5')` file.
///
/// Expected values were computed with h5py 3.16 from the same file.
@Suite struct KerasFileTests {
    static func check(_ file: HDF5File) throws {
        let root = try file.root
        #expect(try root.stringArrayAttribute("layer_names") == ["flatten", "dense", "dense_1", "dense_2"])
        #expect(try root.stringAttribute("keras_version") == "2.21.0")
        #expect(try root.stringAttribute("backend") == "tensorflow")
        #expect(try root.attributeNames() == ["backend", "keras_version", "layer_names"])
        #expect(try root.memberNames() == ["dense", "dense_1", "dense_2", "flatten", "top_level_model_weights"])

        // Weightless layer: weight_names is an EMPTY float64 array.
        let flatten = try root.group("flatten")
        #expect(try flatten.stringArrayAttribute("weight_names") == [])
        #expect(try flatten.numericAttribute("weight_names") == [])
        #expect(try root.group("top_level_model_weights").stringArrayAttribute("weight_names") == [])

        // use_bias=False: only the kernel.
        let dense = try root.group("dense")
        let names = try #require(try dense.stringArrayAttribute("weight_names"))
        #expect(names == ["dense/kernel:0"])
        let kernel = try dense.dataset(names[0])
        #expect(kernel.name == "/dense/dense/kernel:0")
        #expect(kernel.shape == [784, 24])
        #expect(kernel.elementType == .float32)
        #expect(kernel.layout == .contiguous)
        #expect(kernel.storageBytes == 75264)
        let values = try kernel.readFloats()
        #expect(values.count == 784 * 24)
        #expect(Array(values.prefix(6)).map(\.bitPattern)
                == [0xbd49_9704, 0xbc6a_def6, 0x3d59_35de, 0xbd1f_97fd, 0x3d5e_ead7, 0xbd8a_7dc2])
        #expect(values.last == -0.026806512847542763)
        let sum = values.reduce(0.0) { $0 + Double($1) }
        #expect(abs(sum - -3.265013842354165) < 1e-9)

        #expect(try root.group("dense_1").stringArrayAttribute("weight_names") == ["dense_1/kernel:0", "dense_1/bias:0"])
        let bias = try root.dataset("dense_2/dense_2/bias:0").readFloats()
        #expect(bias == [-0.0640222579240799, 0.07114043086767197, 0.0568728893995285, -0.05157842859625816,
                         -0.018738513812422752, -0.08972546458244324, 0.024909120053052902, -0.15880481898784637,
                         0.05122080072760582, 0.03793327882885933])
        #expect(try root.dataset("dense_1/dense_1/kernel:0").shape == [24, 16])
        #expect(try root.kind(of: "dense/dense/kernel:0") == .dataset)
    }

    @Test func readsFromDisk() throws {
        try Self.check(try HDF5File(readingFrom: Fixture.path(Fixture.kerasWeights)))
    }

    @Test func readsFromMemory() throws {
        try Self.check(try HDF5File(bytes: try Fixture.bytes(Fixture.kerasWeights), name: "model.weights.h5"))
    }

    /// Two different images opened at once under the same name must not share data
    /// (HDF5 identifies core-driver files by name).
    @Test func sameNameImagesStayDistinct() throws {
        let directory = try TemporaryDirectory()
        var images: [[UInt8]] = []
        for value in [Float(1), Float(2)] {
            let path = directory.path("v\(value).h5")
            let file = try HDF5File.createOnDisk(at: path)
            try file.root.createDataset("v", shape: [1], floats: [value])
            try file.close()
            images.append(try TemporaryDirectory.read(path))
        }
        let first = try HDF5File(bytes: images[0], name: "model.weights.h5")
        let second = try HDF5File(bytes: images[1], name: "model.weights.h5")
        #expect(try first.root.dataset("v").readFloats() == [1])
        #expect(try second.root.dataset("v").readFloats() == [2])
    }

    /// The same disk file opened twice: closing one must not disturb the other.
    @Test func sameFileOpenedTwice() throws {
        let path = Fixture.path(Fixture.kerasWeights)
        let first = try HDF5File(readingFrom: path)
        let second = try HDF5File(readingFrom: path)
        let firstKernel = try first.root.dataset("dense/dense/kernel:0")
        let secondKernel = try second.root.dataset("dense/dense/kernel:0")
        try first.close()
        #expect(!first.isOpen)
        #expect(second.isOpen)
        #expect(try secondKernel.readFloats().count == 784 * 24)
        #expect(throws: HDF5Error.fileClosed(file: path, path: "/dense/dense/kernel:0")) {
            try firstKernel.readFloats()
        }
        try first.close()  // closing twice does nothing
    }

    /// Objects keep their file open; the file closes when the last one goes.
    @Test func objectsOutliveTheirFileVariable() throws {
        let kernel = try HDF5File(readingFrom: Fixture.path(Fixture.kerasWeights)).root.dataset("dense/dense/kernel:0")
        #expect(try kernel.readFloats().count == 784 * 24)
        #expect(kernel.file.isOpen)
    }

    /// Several threads reading at once, through one shared file and through their own.
    @Test func concurrentReaders() async throws {
        let bytes = try Fixture.bytes(Fixture.kerasWeights)
        let shared = try HDF5File(readingFrom: Fixture.path(Fixture.kerasWeights))
        let expected = try shared.root.dataset("dense/dense/kernel:0").readFloats()
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for _ in 0..<10 {
                        let file = task.isMultiple(of: 2) ? shared : try HDF5File(bytes: bytes, name: "w.h5")
                        let root = try file.root
                        guard try root.stringArrayAttribute("layer_names")?.count == 4 else { return false }
                        guard try root.dataset("dense/dense/kernel:0").readFloats() == expected else { return false }
                    }
                    return true
                }
            }
            for try await ok in group { #expect(ok) }
        }
    }
}
