import Foundation
import NNSchema
import NNHDF5
import NNSystem
import ZIPFoundation

/// Lists Keras files nnmodel reads but cannot run, and HDF5 files that are not Keras models:
/// the layers as the config writes them, every array stored, and why nnmodel cannot run the file.
///
/// Reading goes through the same checked paths as loading (``KerasReader``, ``KerasArchiveCheck``,
/// NNHDF5's checks and limits); arrays are opened and checked, and read only for statistics.
enum KerasListing {
    /// Root attributes listed for an HDF5 file that is not a Keras model.
    static let maximumAttributes = 1000
    /// Elements of an attribute's value shown; the rest are counted.
    static let maximumAttributeElements = 64
    /// Characters of a string attribute shown.
    static let maximumAttributeCharacters = 4096

    /// Why a Keras read that failed with `error` means nnmodel cannot run the file, rather than
    /// that the file is damaged; nil for damage and every other failure.
    static func obstacle(for error: any Error) -> FileListing.Obstacle? {
        guard let error = error as? KerasImportError else { return nil }
        switch error {
        case .missingArchitecture: return .weightsOnly
        case .unknownLayout: return .notAModel
        case .differentActivation: return .unsupportedArchitecture
        case let .invalidConfig(_, problem):
            switch problem {
            case .unsupportedModelClass, .unsupportedLayer, .unsupportedActivation, .unsupportedOption, .notAChain: return .unsupportedArchitecture
            default: return nil
            }
        default: return nil
        }
    }

    /// The listing of the Keras (or other HDF5) file at `path`, after reading it failed with `error`.
    static func listing(_ path: String, options: InspectOptions, after error: any Error) throws(KerasImportError) -> FileListing? {
        guard let obstacle = obstacle(for: error) else { return nil }
        let head: [UInt8]
        do { head = try FileReader.prefix(path, count: 8) } catch { throw .file(error) }
        if head.starts(with: KerasReader.zipLocalHeader) || head.starts(with: KerasReader.zipEmptyArchive) {
            return try archive(path, name: path, options: options, obstacle: obstacle, after: error)
        }
        let file: HDF5File
        do { file = try HDF5File(readingFrom: path) } catch { throw .hdf5(error) }
        defer { try? file.close() }
        let size = (try? FileReader.size(of: path)) ?? 0
        return try hdf5(file, path: path, fileSize: size, options: options, obstacle: obstacle, after: error)
    }

    /// ``listing(_:options:after:)`` for a file's bytes held in memory.
    static func listing(contents: [UInt8], name: String, options: InspectOptions, after error: any Error)
        throws(KerasImportError) -> FileListing?
    {
        guard let obstacle = obstacle(for: error) else { return nil }
        let head = Array(contents.prefix(8))
        if head.starts(with: KerasReader.zipLocalHeader) || head.starts(with: KerasReader.zipEmptyArchive) {
            var listing = try KerasReader.withArchiveFile(contents) { (archivePath) throws(KerasImportError) in
                try archive(archivePath, name: name, options: options, obstacle: obstacle, after: error)
            }
            listing.file.fileSize = contents.count
            return listing
        }
        let file: HDF5File
        do { file = try HDF5File(bytes: contents, name: name) } catch { throw .hdf5(error) }
        defer { try? file.close() }
        return try hdf5(file, path: name, fileSize: contents.count, options: options, obstacle: obstacle, after: error)
    }

    // MARK: HDF5 files

