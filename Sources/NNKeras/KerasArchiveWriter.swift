#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NNSchema
import NNHDF5
import NNSystem
import ZIPFoundation

/// Writes models as Keras 3 `.keras` archives, laid out as Keras 3's `model.save("x.keras")`
/// lays them out, so that `keras.saving.load_model` loads them (and, when the model was trained,
/// compiles it and restores the optimizer's state).
///
/// The archive is a zip of three stored (uncompressed) members, in Keras's order:
/// `metadata.json` (`keras_version`, `date_saved`), `config.json` (the Keras 3 model config with
/// `compile_config`) and `model.weights.h5`, a weights store: `layers/<class>[_<n>]/vars/<i>`
/// for each layer after the input (named by class in snake case with a per-class counter, the
/// layer's name in the `name` attribute of `vars`), `optimizer/vars/<i>` for the optimizer (see
/// ``KerasOptimizerVariables``) and `vars` for the model itself.
///
/// What Keras has no place for (class names, history, dataset, the exact optimizer record)
/// goes into root attributes of `model.weights.h5`, which Keras's loader never reads (it only
/// asks for the groups of the objects it restores), so that `.nnm → .keras → .nnm` is lossless.
/// The archive is built in memory and saved atomically.
package enum KerasArchiveWriter {
    /// The Keras version whose config keys and layout the archive follows (recorded as
    /// `keras_version` in `metadata.json`).
    package static let kerasVersion = "3.15.1"
    /// The archive's members, in the order Keras writes them.
    package static let memberNames = ["metadata.json", "config.json", "model.weights.h5"]
    /// Root attribute of `model.weights.h5` holding the optimizer record (hyperparameters, step
    /// count, slot names) as JSON; the slots themselves are Keras's `optimizer/vars`.
    package static let optimizerAttribute = "nnmodel_optimizer"
    /// The date Python's `zipfile` gives members written without one (Keras's JSON members):
    /// 1980-01-01 00:00, the earliest a zip can record.
    static let zipEpoch = Date(timeIntervalSince1970: 315_532_800)

    /// Saves `model` to `path` atomically (temporary file, fsync, rename).
    ///
    /// - Parameters:
    ///   - dtype: the dtype of the weights, float32 or float64; when it differs from the model's
    ///     source dtype, the written config states it.
    ///   - includeOptimizer: also write the optimizer state (when the model has one).
    package static func write(_ model: Sequential, to path: String, dtype: DType? = nil, producer: String,
                              includeOptimizer: Bool = true) throws(KerasImportError) {
        // Checked first, so that nothing is built for a target that cannot be written.
        do { try AtomicFile.checkTarget(path) } catch { throw .file(error) }
        let archive = try archiveImage(model, name: path, dtype: dtype, producer: producer, includeOptimizer: includeOptimizer)
        do {
            try AtomicFile.replace(path) { (fd: Int32) throws(FileError) in
                var failure: FileError?
                archive.withUnsafeBytes { raw in
                    do throws(FileError) { try AtomicFile.writeAll(fd, raw, path: path) } catch { failure = error }
                }
                if let failure { throw failure }
            }
        } catch { throw .file(error) }
    }

    /// The bytes of the `.keras` archive of `model`, built in memory; `name` names it in messages.
    static func archiveImage(_ model: Sequential, name: String, dtype: DType?, producer: String, includeOptimizer: Bool,
                             savedAt: Date = Date()) throws(KerasImportError) -> Data {
        var architecture = model.architecture
        if let dtype { architecture.sourceDType = dtype }
        let state = includeOptimizer ? model.optimizerState : nil
        if let state {
            do { try Sequential.check(state, against: model.weightSpecs) } catch {
                throw .cannotExport(path: name, reason: "the optimizer state does not fit the model: \(error)")
            }
        }
        let compile = KerasTrainingConfig.keras3CompileConfig(loss: model.metadata.loss, optimizer: state?.config,
                                                              optimizerJSON: model.metadata.optimizer)
        let config = KerasConfig.keras3JSON(for: architecture).setting("compile_config", to: compile)
        let metadata = JSON.object([("keras_version", .string(kerasVersion)), ("date_saved", .string(kerasDate(savedAt)))])
        let store: [UInt8]
        do {
            store = try storeImage(model, architecture: architecture, optimizerState: state, name: name + "/model.weights.h5",
                                   producer: producer)
        } catch { throw .hdf5(error) }
        do {
            let archive = try Archive(data: Data(), accessMode: .create)
            let contents = [metadata.serializedBytes(), config.serializedBytes(), store]
            for (member, bytes) in zip(memberNames, contents) {
                try archive.addEntry(with: member, type: .file, uncompressedSize: Int64(bytes.count),
                                     modificationDate: member == "model.weights.h5" ? savedAt : zipEpoch, permissions: 0o600,
                                     compressionMethod: .none, bufferSize: 1 << 20) { position, size in
                    let start = min(Int(position), bytes.count)
                    return Data(bytes[start..<min(start + size, bytes.count)])
                }
            }
            guard let data = archive.data else { throw KerasImportError.cannotExport(path: name, reason: "the zip archive was not built") }
            return data
        } catch let error as KerasImportError {
            throw error
        } catch {
            throw .cannotExport(path: name, reason: "building the zip archive: \(error)")
        }
    }

    /// The bytes of `model.weights.h5`, built in memory.
    static func storeImage(_ model: Sequential, architecture: ModelArchitecture, optimizerState state: OptimizerState?,
                           name: String, producer: String) throws(HDF5Error) -> [UInt8] {
        let file = try HDF5File.createInMemory(name: name)
        defer { try? file.close() }
        let root = try file.root
        let float64 = architecture.sourceDType == .float64
        func store(_ tensor: Tensor, as variable: String, shape: [Int], in group: HDF5Group) throws(HDF5Error) {
            if float64 {
                try group.createDataset(variable, shape: shape, doubles: tensor.scalars.map(Double.init))
            } else {
                try group.createDataset(variable, shape: shape, floats: tensor.scalars)
            }
        }

        try root.setStringAttribute(KerasHDF5Writer.versionAttribute, producer)
        try root.setStringAttribute(KerasHDF5Writer.formatAttribute, ModelMetadata.schemaVersion)
        var metadata = model.metadata
        metadata.producer = producer
        metadata.createdAt = metadata.createdAt ?? currentTimestamp()
        try root.setStringAttribute(KerasHDF5Writer.metadataAttribute, metadata.json.serialized())

        let specs = model.weightSpecs
        var ownWeights = [[(spec: WeightSpec, tensor: Tensor)]](repeating: [], count: architecture.layers.count)
        for (spec, tensor) in zip(specs, model.weights) { ownWeights[spec.layerIndex].append((spec, tensor)) }
        let layers = try root.createGroup("layers")
        for (index, groupName) in KerasWeights.storeGroupNames(architecture).enumerated() {
            let vars = try layers.createGroup(groupName + "/vars")
            try vars.setStringAttribute("name", architecture.layers[index].name)
            for (i, weight) in ownWeights[index].enumerated() {
                try store(weight.tensor, as: String(i), shape: weight.spec.shape, in: vars)
            }
        }

        if let state {
            try root.setStringAttribute(optimizerAttribute, OptimizerRecord(state).json.serialized())
            let vars = try root.createGroup("optimizer/vars")
            try vars.setStringAttribute("name", KerasTrainingConfig.keras3OptimizerName(state.config.kind))
            try vars.createDataset("0", shape: [], int64s: [Int64(state.iterations)])
            try vars.createDataset("1", shape: [], floats: [Float(state.config.learningRate)])
            let trainable = specs.filter(\.trainable)
            let order = KerasOptimizerVariables.order(state.config, trainableWeights: trainable.count)
            for (i, (slot, weight)) in order.enumerated() {
                try store(state.slots[slot][weight], as: String(KerasOptimizerVariables.leadingCount + i),
                          shape: trainable[weight].shape, in: vars)
            }
        }
        let modelVars = try root.createGroup("vars")
        try modelVars.setStringAttribute("name", architecture.name)
        return try file.fileImage()
    }

    /// `date_saved` as Keras writes it: local time, `YYYY-MM-DD@HH:MM:SS`.
    static func kerasDate(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&t, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))@\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }

    /// Restores what nnmodel recorded in an archive's weights store besides Keras's variables:
    /// the metadata, and the optimizer state (its record from the root attribute, its slots from
    /// Keras's `optimizer/vars`).
    static func readExtras(_ root: HDF5Group, path: String, architecture: ModelArchitecture,
                           metadata: inout ModelMetadata, optimizerState: inout OptimizerState?) throws {
        if let text = try root.stringAttribute(KerasHDF5Writer.metadataAttribute) {
            let json = try KerasReader.parseJSON(Array(text.utf8), path: path, field: KerasHDF5Writer.metadataAttribute)
            do { metadata = try ModelMetadata(json: json) } catch {
                throw KerasImportError.invalidMetadata(path: path, field: KerasHDF5Writer.metadataAttribute, reason: "\(error)")
            }
        }
        guard let text = try root.stringAttribute(optimizerAttribute) else { return }
        let json = try KerasReader.parseJSON(Array(text.utf8), path: path, field: optimizerAttribute)
        let record: OptimizerRecord
        do { record = try OptimizerRecord(json: json) } catch {
            throw KerasImportError.invalidMetadata(path: path, field: optimizerAttribute, reason: "\(error)")
        }
        guard try root.hasMember("optimizer/vars") else {
            throw KerasImportError.missingWeight(path: path, layer: "optimizer", weight: "optimizer/vars")
        }
        let vars = try root.group("optimizer/vars")
        let trainable = try architecture.weightSpecs().filter(\.trainable)
        let order = KerasOptimizerVariables.order(record.config, trainableWeights: trainable.count)
        let found = try KerasWeights.variableCount(vars)
        guard found == KerasOptimizerVariables.leadingCount + order.count else {
            throw KerasImportError.weightCountMismatch(path: path, layer: "optimizer (\(record.config.kind.rawValue))",
                                                       expected: KerasOptimizerVariables.leadingCount + order.count, found: found)
        }
        var slots = [[Tensor]](repeating: [], count: record.slotNames.count)
        for s in slots.indices { slots[s].reserveCapacity(trainable.count) }
        // Read in Keras's order; each slot's tensors come in weight order in either layout.
        for (i, (slot, weight)) in order.enumerated() {
            let dataset = try vars.dataset(String(KerasOptimizerVariables.leadingCount + i))
            slots[slot].append(try KerasWeights.read(dataset, layer: "optimizer", spec: trainable[weight], path: path))
        }
        optimizerState = OptimizerState(config: record.config, iterations: record.iterations, slots: slots)
    }
}
