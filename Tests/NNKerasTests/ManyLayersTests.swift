import Foundation
import NNHDF5
import NNModel
import NNTestSupport
import Testing

/// Models with as many layers as an architecture may have (`ModelArchitecture.maximumLayers`)
/// save and load in every Keras layout, with `layer_names` stored in a form Keras reads.
@Suite struct ManyLayersTests {
    /// Flatten then `count - 1` layers on a one-value input: every tenth a Dense(1) (a group
    /// with `weight_names` and two datasets), the others Activation layers (a group with an empty
    /// `weight_names`), named `layer_1`, `layer_2`, ... (at most 10 bytes).
    static func model(layers count: Int) throws -> Sequential {
        var layers = [Layer(name: "flatten", kind: .flatten)]
        for index in 1..<count {
            let kind: LayerKind = index % 10 == 1 ? .dense(Dense(units: 1, activation: .linear, useBias: true)) : .activation(.relu)
            layers.append(Layer(name: "layer_\(index)", kind: kind))
        }
        return try Sequential(ModelArchitecture(name: "many", inputShape: [1], layers: layers), seed: 5)
    }

    /// The `layer_names` attributes of `model_weights`, in name order.
    static func layerNameAttributes(_ path: String) throws -> [String] {
        let file = try HDF5File(readingFrom: path)
        defer { try? file.close() }
        return try file.root.group("model_weights").attributeNames().filter { $0.hasPrefix("layer_names") }
    }

    /// 4,500 names of at most 10 bytes fit in one attribute counted Keras's way (45,000 bytes),
    /// but not as variable-length strings (16 bytes each: 72,000 > 64 KiB; Keras itself fails
    /// there): one attribute of fixed-length strings. 10,000 names (100,000 bytes) are split in
    /// two, `layer_names0` and `layer_names1`, as Keras splits them.
    @Test(arguments: [(4_500, ["layer_names"]), (ModelArchitecture.maximumLayers, ["layer_names0", "layer_names1"])])
    func legacyH5RoundTrips(_ count: Int, _ attributes: [String]) throws {
        let folder = try TemporaryFolder("many-layers-h5")
        let model = try Self.model(layers: count)
        let path = folder.file("m.h5")
        try ModelFile.save(model, to: path)
        let back = try ModelFile.load(path)
        #expect(back.architecture == model.architecture)
        #expect(back.weights == model.weights)
        #expect(try Self.layerNameAttributes(path) == attributes)
        try Self.checkWithKerasReader(path, model: model, folder: folder)
    }

    /// The `.keras` archive, and its weights store read on its own as a `.weights.h5`.
    @Test func kerasArchiveAndWeightsStoreRoundTrip() throws {
        let folder = try TemporaryFolder("many-layers-keras")
        let model = try Self.model(layers: ModelArchitecture.maximumLayers)
        let path = folder.file("m.keras")
        try ModelFile.save(model, to: path)
        let back = try ModelFile.load(path)
        #expect(back.architecture == model.architecture)
        #expect(back.weights == model.weights)

        let store = try folder.write("m.weights.h5", try ZipDirectory(try Repository.bytes(path)).contents("model.weights.h5"))
        let weights = try ModelFile.open(store, architecture: model.architecture)
        #expect(weights.file.layout == "Keras weights store (.weights.h5)")
        #expect(weights.model.weights == model.weights)
    }

    /// h5py reads the file as Keras's `load_attributes_from_hdf5_group` and `load_weights_from_hdf5_group`
    /// do, and Keras's `save_attributes_to_hdf5_group`, given the same names, writes the same
    /// attributes (or fails where this writer falls back to fixed-length strings).
    static func checkWithKerasReader(_ path: String, model: Sequential, folder: TemporaryFolder) throws {
        guard let python = PythonEnvironment.require(for: "reading layer_names as Keras does, with h5py") else { return }
        // weight_names for the first and last three layers (with and without weights).
        let layers = model.architecture.layers
        let sample = (Array(layers.prefix(3)) + Array(layers.suffix(3))).map { layer -> (String, JSON) in
            guard case .dense = layer.kind else { return (layer.name, .array([])) }
            let names = ["\(layer.name)/kernel:0", "\(layer.name)/bias:0"]
            return (layer.name, .array(names.map { .string($0) }))
        }
        let expected = JSON.object([
            ("layers", .array(layers.map { .string($0.name) })),
            ("weight_names", .object(sample)),
        ])
        let expectedPath = try folder.write("expected.json", text: expected.serialized())
        let run = try PythonEnvironment.run(python, script: "check_keras_h5_names.py", [path, expectedPath])
        #expect(run.status == 0, "\(run.output)")
    }
}