    static func hdf5(_ file: HDF5File, path: String, fileSize: Int, options: InspectOptions, obstacle: FileListing.Obstacle,
                     after error: any Error) throws(KerasImportError) -> FileListing {
        try KerasImportError.mapping(path: path, field: "file") {
            let root = try file.root
            let writtenByNNModel = try root.hasAttribute(KerasHDF5Writer.versionAttribute)
            var description = FileDescription(path: path, format: .h5, fileSize: fileSize, writtenByNNModel: writtenByNNModel)
            var listing = FileListing(file: description, obstacle: obstacle, reason: "\(error)")
            var weightsRoot = "/"
            if obstacle == .notAModel {
                description.layout = "HDF5 file (not a Keras model)"
                (listing.attributes, listing.omittedAttributes) = try attributes(of: root)
            } else {
                description.kerasVersion = try root.stringAttribute("keras_version")
                description.backend = try root.stringAttribute("backend")
                description.producer = writtenByNNModel ? try root.stringAttribute(KerasHDF5Writer.versionAttribute)
                    : description.kerasVersion.map { "keras \($0)" }
                if let config = try root.stringAttribute("model_config") {
                    description.layout = KerasFileInfo.Layout.legacyModel.rawValue
                    weightsRoot = "/model_weights/"
                    if description.kerasVersion == nil, try root.hasMember("model_weights") {
                        description.kerasVersion = try root.group("model_weights").stringAttribute("keras_version")
                    }
                    let json = try KerasReader.parseJSON(Array(config.utf8), path: path, field: "model_config attribute")
                    model(json, path: path, error: error, into: &listing)
                    if let training = try root.stringAttribute("training_config") {
                        KerasTrainingConfig.apply(try KerasReader.parseJSON(Array(training.utf8), path: path, field: "training_config attribute"),
                                                  to: &listing.metadata)
                    }
                } else if try root.hasAttribute("layer_names") {
                    description.layout = KerasFileInfo.Layout.legacyWeights.rawValue
                } else {
                    description.layout = KerasFileInfo.Layout.weightsH5.rawValue
                }
            }
            if listing.metadata.producer == nil { listing.metadata.producer = description.producer }
            listing.file = description
            (listing.tensors, listing.omittedTensors) = try tensors(of: root, statistics: options.statistics)
            if !listing.layers.isEmpty {
                if description.layout == KerasFileInfo.Layout.legacyModel.rawValue {
                    countParameters(&listing) { layer in weightsRoot + layer.name + "/" }
                } else {
                    try countStoreParameters(&listing, root: root)
                }
            }
            return listing
        }
    }

    /// Fills in the layers of the model config `json`, marking those nnmodel cannot run.
    static func model(_ json: JSON, path: String, error: any Error, into listing: inout FileListing) {
        var failure: ModelConfigError?
        if case let KerasImportError.invalidConfig(_, problem) = error { failure = problem }
        let written = KerasConfig.writtenModel(json, failure: failure)
        listing.modelClass = written.modelClass
        listing.modelName = written.name
        listing.layers = written.layers
        // An activation whose meaning differs in the Keras version that wrote the file.
        if case let KerasImportError.differentActivation(_, layer, _, _, _) = error,
           let index = listing.layers.firstIndex(where: { $0.name == layer }), listing.layers[index].problem == nil {
            let message = "\(error)"
            listing.layers[index].problem = message.hasPrefix(path + ": ") ? String(message.dropFirst(path.count + 2)) : message
        }
    }

    /// Every dataset and link in the file, as stored, with statistics of numeric arrays when asked.
    static func tensors(of root: HDF5Group, statistics: Bool) throws -> (tensors: [FileListing.Tensor], omitted: Int) {
        let listed = try root.listing()
        var tensors: [FileListing.Tensor] = []
        for entry in listed.entries {
            switch entry.kind {
            case .group:
                continue
            case let .dataset(type, shape):
                var tensor = FileListing.Tensor(name: entry.path, dtype: type.description, shape: shape)
                if statistics {
                    let dataset = try root.dataset(entry.path)
                    if dataset.readsAsNumbers {
                        tensor.statistics = try dataset.readFloats().withUnsafeBufferPointer { Inspection.Statistics($0) }
                    }
                }
                tensors.append(tensor)
            case let .alreadyListed(first):
                tensors.append(FileListing.Tensor(name: entry.path, dtype: nil, shape: nil,
                                                  note: "hard link to the group '\(first)' (listed there)"))
            case let .other(kind):
                tensors.append(FileListing.Tensor(name: entry.path, dtype: nil, shape: nil, note: "\(kind), not followed"))
            case let .refused(reason):
                tensors.append(FileListing.Tensor(name: entry.path, dtype: nil, shape: nil, note: "not opened: \(reason)"))
            }
        }
        return (tensors, listed.omitted)
    }

