import NNSchema
import NNHDF5
import NNSystem

/// Reads weights in the two HDF5 layouts Keras uses and matches them to an architecture.
enum KerasWeights {
    /// The most weights a layer may list in `weight_names` (Dense has 2, normalization layers 4).
    static let maximumWeightsPerLayer = 64

    /// The layers of `architecture` that have weights, with their specs.
    static func weightedLayers(_ architecture: ModelArchitecture, path: String) throws(KerasImportError)
        -> [(layer: Layer, specs: [WeightSpec])]
    {
        let byLayer: [[WeightSpec]]
        do { byLayer = try architecture.weightSpecsByLayer() } catch { throw .invalidConfig(path: path, error) }
        return zip(architecture.layers, byLayer).compactMap { layer, own in own.isEmpty ? nil : (layer, own) }
    }

    /// A weight dataset found and checked (type and shape), not read yet.
    struct Located {
        var dataset: HDF5Dataset
        var layer: String
        var spec: WeightSpec
        /// The file's path, for messages.
        var path: String

        /// Reads the whole dataset.
        func read() throws(KerasImportError) -> Tensor {
            try KerasImportError.mapping(path: path, field: dataset.name) {
                Tensor(shape: spec.shape, storage: try TensorStorage(count: dataset.elementCount) { try dataset.readFloats(into: $0) })
            }
        }

        /// The dataset as a tensor read a piece at a time: through hyperslab selections, or, for
        /// plain contiguous float32 data and when `file` is the file's bytes, with `pread` (the same
        /// values without libhdf5's per-read cost).
        func streamed(file: ReadableFile?) throws(KerasImportError) -> StreamedTensor {
            let located = self
            let raw = 1.littleEndian == 1 ? dataset.contiguousFloat32Bytes : nil
            guard let tensor = StreamedTensor(shape: spec.shape, open: {
                if let file, let raw { return RawFloat32Reader(file: file, offset: raw.offset) }
                return KerasDatasetReader(located)
            }) else {
                throw .shapeMismatch(path: path, layer: layer, weight: spec.role, expected: spec.shape, found: dataset.shape)
            }
            return tensor
        }
    }

    /// Checks one weight dataset's type and shape.
    static func locate(_ dataset: HDF5Dataset, layer: String, spec: WeightSpec, path: String) throws(KerasImportError) -> Located {
        switch dataset.elementType {
        case .float16, .float32, .float64: break
        default: throw .unsupportedDType(path: path, weight: dataset.name, found: dataset.elementType.description)
        }
        guard dataset.shape == spec.shape else {
            throw .shapeMismatch(path: path, layer: layer, weight: spec.role, expected: spec.shape, found: dataset.shape)
        }
        return Located(dataset: dataset, layer: layer, spec: spec, path: path)
    }

    /// Reads one weight dataset, checking its type and shape.
    static func read(_ dataset: HDF5Dataset, layer: String, spec: WeightSpec, path: String) throws(KerasImportError) -> Tensor {
        try locate(dataset, layer: layer, spec: spec, path: path).read()
    }

