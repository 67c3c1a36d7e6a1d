import Foundation
import NNSchema
import NNHDF5
@_spi(Testing) import NNSystem
import ZIPFoundation

/// Reads models saved by Keras 2 (tf_keras) and Keras 3 in every layout they use, and the
/// Keras HDF5 files and `.keras` archives nnmodel writes (with the metadata and optimizer state
/// it records beside Keras's).
///
/// The layout is found from the file's content, never guessed from its name: a `.keras` zip
/// archive, or an HDF5 file with a `model_config` attribute (a legacy full model), `layer_names`
/// at the root (Keras 2 `save_weights`), or a `layers` group (a weights store). Weights are found
/// through `layer_names`/`weight_names` or the store's variable order, and every shape is checked
/// against the architecture.
package enum KerasReader {
    /// Members of a `.keras` archive larger than this are refused.
    package static let maximumArchiveMemberSize: UInt64 = 1 << 34
    /// `config.json` and `metadata.json` larger than this are refused.
    package static let maximumJSONMemberSize: UInt64 = 64 << 20
    /// The first eight bytes of an HDF5 file (without a user block).
    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
    /// The start of a zip archive's first local file header.
    static let zipLocalHeader: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
    /// The start of an empty zip archive (its end-of-central-directory record).
    static let zipEmptyArchive: [UInt8] = [0x50, 0x4B, 0x05, 0x06]

    /// Reads the model in the Keras file at `path`.
    ///
    /// - Parameter architecture: the architecture to load weights into; required for weights-only
    ///   files, and used instead of the file's own config when given.
    package static func read(_ path: String, architecture: ModelArchitecture? = nil) throws(KerasImportError)
        -> (model: Sequential, info: KerasFileInfo)
    {
        let head: [UInt8]
        do { head = try FileReader.prefix(path, count: 8) } catch { throw .file(error) }
        if head.starts(with: zipLocalHeader) || head.starts(with: zipEmptyArchive) {
            return try readArchive(path, architecture: architecture)
        }
        guard head.starts(with: hdf5Signature) else {
            throw .notKeras(path: path, found: head.isEmpty ? "an empty file" : "the bytes " + head.map { hex2($0) }.joined(separator: " "))
        }
        let file: HDF5File
        do { file = try HDF5File(readingFrom: path) } catch { throw .hdf5(error) }
        defer { try? file.close() }
        return try readHDF5(file, path: path, architecture: architecture)
    }

    /// Runs `body` with the path of a private temporary file holding `contents` (a `.keras` zip),
    /// removed afterwards.
    ///
    /// Archives held in memory go through a file because ZIPFoundation's in-memory archives trap on
    /// offsets past the end of the data, where reading a file simply comes up short.
    static func withArchiveFile<Result>(_ contents: [UInt8], _ body: (String) throws(KerasImportError) -> Result)
        throws(KerasImportError) -> Result
    {
        let temporary: TemporaryFile
        do {
            temporary = try TemporaryFile(label: "archive")
            try temporary.write(contents)
        } catch { throw .file(error) }
        defer { temporary.remove() }
        return try body(temporary.path)
    }

    /// Reads the model in a Keras file held in memory (a `.keras` zip or an HDF5 file), exactly
    /// as ``read(_:architecture:)`` reads it from disk (an archive goes through a private temporary
    /// file); `path` only names the file in errors.
    package static func read(contents: [UInt8], path: String, architecture: ModelArchitecture? = nil) throws(KerasImportError)
        -> (model: Sequential, info: KerasFileInfo)
    {
        let head = Array(contents.prefix(8))
        if head.starts(with: zipLocalHeader) || head.starts(with: zipEmptyArchive) {
            return try withArchiveFile(contents) { (archivePath) throws(KerasImportError) in
                try readArchive(archivePath, name: path, architecture: architecture)
            }
        }
        guard head.starts(with: hdf5Signature) else {
            throw .notKeras(path: path, found: head.isEmpty ? "an empty file" : "the bytes " + head.map { hex2($0) }.joined(separator: " "))
        }
        let file: HDF5File
        do { file = try HDF5File(bytes: contents, name: path) } catch { throw .hdf5(error) }
        defer { try? file.close() }
        return try readHDF5(file, path: path, architecture: architecture)
    }

    static func hex2(_ b: UInt8) -> String {
        let s = String(b, radix: 16, uppercase: true)
        return s.count == 1 ? "0" + s : s
    }

    /// What an HDF5 Keras file holds, with its weights found and checked but not read.
    struct HDF5Contents {
        var architecture: ModelArchitecture
        var weights: [KerasWeights.Located]
        var optimizer: (config: OptimizerConfig, iterations: Int, slots: [[KerasWeights.Located]])?
        var metadata: ModelMetadata
        var info: KerasFileInfo
    }

    /// Reads an open HDF5 file in any of the three HDF5 layouts.
    static func readHDF5(_ file: HDF5File, path: String, architecture override: ModelArchitecture?) throws(KerasImportError)
        -> (model: Sequential, info: KerasFileInfo)
    {
        let contents = try locateHDF5(file, path: path, architecture: override)
        var weights: [Tensor] = []
        for weight in contents.weights { weights.append(try weight.read()) }
        var state: OptimizerState?
        if let optimizer = contents.optimizer {
            var slots: [[Tensor]] = []
            for perWeight in optimizer.slots {
                var tensors: [Tensor] = []
                for weight in perWeight { tensors.append(try weight.read()) }
                slots.append(tensors)
            }
            state = OptimizerState(config: optimizer.config, iterations: optimizer.iterations, slots: slots)
        }
        return (try makeModel(contents.architecture, weights, state, contents.metadata, path: path), contents.info)
    }

    /// Opens the Keras HDF5 file at `path` (any HDF5 layout) for a streamed conversion: its
    /// weights are read a piece at a time while they are written; `nil` for a `.keras` archive.
    package static func openStreamed(_ path: String, architecture: ModelArchitecture?) throws(KerasImportError)
        -> (model: StreamedModel, info: KerasFileInfo)?
    {
        let head: [UInt8]
        do { head = try FileReader.prefix(path, count: 8) } catch { throw .file(error) }
        guard head.starts(with: hdf5Signature) else { return nil }
        let file: HDF5File
        do { file = try HDF5File(readingFrom: path) } catch { throw .hdf5(error) }
        // The file stays open as long as the tensors read from it (they hold its datasets).
        let contents = try locateHDF5(file, path: path, architecture: architecture)
        // Plain contiguous datasets are read with pread from the same file.
        let bytes = try? ReadableFile(path: path)
        var weights: [StreamedTensor] = []
        for weight in contents.weights { weights.append(try weight.streamed(file: bytes)) }
        var optimizer: (config: OptimizerConfig, iterations: Int, slots: [[StreamedTensor]])?
        if let state = contents.optimizer {
            var slots: [[StreamedTensor]] = []
            for perWeight in state.slots {
                var tensors: [StreamedTensor] = []
                for weight in perWeight { tensors.append(try weight.streamed(file: bytes)) }
                slots.append(tensors)
            }
            optimizer = (state.config, state.iterations, slots)
        }
        do {
            let model = try StreamedModel(architecture: contents.architecture, weights: weights, optimizer: optimizer,
                                          metadata: contents.metadata)
            return (model, contents.info)
        } catch let e as ModelConfigError {
            throw .invalidConfig(path: path, e)
        } catch {
            throw .invalidMetadata(path: path, field: "weights", reason: "\(error)")
        }
    }

    /// Finds the architecture, metadata and weights of an open HDF5 file in any of the three HDF5
    /// layouts, checking every weight's type and shape.
    static func locateHDF5(_ file: HDF5File, path: String, architecture override: ModelArchitecture?) throws(KerasImportError)
        -> HDF5Contents
    {
        try KerasImportError.mapping(path: path, field: "file") {
            let root = try file.root
            var metadata = ModelMetadata()
            var info = KerasFileInfo(path: path, layout: .legacyModel, kerasVersion: try root.stringAttribute("keras_version"),
                                     backend: try root.stringAttribute("backend"), weightsDType: .float32,
                                     writtenByNNModel: try root.hasAttribute(KerasHDF5Writer.versionAttribute))
            if info.writtenByNNModel { info.producer = try root.stringAttribute(KerasHDF5Writer.versionAttribute) }
            let architecture: ModelArchitecture
            let weights: [KerasWeights.Located]
            var optimizer: (config: OptimizerConfig, iterations: Int, slots: [[KerasWeights.Located]])?
            if let config = try root.stringAttribute("model_config") {
                architecture = try override ?? parseConfig(Array(config.utf8), path: path, field: "model_config attribute")
                guard try root.hasMember("model_weights") else {
                    throw KerasImportError.missingWeight(path: path, layer: "(model)", weight: "model_weights group")
                }
                let group = try root.group("model_weights")
                (weights, info.weightsDType) = try KerasWeights.legacy(group, architecture: architecture, path: path)
                if info.kerasVersion == nil { info.kerasVersion = try group.stringAttribute("keras_version") }
                if let training = try root.stringAttribute("training_config") {
                    KerasTrainingConfig.apply(try parseJSON(Array(training.utf8), path: path, field: "training_config attribute"), to: &metadata)
                }
                if info.writtenByNNModel {
                    try KerasHDF5Writer.readExtras(root, path: path, architecture: architecture, metadata: &metadata,
                                                   optimizer: &optimizer)
                }
            } else if try root.hasAttribute("layer_names") {
                info.layout = .legacyWeights
                guard let override else { throw KerasImportError.missingArchitecture(path: path, layout: info.layout.rawValue) }
                architecture = override
                (weights, info.weightsDType) = try KerasWeights.legacy(root, architecture: architecture, path: path)
            } else if try root.hasMember("layers") {
                info.layout = .weightsH5
                guard let override else { throw KerasImportError.missingArchitecture(path: path, layout: info.layout.rawValue) }
                architecture = override
                (weights, info.weightsDType) = try KerasWeights.store(root, architecture: architecture, path: path)
            } else {
                let members = try root.memberNames().prefix(8)
                let attributes = try root.attributeNames().prefix(8)
                throw KerasImportError.unknownLayout(path: path, found: "groups \(Array(members)) and attributes \(Array(attributes))")
            }
            if !info.writtenByNNModel, override == nil {
                try checkActivationSemantics(architecture, kerasVersion: info.kerasVersion, path: path)
            }
            if !info.writtenByNNModel { info.producer = info.kerasVersion.map { "keras \($0)" } }
            if metadata.producer == nil, let v = info.kerasVersion {
                metadata.producer = "keras \(v)" + (info.backend.map { " (\($0))" } ?? "")
            }
            return HDF5Contents(architecture: architecture, weights: weights, optimizer: optimizer, metadata: metadata, info: info)
        }
    }

    /// Refuses activations whose meaning in the Keras version that wrote the file differs from
    /// Keras 3's: Keras 1 and 2 define `hard_sigmoid` as `clip(0.2 x + 0.5, 0, 1)`.
    static func checkActivationSemantics(_ architecture: ModelArchitecture, kerasVersion: String?, path: String) throws(KerasImportError) {
        guard let version = kerasVersion, version.hasPrefix("1.") || version.hasPrefix("2.") else { return }
        if let layer = architecture.layers.first(where: { $0.activation == .hardSigmoid }) {
            throw .differentActivation(path: path, layer: layer.name, activation: "hard_sigmoid", kerasVersion: version,
                                       definition: "clip(0.2 x + 0.5, 0, 1) (Keras 3: relu6(x + 3) / 6)")
        }
    }

    static func makeModel(_ architecture: ModelArchitecture, _ weights: [Tensor], _ state: OptimizerState?,
                          _ metadata: ModelMetadata, path: String) throws(KerasImportError) -> Sequential {
        do {
            return try Sequential(architecture: architecture, weights: weights, optimizerState: state, metadata: metadata)
        } catch let e as ModelConfigError {
            throw .invalidConfig(path: path, e)
        } catch {
            throw .invalidMetadata(path: path, field: "weights", reason: "\(error)")
        }
    }

    static func parseJSON(_ bytes: [UInt8], path: String, field: String) throws(KerasImportError) -> JSON {
        do { return try JSON(parsing: bytes) } catch { throw .invalidMetadata(path: path, field: field, reason: error.description) }
    }

    static func parseConfig(_ bytes: [UInt8], path: String, field: String) throws(KerasImportError) -> ModelArchitecture {
        let json = try parseJSON(bytes, path: path, field: field)
        do { return try KerasConfig.architecture(from: json) } catch { throw .invalidConfig(path: path, error) }
    }

    // MARK: .keras archives

    /// Reads the archive at `diskPath`; `name` (default: the path) names it in messages.
    static func readArchive(_ diskPath: String, name: String? = nil, architecture override: ModelArchitecture?)
        throws(KerasImportError) -> (model: Sequential, info: KerasFileInfo)
    {
        let path = name ?? diskPath
        let (archive, size) = try openArchive(diskPath, name: path)
        return try readArchive(archive, path: path, archiveSize: size, architecture: override)
    }

    static func readArchive(_ archive: Archive, path: String, archiveSize: UInt64, architecture override: ModelArchitecture?)
        throws(KerasImportError) -> (model: Sequential, info: KerasFileInfo)
    {
        var metadata = ModelMetadata()
        var info = KerasFileInfo(path: path, layout: .archive, kerasVersion: nil, backend: nil, weightsDType: .float32,
                                 writtenByNNModel: false, producer: nil)
        let configBytes = try member(archive, "config.json", path: path, archiveSize: archiveSize, limit: maximumJSONMemberSize)
        let config = try parseJSON(configBytes, path: path, field: "config.json")
        let architecture: ModelArchitecture
        if let override {
            architecture = override
        } else {
            do { architecture = try KerasConfig.architecture(from: config) } catch { throw .invalidConfig(path: path, error) }
        }
        if let compile = config["compile_config"], !compile.isNull { KerasTrainingConfig.apply(compile, to: &metadata) }
        if archive["metadata.json"] != nil {
            let meta = try parseJSON(try member(archive, "metadata.json", path: path, archiveSize: archiveSize,
                                                limit: maximumJSONMemberSize),
                                     path: path, field: "metadata.json")
            info.kerasVersion = meta["keras_version"]?.stringValue
            metadata.createdAt = meta["date_saved"]?.stringValue
        }
        if override == nil { try checkActivationSemantics(architecture, kerasVersion: info.kerasVersion, path: path) }
        // The weights go to a private temporary file, never whole into memory: libhdf5 then reads
        // them from disk, so a member that inflates to gigabytes costs disk, not memory.
        let store = try extractStore(archive, path: path, archiveSize: archiveSize)
        defer { try? store.close() }
        let storeRoot: HDF5Group
        do { storeRoot = try store.root } catch { throw .hdf5(error) }
        let storePath = path + "/model.weights.h5"
        let located: [KerasWeights.Located]
        (located, info.weightsDType) = try KerasWeights.store(storeRoot, architecture: architecture, path: storePath)
        var weights: [Tensor] = []
        for weight in located { weights.append(try weight.read()) }
        var optimizerState: OptimizerState?
        try KerasImportError.mapping(path: storePath, field: "root attributes") {
            info.writtenByNNModel = try storeRoot.hasAttribute(KerasHDF5Writer.versionAttribute)
            info.producer = info.writtenByNNModel ? try storeRoot.stringAttribute(KerasHDF5Writer.versionAttribute)
                : info.kerasVersion.map { "keras \($0)" }
            if info.writtenByNNModel {
                try KerasArchiveWriter.readExtras(storeRoot, path: storePath, architecture: architecture, metadata: &metadata,
                                                  optimizerState: &optimizerState)
            }
        }
        if !info.writtenByNNModel, let v = info.kerasVersion { metadata.producer = "keras \(v)" }
        return (try makeModel(architecture, weights, optimizerState, metadata, path: path), info)
    }

    /// Extracts one member, refusing more than `limit` bytes or more than 1100× its compressed size
    /// (whatever the header claims), and checking its CRC-32.
    static func member(_ archive: Archive, _ name: String, path: String, archiveSize: UInt64, limit: UInt64)
        throws(KerasImportError) -> [UInt8]
    {
        var bytes: [UInt8] = []
        try extract(archive, name, path: path, archiveSize: archiveSize, limit: limit) { data in bytes.append(contentsOf: data) }
        return bytes
    }

    /// Extracts `model.weights.h5` into a private temporary file and opens it with libhdf5; the
    /// file is unlinked as soon as it is open, so nothing is left behind whatever happens next.
    static func extractStore(_ archive: Archive, path: String, archiveSize: UInt64) throws(KerasImportError) -> HDF5File {
        let temporary: TemporaryFile
        do { temporary = try TemporaryFile(label: "keras-weights") } catch { throw .file(error) }
        defer { temporary.remove() }
        var writeFailure: FileError?
        try extract(archive, "model.weights.h5", path: path, archiveSize: archiveSize, limit: maximumArchiveMemberSize) { data in
            do throws(FileError) { try temporary.write([UInt8](data)) } catch {
                writeFailure = error
                throw error
            }
        }
        if let writeFailure { throw .file(writeFailure) }
        do { return try HDF5File(readingFrom: temporary.path, name: path + "/model.weights.h5") } catch { throw .hdf5(error) }
    }

    /// Extracts one member chunk by chunk into `consume`, refusing more than `limit` bytes or more
    /// than 1100× its compressed size (whatever the header claims), and checking its CRC-32.
    static func extract(_ archive: Archive, _ name: String, path: String, archiveSize: UInt64, limit: UInt64,
                        _ consume: (Data) throws -> Void) throws(KerasImportError) {
        guard let entry = archive[name] else { throw .missingArchiveMember(path: path, member: name) }
        // The compressed size is only what the directory claims: no member can be larger than the archive.
        let compressedSize = min(entry.compressedSize, archiveSize)
        let ratioLimit = compressedSize.multipliedReportingOverflow(by: 1100).partialValue + (1 << 20)
        let cap = min(limit, ratioLimit)
        guard entry.uncompressedSize <= cap else {
            throw .archiveMemberTooLarge(path: path, member: name, size: entry.uncompressedSize, limit: cap)
        }
        var produced: UInt64 = 0
        // The CRC-32 through nnmodel's own checksum (zlib's speed) rather than ZIPFoundation's,
        // which walks the bytes one at a time.
        var checksum: UInt32 = 0
        do {
            _ = try archive.extract(entry, skipCRC32: true) { (data: Data) in
                guard produced + UInt64(data.count) <= cap else {
                    throw KerasImportError.archiveMemberTooLarge(path: path, member: name, size: produced + UInt64(data.count), limit: cap)
                }
                produced += UInt64(data.count)
                checksum = data.withUnsafeBytes { CRC32.checksum($0, continuing: checksum) }
                try consume(data)
            }
            guard checksum == entry.checksum else {
                throw KerasImportError.invalidArchive(path: path, reason: "CRC-32 mismatch in '\(name)'")
            }
        } catch let e as KerasImportError {
            throw e
        } catch {
            throw .invalidArchive(path: path, reason: "cannot extract '\(name)': \(error)")
        }
    }
}