    /// A group's attributes and their values, at most ``maximumAttributes`` of them.
    static func attributes(of group: HDF5Group) throws(HDF5Error) -> (attributes: [FileListing.Attribute], omitted: Int) {
        let names = try group.attributeNames()
        var attributes: [FileListing.Attribute] = []
        for name in names.prefix(maximumAttributes) {
            do {
                guard let value = try group.attributeValue(name) else { continue }
                attributes.append(attribute(name, value))
            } catch {
                if case .corruptFile = error { throw error }
                attributes.append(FileListing.Attribute(name: name, value: .string("(unreadable: \(error))")))
            }
        }
        return (attributes, max(0, names.count - maximumAttributes))
    }

    /// An attribute's value as JSON, cut to ``maximumAttributeElements`` elements and
    /// ``maximumAttributeCharacters`` characters a string.
    static func attribute(_ name: String, _ value: HDF5AttributeValue) -> FileListing.Attribute {
        var complete = true
        func string(_ s: String) -> JSON {
            guard s.count > maximumAttributeCharacters else { return .string(s) }
            complete = false
            return .string(String(s.prefix(maximumAttributeCharacters)))
        }
        func number(_ d: Double) -> JSON { d.isFinite ? .number(d) : .string("\(d)") }
        switch value {
        case let .strings(values, scalar):
            if scalar, let only = values.first { return FileListing.Attribute(name: name, value: string(only), complete: complete) }
            complete = values.count <= maximumAttributeElements
            let shown = values.prefix(maximumAttributeElements).map(string)
            return FileListing.Attribute(name: name, value: .array(shown), complete: complete)
        case let .numbers(values, scalar):
            if scalar, let only = values.first { return FileListing.Attribute(name: name, value: number(only)) }
            return FileListing.Attribute(name: name, value: .array(values.prefix(maximumAttributeElements).map(number)),
                                         complete: values.count <= maximumAttributeElements)
        case let .unsupported(type):
            return FileListing.Attribute(name: name, value: .string("(\(type))"), complete: false)
        }
    }

    /// Sets each layer's parameter count to the values stored under the group `prefix` gives it
    /// (`/model_weights/dense/`, `/layers/dense_1/`: a layer's arrays are under the first two
    /// components of their paths, so each array is counted once, in one pass).
    static func countParameters(_ listing: inout FileListing, prefix: (FileListing.Layer) -> String?) {
        var byGroup: [String: Int] = [:]
        for tensor in listing.tensors where tensor.note == nil {
            let components = tensor.name.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
            guard components.count == 3, components[0].isEmpty else { continue }
            let group = "/\(components[1])/\(components[2].split(separator: "/").first ?? "")/"
            byGroup[group, default: 0] += tensor.elementCount ?? 0
        }
        for index in listing.layers.indices {
            guard let start = prefix(listing.layers[index]) else { continue }
            let own = byGroup[start]
            guard listing.layers[index].className != "InputLayer" || own != nil else { continue }
            listing.layers[index].parameterCount = own ?? 0
        }
    }

    /// Parameter counts for a weights store (`layers/<group>/vars/<i>`): Keras 3 names each
    /// group's layer in the `name` attribute of its `vars`; tf_keras does not, and its groups
    /// follow the layers' classes in snake case, numbered per class.
    static func countStoreParameters(_ listing: inout FileListing, root: HDF5Group) throws {
        guard try root.hasMember("layers") else { return }
        let layersGroup = try root.group("layers")
        var groupOfLayer: [String: String] = [:]
        for group in try layersGroup.memberNames(limit: ModelArchitecture.maximumLayers + 1) {
            guard try layersGroup.hasMember("\(group)/vars"), try layersGroup.kind(of: group) == .group else { continue }
            if let layer = try? layersGroup.group("\(group)/vars").stringAttribute("name") { groupOfLayer[layer] = group }
        }
        var counters: [String: Int] = [:]
        var byClass: [String: String] = [:]
        for layer in listing.layers where layer.className != "InputLayer" || listing.modelClass != "Sequential" {
            let base = KerasWeights.snakeCase(layer.className)
            let n = counters[base, default: 0]
            counters[base] = n + 1
            byClass[layer.name] = n == 0 ? base : "\(base)_\(n)"
        }
        countParameters(&listing) { layer in
            guard let group = groupOfLayer[layer.name] ?? (groupOfLayer.isEmpty ? byClass[layer.name] : nil) else { return nil }
            return "/layers/\(group)/"
        }
    }

