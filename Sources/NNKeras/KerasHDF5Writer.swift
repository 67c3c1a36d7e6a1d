import NNSchema
import NNHDF5
@_spi(Testing) import NNSystem
import NNSystem

#if canImport(Glibc)
import Glibc
#endif

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
        do {
            try fill(file, StreamedModel(model), dtype: dtype, producer: producer) { group, datasetName, tensor, float64 in
                let values: Tensor
                switch tensor {
                case let .weight(i): values = model.weights[i]
                case let .slot(s, w): values = model.optimizerState?.slots[s][w] ?? Tensor(zeros: [0])
                }
                if float64 {
                    _ = try group.createDataset(datasetName, shape: values.shape, doubles: values.scalars.map(Double.init))
                } else {
                    _ = try group.createDataset(datasetName, shape: values.shape, floats: values.scalars)
                }
            }
        } catch let error as HDF5Error {
            throw error
        } catch {
            throw HDF5Error.libraryFailure(file: name, path: "/", operation: "building", message: "\(error)")
        }
        return try file.fileImage()
    }

    /// Saves a streamed model (see ``StreamedModel``) atomically: libhdf5 writes the temporary
    /// file itself, each dataset created and then filled a piece of at most `chunkElements`
    /// values at a time, so memory holds one piece whatever the model's size. The file holds what
    /// ``write(_:to:dtype:producer:)`` writes for the same model.
    package static func writeStreamed(_ model: StreamedModel, to path: String, dtype: DType? = nil, producer: String,
                                      chunkElements: Int = StreamingChunk.defaultElements) throws {
        do { try AtomicFile.checkTarget(path) } catch { throw KerasImportError.file(error) }
        var buffer = ChunkBuffer(elements: chunkElements)
        defer { buffer.deallocate() }
        do {
            try AtomicFile.replace(path, fillOrFail: { fd, diskPath in
                // libhdf5 1.10 crashes at exit after a failed write: the space is reserved first,
                // so that a full disk is an error here rather than inside libhdf5.
                try AtomicFile.reserve(fd, bytes: estimatedSize(model, dtype: dtype), path: path)
                do {
                    let file = try HDF5File.createOnDisk(at: diskPath, name: path)
                    do {
                        try fill(file, model, dtype: dtype, producer: producer) { group, datasetName, tensor, float64 in
                            let source: StreamedTensor
                            switch tensor {
                            case let .weight(i): source = model.weights[i]
                            case let .slot(s, w):
                                guard let slots = model.optimizer?.slots else { return }
                                source = slots[s][w]
                            }
                            let dataset = try group.createDataset(datasetName, shape: source.shape, float64: float64)
                            let reader = try source.reader()
                            try StreamingChunk.forEach(count: source.count, chunk: buffer.elements) { offset, n in
                                let values = UnsafeMutableBufferPointer(rebasing: buffer.values[0..<n])
                                try reader.read(into: values)
                                if float64 {
                                    try dataset.write(buffer.widened(UnsafeBufferPointer(values)), at: offset)
                                } else {
                                    try dataset.write(UnsafeBufferPointer(values), at: offset)
                                }
                            }
                            try reader.finish()
                        }
                    } catch {
                        try? file.close()
                        throw error
                    }
                    try file.close()
                } catch let error as HDF5Error {
                    // A disk that filled up all the same is said as for every other format.
                    if "\(error)".contains("errno = \(ENOSPC),") { throw FileError.writeFailed(path: path, reason: FileError.systemMessage(ENOSPC)) }
                    throw KerasImportError.hdf5(error)
                }
            })
        } catch let error as FileError {
            throw KerasImportError.file(error)
        }
    }

    /// A generous estimate of the size of the file of `model`: its values, its JSON attributes
    /// twice over, and a few KiB per group and dataset for object headers, heaps and B-trees.
    static func estimatedSize(_ model: StreamedModel, dtype: DType?) -> Int {
        let float64 = (dtype ?? model.architecture.sourceDType) == .float64
        var bytes = 1 << 16
        for tensor in model.weights { bytes += tensor.count * (float64 ? 8 : 4) + (8 << 10) }
        for perWeight in model.optimizer?.slots ?? [] { for tensor in perWeight { bytes += tensor.count * 4 + (8 << 10) } }
        bytes += model.architecture.layers.count * (8 << 10)
        bytes += 2 * (KerasConfig.json(for: model.architecture).serializedBytes().count + model.metadata.json.serializedBytes().count)
        return bytes
    }

    /// One tensor of the model being written: weight `i`, or slot `s` of trainable weight `w`.
    enum TensorIndex {
        case weight(Int)
        case slot(Int, Int)
    }

    /// Writes the legacy layout of `model` into `file`; `dataset` creates and fills each dataset
    /// (in the group given, under the name given, float64 or float32).
    static func fill(_ file: HDF5File, _ model: StreamedModel, dtype: DType?, producer: String,
                     dataset: (HDF5Group, String, TensorIndex, Bool) throws -> Void) throws {
        let root = try file.root
        var architecture = model.architecture
        if let dtype { architecture.sourceDType = dtype }
        let float64 = architecture.sourceDType == .float64
        try root.setStringAttribute("backend", "tensorflow")
        try root.setStringAttribute("keras_version", kerasVersion)
        try root.setStringAttribute("model_config", KerasConfig.json(for: architecture).serialized())
        if let training = KerasTrainingConfig.legacyTrainingConfig(
            loss: model.metadata.loss, optimizer: model.optimizer?.config, optimizerJSON: model.metadata.optimizer) {
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
        let specs = (try? model.architecture.weightSpecs()) ?? []
        var ownWeights = [[(spec: WeightSpec, index: Int)]](repeating: [], count: architecture.layers.count)
        for (index, spec) in specs.enumerated() where index < model.weights.count { ownWeights[spec.layerIndex].append((spec, index)) }
        for (index, layer) in architecture.layers.enumerated() {
            let group = try weightsGroup.createGroup(layer.name)
            let own = ownWeights[index]
            if own.isEmpty {
                try group.setEmptyFloat64ArrayAttribute("weight_names")
                continue
            }
            let names = own.map { "\(layer.name)/\($0.spec.role):0" }
            try group.setStringArrayAttribute("weight_names", names)
            for (name, weight) in zip(names, own) { try dataset(group, name, .weight(weight.index), float64) }
        }
        let topLevel = try weightsGroup.createGroup("top_level_model_weights")
        try topLevel.setEmptyFloat64ArrayAttribute("weight_names")

        if let state = model.optimizer, let record = model.optimizerRecord {
            let group = try root.createGroup(optimizerGroup)
            try group.setStringAttribute("config", record.json.serialized())
            let trainable = specs.filter(\.trainable)
            for (s, slotName) in state.config.slotNames.enumerated() where s < state.slots.count {
                for (w, spec) in trainable.enumerated() where w < state.slots[s].count {
                    try dataset(group, "\(slotName)/\(spec.name)", .slot(s, w), false)
                }
            }
        }
    }

    /// Restores what nnmodel recorded beside Keras's attributes: the metadata, and the optimizer
    /// state with its tensors found and checked (not read).
    static func readExtras(_ root: HDF5Group, path: String, architecture: ModelArchitecture, metadata: inout ModelMetadata,
                           optimizer: inout (config: OptimizerConfig, iterations: Int, slots: [[KerasWeights.Located]])?) throws {
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
        var slots: [[KerasWeights.Located]] = []
        for slot in entry.slotNames {
            var perWeight: [KerasWeights.Located] = []
            for spec in trainable {
                let name = "\(slot)/\(spec.name)"
                guard try group.hasMember(name) else { throw KerasImportError.missingWeight(path: path, layer: optimizerGroup, weight: name) }
                perWeight.append(try KerasWeights.locate(try group.dataset(name), layer: optimizerGroup, spec: spec, path: path))
            }
            slots.append(perWeight)
        }
        optimizer = (entry.config, entry.iterations, slots)
    }
}
