import NNSchema
import NNHDF5
import NNSystem

/// Writes models in Keras's legacy HDF5 layout (what `model.save("x.h5")` writes), which Keras 3's
/// `load_model` and tf_keras both load.
///
/// Beside Keras's own attributes the file records nnmodel's version, its format version, the full
/// metadata (class names, history, ...) and the optimizer state, in places Keras ignores, so that
/// `.nnm → .h5 → .nnm` is lossless.
package enum KerasHDF5Writer {
    /// Root attribute holding the nnmodel version that wrote the file.
    package static let versionAttribute = "nnmodel_version"
    /// Root attribute holding the `.nnm` format version whose metadata the file carries.
    package static let formatAttribute = "nnmodel_format_version"
    /// Root attribute holding the metadata as JSON (the `.nnm` header's `metadata` object).
    package static let metadataAttribute = "nnmodel_metadata"
    /// Group holding the optimizer state (ignored by Keras).
    package static let optimizerGroup = "nnmodel_optimizer_state"
    /// The Keras version the written config and layout follow.
    package static let kerasVersion = "2.15.0"

    /// What Keras versions will do differently with the exported architecture (checked with real
    /// Keras 3.15 and tf_keras 2.21): empty when both load it and predict what nnmodel predicts.
    package static func compatibilityNotes(for architecture: ModelArchitecture) -> [String] {
        var notes: [String] = []
        for layer in architecture.layers {
            if layer.activation == .hardSilu {
                notes.append("layer '\(layer.name)' uses hard_silu, which tf_keras does not know (Keras 3 loads it)")
            } else if layer.activation == .hardSigmoid {
                notes.append("layer '\(layer.name)' uses hard_sigmoid, which tf_keras computes as clip(0.2 x + 0.5, 0, 1) (Keras 3 matches nnmodel)")
            }
        }
        return notes
    }

    /// Saves `model` to `path` atomically (temporary file, fsync, rename).
    ///
    /// - Parameter dtype: the dtype of the weight datasets, float32 or float64; when it differs
    ///   from the model's source dtype, the written config states it.
    package static func write(_ model: Sequential, to path: String, dtype: DType? = nil, producer: String) throws(KerasImportError) {
        // Checked first, so that nothing is built for a target that cannot be written.
        do { try AtomicFile.checkTarget(path) } catch { throw .file(error) }
        let image: [UInt8]
        do { image = try fileImage(model, name: path, dtype: dtype, producer: producer) } catch { throw .hdf5(error) }
        do { try AtomicFile.write(image, to: path) } catch { throw .file(error) }
    }

    /// The bytes of the HDF5 file of `model`, built in memory; `name` names it in messages.
    static func fileImage(_ model: Sequential, name: String, dtype: DType?, producer: String) throws(HDF5Error) -> [UInt8] {
        let file = try HDF5File.createInMemory(name: name)
        defer { try? file.close() }
        let root = try file.root
        var architecture = model.architecture
        if let dtype { architecture.sourceDType = dtype }
        let float64 = architecture.sourceDType == .float64
        try root.setStringAttribute("backend", "tensorflow")
        try root.setStringAttribute("keras_version", kerasVersion)
        try root.setStringAttribute("model_config", KerasConfig.json(for: architecture).serialized())
        if let training = KerasTrainingConfig.legacyTrainingConfig(
            loss: model.metadata.loss, optimizer: model.optimizerState?.config, optimizerJSON: model.metadata.optimizer) {
            try root.setStringAttribute("training_config", training.serialized())
        }
        try root.setStringAttribute(versionAttribute, producer)
        try root.setStringAttribute(formatAttribute, ModelMetadata.schemaVersion)
        var metadata = model.metadata
        metadata.producer = producer
        metadata.createdAt = metadata.createdAt ?? currentTimestamp()
        try root.setStringAttribute(metadataAttribute, metadata.json.serialized())

        let weightsGroup = try root.createGroup("model_weights")
        try weightsGroup.setStringAttribute("backend", "tensorflow")
        try weightsGroup.setStringAttribute("keras_version", kerasVersion)
        try weightsGroup.setStringArrayAttribute("layer_names", architecture.layers.map(\.name))
        let specs = model.weightSpecs
        var ownWeights = [[(WeightSpec, Tensor)]](repeating: [], count: architecture.layers.count)
        for (spec, tensor) in zip(specs, model.weights) { ownWeights[spec.layerIndex].append((spec, tensor)) }
        for (index, layer) in architecture.layers.enumerated() {
            let group = try weightsGroup.createGroup(layer.name)
            let own = ownWeights[index]
            if own.isEmpty {
                try group.setEmptyFloat64ArrayAttribute("weight_names")
                continue
            }
            let names = own.map { "\(layer.name)/\($0.0.role):0" }
            try group.setStringArrayAttribute("weight_names", names)
            for (name, (spec, tensor)) in zip(names, own) {
                if float64 {
                    _ = try group.createDataset(name, shape: spec.shape, doubles: tensor.scalars.map(Double.init))
                } else {
                    _ = try group.createDataset(name, shape: spec.shape, floats: tensor.scalars)
                }
            }
        }
        let topLevel = try weightsGroup.createGroup("top_level_model_weights")
        try topLevel.setEmptyFloat64ArrayAttribute("weight_names")

        if let state = model.optimizerState {
            let group = try root.createGroup(optimizerGroup)
            try group.setStringAttribute("config", OptimizerRecord(state).json.serialized())
            let trainable = specs.filter(\.trainable)
            for (slotName, perWeight) in zip(state.config.slotNames, state.slots) {
                for (spec, tensor) in zip(trainable, perWeight) {
                    _ = try group.createDataset("\(slotName)/\(spec.name)", shape: spec.shape, floats: tensor.scalars)
                }
            }
        }
        return try file.fileImage()
    }

    /// Restores what nnmodel recorded beside Keras's attributes: metadata and optimizer state.
    static func readExtras(_ root: HDF5Group, path: String, architecture: ModelArchitecture,
                           metadata: inout ModelMetadata, optimizerState: inout OptimizerState?) throws {
        if let text = try root.stringAttribute(metadataAttribute) {
            let json = try KerasReader.parseJSON(Array(text.utf8), path: path, field: metadataAttribute)
            do { metadata = try ModelMetadata(json: json) } catch {
                throw KerasImportError.invalidMetadata(path: path, field: metadataAttribute, reason: "\(error)")
            }
        }
        guard try root.hasMember(optimizerGroup) else { return }
        let group = try root.group(optimizerGroup)
        guard let text = try group.stringAttribute("config") else { return }
        let json = try KerasReader.parseJSON(Array(text.utf8), path: path, field: "\(optimizerGroup) config")
        let entry: OptimizerRecord
        do { entry = try OptimizerRecord(json: json) } catch {
            throw KerasImportError.invalidMetadata(path: path, field: optimizerGroup, reason: "\(error)")
        }
        let trainable = try architecture.weightSpecs().filter(\.trainable)
        var slots: [[Tensor]] = []
        for slot in entry.slotNames {
            var perWeight: [Tensor] = []
            for spec in trainable {
                let name = "\(slot)/\(spec.name)"
                guard try group.hasMember(name) else { throw KerasImportError.missingWeight(path: path, layer: optimizerGroup, weight: name) }
                perWeight.append(try KerasWeights.read(try group.dataset(name), layer: optimizerGroup, spec: spec, path: path))
            }
            slots.append(perWeight)
        }
        optimizerState = OptimizerState(config: entry.config, iterations: entry.iterations, slots: slots)
    }
}