    // MARK: .keras archives

    static func archive(_ diskPath: String, name path: String, options: InspectOptions, obstacle: FileListing.Obstacle,
                        after error: any Error) throws(KerasImportError) -> FileListing {
        let (archive, size) = try KerasReader.openArchive(diskPath, name: path)
        var description = FileDescription(path: path, format: .keras, layout: KerasFileInfo.Layout.archive.rawValue,
                                          fileSize: Int(size))
        var listing = FileListing(file: description, obstacle: obstacle, reason: "\(error)")
        let configBytes = try KerasReader.member(archive, "config.json", path: path, archiveSize: size,
                                                 limit: KerasReader.maximumJSONMemberSize)
        let config = try KerasReader.parseJSON(configBytes, path: path, field: "config.json")
        model(config, path: path, error: error, into: &listing)
        if let compile = config["compile_config"], !compile.isNull { KerasTrainingConfig.apply(compile, to: &listing.metadata) }
        if archive["metadata.json"] != nil {
            let meta = try KerasReader.parseJSON(try KerasReader.member(archive, "metadata.json", path: path, archiveSize: size,
                                                                        limit: KerasReader.maximumJSONMemberSize),
                                                 path: path, field: "metadata.json")
            description.kerasVersion = meta["keras_version"]?.stringValue
            listing.metadata.createdAt = meta["date_saved"]?.stringValue
        }
        let store = try KerasReader.extractStore(archive, path: path, archiveSize: size)
        defer { try? store.close() }
        let storePath = path + "/model.weights.h5"
        try KerasImportError.mapping(path: storePath, field: "model.weights.h5") {
            let root = try store.root
            description.writtenByNNModel = try root.hasAttribute(KerasHDF5Writer.versionAttribute)
            description.producer = description.writtenByNNModel ? try root.stringAttribute(KerasHDF5Writer.versionAttribute)
                : description.kerasVersion.map { "keras \($0)" }
            (listing.tensors, listing.omittedTensors) = try tensors(of: root, statistics: options.statistics)
            try countStoreParameters(&listing, root: root)
        }
        if listing.metadata.producer == nil { listing.metadata.producer = description.producer }
        listing.file = description
        return listing
    }
}

extension KerasReader {
    /// Opens the `.keras` archive at `diskPath` after checking its directory (see
    /// ``KerasArchiveCheck``) and refusing encrypted members; `name` names it in messages.
    static func openArchive(_ diskPath: String, name path: String) throws(KerasImportError) -> (archive: Archive, size: UInt64) {
        let file: ReadableFile
        do { file = try ReadableFile(path: diskPath) } catch { throw .file(error) }
        let entries: [KerasArchiveCheck.Entry]
        switch KerasArchiveCheck.entries(of: file) {
        case let .success(found): entries = found
        case let .failure(problem): throw .invalidArchive(path: path, reason: problem.text)
        }
        if let encrypted = entries.first(where: \.encrypted) {
            throw .invalidArchive(path: path, reason: "member '\(Excerpt.quote(encrypted.name))' is encrypted; Keras never encrypts its archives")
        }
        let archive: Archive
        do { archive = try Archive(url: URL(fileURLWithPath: diskPath), accessMode: .read) } catch {
            throw .invalidArchive(path: path, reason: "\(error)")
        }
        return (archive, UInt64(file.size))
    }
}