    /// Legacy layout (`model.save(".h5")`'s `model_weights` group, or a Keras 2 `save_weights` root):
    /// `layer_names` lists the layers in model order; each layer group's `weight_names` lists its
    /// datasets (kernel, then bias). As Keras does, layers without weights are skipped on both
    /// sides and the rest are matched in order; every shape is checked.
    static func legacy(_ group: HDF5Group, architecture: ModelArchitecture, path: String) throws(KerasImportError)
        -> (weights: [Located], dtype: DType)
    {
        try KerasImportError.mapping(path: path, field: group.name) {
            guard let layerNames = try group.stringArrayAttribute("layer_names", maximumCount: ModelArchitecture.maximumLayers + 1) else {
                throw KerasImportError.invalidMetadata(path: path, field: "'layer_names' attribute of \(group.name)", reason: "missing")
            }
            // Listed once: looking each layer up by name would read the group's object header,
            // which holds layer_names, once per layer.
            let members = try group.members()
            var saved: [(name: String, group: HDF5Group, weightNames: [String])] = []
            for name in layerNames {
                // A name with '/' is a path through nested groups, as h5py (and so Keras) resolves it.
                guard try group.hasMember(name, listedIn: members) else {
                    throw KerasImportError.invalidMetadata(path: path, field: "'layer_names' attribute of \(group.name)",
                                                           reason: "it lists layer '\(Excerpt.quote(name, limit: 120))', which has no group there")
                }
                let layerGroup = try group.group(name, listedIn: members)
                let weightNames = try layerGroup.stringArrayAttribute("weight_names", maximumCount: KerasWeights.maximumWeightsPerLayer) ?? []
                if !weightNames.isEmpty { saved.append((name, layerGroup, weightNames)) }
            }
            let needed = try weightedLayers(architecture, path: path)
            guard saved.count == needed.count else {
                throw KerasImportError.layerCountMismatch(path: path, expected: needed.map(\.layer.name), found: saved.map(\.name))
            }
            var weights: [Located] = []
            var dtype = DType.float32
            for (entry, (_, specs)) in zip(saved, needed) {
                guard entry.weightNames.count == specs.count else {
                    throw KerasImportError.weightCountMismatch(path: path, layer: entry.name, expected: specs.count, found: entry.weightNames.count)
                }
                for (position, spec) in specs.enumerated() {
                    // Keras loads by position; a name that says another role (gamma listed where
                    // moving_variance belongs) is a file whose two readings differ: refused.
                    let weightName = entry.weightNames[position]
                    if let role = roleOf(weightName), role != spec.role {
                        throw KerasImportError.invalidMetadata(
                            path: path, field: "'weight_names' of layer '\(Excerpt.quote(entry.name, limit: 120))'",
                            reason: "position \(position) holds '\(Excerpt.quote(weightName, limit: 120))', where Keras's order has the \(spec.role) (Keras reads by position, the name says otherwise)")
                    }
                    guard try entry.group.hasMember(weightName) else {
                        throw KerasImportError.missingWeight(path: path, layer: entry.name, weight: weightName)
                    }
                    let dataset = try entry.group.dataset(weightName)
                    if let stored = dataset.elementType.dtype, stored != .float32 { dtype = stored }
                    weights.append(try locate(dataset, layer: entry.name, spec: spec, path: path))
                }
            }
            return (weights, dtype)
        }
    }

    /// The role from a Keras weight name (`dense/kernel:0`, `sequential/dense/bias`,
    /// `batch_normalization/moving_mean:0`), or nil for a name that is none of ``LayerKind/weightRoles``.
    static func roleOf(_ weightName: String) -> String? {
        var last = weightName.split(separator: "/").last.map(String.init) ?? weightName
        if let colon = last.firstIndex(of: ":") { last = String(last[..<colon]) }
        return LayerKind.weightRoles.contains(last) ? last : nil
    }

    /// Keras's file name for a layer class (`Dense` → `dense`, `InputLayer` → `input_layer`).
    static func snakeCase(_ className: String) -> String { KerasConfig.snakeCase(className) }

