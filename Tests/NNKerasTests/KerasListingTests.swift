import Foundation
import NNHDF5
import NNModel
import NNTestSupport
import Testing

/// `ModelFile.describe` on Keras files nnmodel reads but cannot run, and on HDF5 files that are
/// not Keras models: what they hold, and why nnmodel cannot run them.
@Suite struct KerasListingTests {
    static var folder: String { KerasConformanceTests.folder }

    static func listing(_ path: String, statistics: Bool = false) throws -> FileListing {
        guard case let .listing(listing) = try ModelFile.describe(path, statistics: statistics) else {
            Issue.record("\(path) was described as a runnable model")
            throw CancellationError()
        }
        return listing
    }

    @Test func aDepthwiseConvolutionArchiveListsItsLayersAsWrittenAndItsArrays() throws {
        let path = Self.folder + "refuse_depthwise_k3.keras"
        let listing = try Self.listing(path, statistics: true)
        #expect(listing.obstacle == .unsupportedArchitecture)
        // The reason is the one loading the file gives.
        let loadError = #expect(throws: (any Error).self) { try ModelFile.load(path) }
        #expect(listing.reason == loadError.map { "\($0)" })
        #expect(listing.reason.contains("'per_channel' has unsupported class 'DepthwiseConv2D'"))
        #expect(listing.modelClass == "Sequential" && listing.modelName == "sequential")
        #expect(listing.layers.map(\.name) == ["input_layer", "per_channel", "flatten", "dense"])
        #expect(listing.layers.map(\.className) == ["InputLayer", "DepthwiseConv2D", "Flatten", "Dense"])
        #expect(listing.layers.map { $0.problem != nil } == [false, true, false, false])
        #expect(listing.layers[1].problem?.hasPrefix("layer 'per_channel' has unsupported class 'DepthwiseConv2D'; supported: ") == true)
        // Shapes: stated by the config (the Flatten's recorded input shape), else worked out.
        #expect(listing.layers.map(\.outputShape) == [[8, 8, 3], [6, 6, 3], [108], [3]])
        #expect(listing.layers.map(\.parameterCount) == [nil, 30, 0, 327])
        // The config as written, whole.
        let conv = listing.layers[1].config
        #expect(conv["kernel_size"] == .ints([3, 3]) && conv["activation"]?.stringValue == "linear")
        #expect(listing.layers[1].inputs == nil, "a Sequential model's layers each feed the next")
        // Every stored array, as stored, with statistics.
        #expect(listing.tensors.map(\.name) == ["/layers/dense/vars/0", "/layers/dense/vars/1", "/layers/depthwise_conv2d/vars/0", "/layers/depthwise_conv2d/vars/1"])
        #expect(listing.tensors.map(\.shape) == [[108, 3], [3], [3, 3, 3, 1], [3]])
        #expect(listing.tensors.allSatisfy { $0.dtype == "float32" && $0.statistics != nil && $0.note == nil })
        #expect(listing.storedValueCount == 357)
        #expect(listing.file.format == .keras && listing.file.layout == "Keras archive (.keras)")
        #expect(listing.file.kerasVersion == "3.15.1" && listing.file.producer == "keras 3.15.1" && !listing.file.writtenByNNModel)
        // The same from the bytes in memory.
        let bytes = try FileReader.bytes(path)
        guard case let .listing(fromBytes) = try ModelFile.describe(contents: bytes, name: "conv.keras") else {
            Issue.record("described from memory as runnable")
            return
        }
        #expect(fromBytes.layers.map(\.name) == listing.layers.map(\.name) && fromBytes.file.fileSize == bytes.count)
        #expect(fromBytes.reason.hasPrefix("conv.keras: "))
    }

    @Test func aBranchingModelMarksEveryLayerThatBreaksTheChain() throws {
        for file in ["refuse_branching_k3.keras", "refuse_branching_k3.h5"] {
            let listing = try Self.listing(Self.folder + file)
            #expect(listing.modelClass == "Functional", "\(file)")
            #expect(listing.layers.map(\.name) == ["features", "left", "right", "join", "probs"], "\(file)")
            #expect(listing.layers.map(\.inputs) == [[], ["features"], ["features"], ["left", "right"], ["join"]], "\(file)")
            #expect(listing.layers.map { $0.problem != nil } == [false, false, true, true, false], "\(file)")
            #expect(listing.layers[3].problem?.contains("unsupported class 'Add'") == true, "\(file)")
            #expect(listing.layers[3].problem?.contains("takes 2 inputs (left, right)") == true, "\(file)")
            #expect(listing.layers.map(\.parameterCount) == [nil, 28, 28, 0, 15], "\(file)")
        }
        // Keras 3 records the shapes of the tensors between the layers.
        let archive = try Self.listing(Self.folder + "refuse_branching_k3.keras")
        #expect(archive.layers.map(\.outputShape) == [[6], [4], [4], [4], [3]])
    }

    @Test func weightsAloneAreListedWithTheirArrays() throws {
        let store = try Self.listing(Self.folder + "fmnist8_k3.weights.h5")
        #expect(store.obstacle == .weightsOnly && store.layers.isEmpty)
        #expect(store.reason.contains("holds weights only") && !store.reason.contains("--"))
        #expect(store.tensors.count == 14 && store.tensors.first?.name == "/layers/dense/vars/0")
        #expect(store.tensors.first { $0.name == "/optimizer/vars/0" }.map { $0.dtype == "int64" && $0.shape == [] } == true)
        let legacy = try Self.listing(Self.folder + "fmnist8_tfk_legacy_weights.h5", statistics: true)
        #expect(legacy.obstacle == .weightsOnly)
        #expect(legacy.file.layout == "Keras 2 legacy HDF5 weights (save_weights .h5)" && legacy.file.kerasVersion == "2.21.0")
        #expect(legacy.tensors.map(\.name) == ["/dense/dense/bias:0", "/dense/dense/kernel:0", "/dense_1/dense_1/bias:0", "/dense_1/dense_1/kernel:0"])
        #expect(legacy.tensors.allSatisfy { $0.statistics != nil })
        // Given an architecture, the same file is a model.
        let architecture = try ModelFile.load(Self.folder + "fmnist8_tfk.h5").architecture
        #expect(try ModelFile.describe(Self.folder + "fmnist8_tfk_legacy_weights.h5", architecture: architecture).isRunnable)
    }