    /// Keras 3 / tf_keras 2.13+ weights store (`.weights.h5`, or `model.weights.h5` in a `.keras`):
    /// `layers/<class>[_<n>]/vars/<i>`, where the group name is the layer class in snake case with a
    /// per-class counter in model order, and `<i>` is the variable's index (kernel 0, bias 1).
    /// Keras 3 also stores the layer's real name as the `name` attribute of `vars`; tf_keras does
    /// not, so matching is by order, with every shape checked.
    static func store(_ root: HDF5Group, architecture: ModelArchitecture, path: String) throws(KerasImportError)
        -> (weights: [Located], dtype: DType)
    {
        try KerasImportError.mapping(path: path, field: "layers") {
            guard try root.hasMember("layers") else {
                throw KerasImportError.unknownLayout(path: path, found: "no 'layers' group")
            }
            let layersGroup = try root.group("layers")
            // Listed once, and each layer's group opened from the listing (see `legacy`).
            let members = try layersGroup.members()
            /// The `vars` group of `layers/<name>`, or nil when there is none (as `hasMember` counts it).
            func vars(_ name: String) throws(HDF5Error) -> HDF5Group? {
                guard members.contains(name) else { return nil }
                let layer: HDF5Group
                do throws(HDF5Error) { layer = try layersGroup.group(name, listedIn: members) } catch {
                    HDF5Library.discardErrorStack()
                    if case .corruptFile = error { throw error }
                    return nil
                }
                return try layer.hasMember("vars") ? try layer.group("vars") : nil
            }
            var used: Set<String> = []
            var weights: [Located] = []
            var dtype = DType.float32
            let byLayer: [[WeightSpec]]
            do throws(ModelConfigError) { byLayer = try architecture.weightSpecsByLayer() } catch {
                throw KerasImportError.invalidConfig(path: path, error)
            }
            for (index, (layer, groupName)) in zip(architecture.layers, storeGroupNames(architecture)).enumerated() {
                let own = byLayer[index]
                guard !own.isEmpty else { used.insert(groupName); continue }
                guard let vars = try vars(groupName) else {
                    throw KerasImportError.missingWeight(path: path, layer: layer.name, weight: "layers/\(groupName)/vars")
                }
                used.insert(groupName)
                let count = try variableCount(vars)
                guard count == own.count else {
                    throw KerasImportError.weightCountMismatch(path: path, layer: layer.name, expected: own.count, found: count)
                }
                for (i, spec) in own.enumerated() {
                    let dataset = try vars.dataset(String(i))
                    if let stored = dataset.elementType.dtype, stored != .float32 { dtype = stored }
                    weights.append(try locate(dataset, layer: layer.name, spec: spec, path: path))
                }
            }
            // A group with variables the architecture does not account for means a different model.
            for name in members.names where !used.contains(name) {
                if let vars = try vars(name), try variableCount(vars) > 0 {
                    let expected = try weightedLayers(architecture, path: path).map(\.layer.name)
                    throw KerasImportError.layerCountMismatch(path: path, expected: expected,
                                                              found: expected + ["layers/\(name) (not in the architecture)"])
                }
            }
            return (weights, dtype)
        }
    }

    /// The group of each layer under `layers/` in a weights store: the class in snake case, with
    /// a per-class counter in model order after the first (`dense`, `dense_1`, `flatten`), as
    /// Keras names the layers of a Sequential model's `layers` list.
    static func storeGroupNames(_ architecture: ModelArchitecture) -> [String] {
        var counters: [String: Int] = [:]
        return architecture.layers.map { layer in
            let base = snakeCase(layer.className)
            let n = counters[base, default: 0]
            counters[base] = n + 1
            return n == 0 ? base : "\(base)_\(n)"
        }
    }

    /// The number of variables `0`, `1`, ... in a `vars` group (they must be consecutive).
    static func variableCount(_ vars: HDF5Group) throws -> Int {
        var n = 0
        while try vars.hasMember(String(n)) { n += 1 }
        return n
    }
}

extension HDF5ElementType {
    /// The dtype of a floating-point element type (`nil` for any other).
    var dtype: DType? {
        switch self {
        case .float16: return .float16
        case .float32: return .float32
        case .float64: return .float64
        default: return nil
        }
    }
}

/// Reads a weight dataset in order, a piece at a time.
final class KerasDatasetReader: StreamedTensorReader {
    let located: KerasWeights.Located
    private var position = 0

    init(_ located: KerasWeights.Located) { self.located = located }

    func read(into buffer: UnsafeMutableBufferPointer<Float>) throws {
        let dataset = located.dataset
        let start = position
        do {
            try dataset.readFloats(from: start, into: buffer)
        } catch {
            throw KerasImportError.hdf5(error)
        }
        position += buffer.count
    }

    func finish() throws {}
}

/// Reads little-endian float32 values stored contiguously at `offset` in a file, in order.
final class RawFloat32Reader: StreamedTensorReader {
    let file: ReadableFile
    let offset: Int
    private var position = 0

    init(file: ReadableFile, offset: Int) {
        self.file = file
        self.offset = offset
    }

    func read(into buffer: UnsafeMutableBufferPointer<Float>) throws {
        do { try file.read(into: UnsafeMutableRawBufferPointer(buffer), at: offset + position * 4) } catch {
            throw KerasImportError.file(error)
        }
        position += buffer.count
    }

    func finish() throws {}
}