    /// An HDF5 file that is not a Keras model: its datasets like h5ls -r, and its root attributes.
    @Test func anHDF5FileThatIsNoModelIsListedLikeH5ls() throws {
        let folder = try TemporaryFolder("listing")
        let path = folder.file("data.h5")
        do {
            let file = try HDF5File.createOnDisk(at: path)
            let root = try file.root
            try root.createDataset("images/train", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
            try root.createDataset("images/mean", shape: [], doubles: [3.5])
            try root.createDataset("labels", shape: [2], int64s: [7, 9])
            try root.createGroup("empty")
            try HDF5TestSupport.createSoftLink(in: root, name: "latest", target: "/images/train")
            try root.setStringAttribute("title", "measurements")
            try root.setDoubleArrayAttribute("scale", [0.5, 2])
            try file.close()
        }
        let listing = try Self.listing(path, statistics: true)
        #expect(listing.obstacle == .notAModel && listing.layers.isEmpty)
        #expect(listing.reason.contains("not laid out as Keras saves models"))
        #expect(listing.file.format == .h5 && listing.file.layout == "HDF5 file (not a Keras model)")
        #expect(listing.tensors.map(\.name) == ["/images/mean", "/images/train", "/labels", "/latest"])
        #expect(listing.tensors.map(\.dtype) == ["float64", "float32", "int64", nil])
        #expect(listing.tensors.map(\.shape) == [[], [2, 3], [2], nil])
        #expect(listing.tensors[3].note == "a soft link to '/images/train', not followed")
        #expect(listing.tensors[1].statistics.map { $0.minimum == 1 && $0.maximum == 6 && $0.mean == 3.5 } == true)
        #expect(listing.tensors[2].statistics?.maximum == 9)
        #expect(listing.attributes.map(\.name) == ["scale", "title"])
        #expect(listing.attributes.map(\.value) == [.array([.number(0.5), .number(2)]), .string("measurements")])
        // A real h5py file: every dataset with its type and shape, every root attribute (an
        // unreadable one says why, without failing the listing).
        let h5py = try Self.listing(Repository.fixture("hdf5/h5py_types.h5"))
        #expect(h5py.tensors.count == 13 && h5py.tensors.contains { $0.name == "/compound" && $0.dtype == "compound" && $0.shape == [2] })
        #expect(h5py.attributes.first { $0.name == "ints" }?.value == .ints([1, 2, 3]))
        #expect(h5py.attributes.first { $0.name == "bad_utf8" }?.value.stringValue?.contains("not valid UTF-8") == true)
    }

    /// Damaged files are refused as loading refuses them; runnable ones are inspected in full.
    @Test(arguments: ["damaged_kernel_shape.h5", "damaged_missing_weight.h5", "damaged_random.h5", "damaged_truncated.h5",
                      "damaged_empty.h5", "damaged_no_config.keras", "damaged_zip_declared_size.keras"])
    func damagedFilesAreStillRefused(_ file: String) throws {
        let path = Self.folder + file
        let loadError = #expect(throws: (any Error).self) { try ModelFile.load(path) }
        let describeError = #expect(throws: (any Error).self) { try ModelFile.describe(path) }
        #expect(describeError.map { "\($0)" } == loadError.map { "\($0)" })
    }

    @Test func runnableFilesAreInspectedInFull() throws {
        guard case let .model(inspection) = try ModelFile.describe(Self.folder + "fmnist8_k3.keras") else {
            Issue.record("a runnable model was listed")
            return
        }
        #expect(inspection.architecture.layers.count == 3)
    }

    /// Every fixture Keras refuses on its own is either listed (nnmodel reads it but cannot run it)
    /// or, when damaged, refused.
    @Test(arguments: KerasConformanceTests.entries.filter { !$0.succeeds })
    func everyRefusedFixtureIsListedUnlessDamaged(_ entry: KerasConformanceTests.Entry) throws {
        let path = Self.folder + entry.file
        if entry.file.hasPrefix("damaged_") {
            #expect(throws: (any Error).self) { try ModelFile.describe(path) }
        } else {
            let listing = try Self.listing(path)
            #expect(!listing.tensors.isEmpty, "\(entry.file)")
            #expect(listing.obstacle == (entry.architectureFrom == "this file" ? .unsupportedArchitecture : .weightsOnly), "\(entry.file)")
        }
    }
}

/// Weights of the layers beyond Dense are matched by structure, never guessed.
@Suite struct KerasLayerWeightsTests {
    /// Keras reads a legacy `.h5` layer's weights by position; a file whose `weight_names` say
    /// another order (gamma and moving_variance swapped) would load two ways, and is refused.
    @Test func weightNamesThatContradictKerasOrderAreRefused() throws {
        let path = Repository.fixture("hdf5/bn_swapped_weight_names.h5")
        do {
            _ = try ModelFile.load(path)
            Issue.record("loaded")
        } catch {
            let message = "\(error)"
            #expect(message.contains(path) && message.contains("'bn'") && message.contains("moving_variance")
                    && message.contains("gamma"), "\(message)")
        }
        // The untouched file loads.
        _ = try ModelFile.load(Repository.fixture("keras/batchnorm_dense_k3.h5"))
    }

    /// Images in another axis order (channels first) are refused, not read wrong; a squeezed or
    /// flat image is read row-major.
    @Test func samplesMustHaveTheModelsShape() throws {
        let model = try ModelFile.load(Repository.fixture("keras/prelu_image_k3.keras"))
        #expect(model.architecture.inputShape == [8, 8, 3])
        #expect(model.architecture.accepts(sampleShape: [8, 8, 3]))
        #expect(model.architecture.accepts(sampleShape: [192]))
        #expect(!model.architecture.accepts(sampleShape: [3, 8, 8]))
        #expect(!model.architecture.accepts(sampleShape: [24, 8]))
        let wrong = Tensor(shape: [2, 3, 8, 8], values: [Float](repeating: 0.5, count: 384))
        #expect(throws: (any Error).self) { try model.predict(wrong) }
        let grey = ModelArchitecture.convolutional()
        #expect(grey.accepts(sampleShape: [28, 28]) && grey.accepts(sampleShape: [28, 28, 1]) && grey.accepts(sampleShape: [784]))
    }
}
