import NNSchema

/// Where one weight of an architecture goes in a flat map of tensors.
struct TensorSlot: Equatable {
    /// The key in the file.
    var key: String
    /// The shape stored in the file.
    var storedShape: [Int]
    /// Whether the stored tensor is the transpose of nnmodel's (a PyTorch `Linear.weight`).
    var transposed: Bool
}

extension TensorNaming {
    /// The key and stored layout of every weight of `specs` (in their order).
    func slots(for architecture: ModelArchitecture, specs: [WeightSpec]) -> [TensorSlot] {
        switch self {
        case .keras:
            return specs.map { TensorSlot(key: $0.name, storedShape: $0.shape, transposed: false) }
        case .torch:
            let modules = Self.torchModuleIndices(architecture)
            return specs.map { spec in
                let index = modules[spec.layerIndex]
                if spec.role == "kernel" {
                    return TensorSlot(key: "\(index).weight", storedShape: spec.shape.reversed(), transposed: true)
                }
                return TensorSlot(key: "\(index).bias", storedShape: spec.shape, transposed: false)
            }
        }
    }

    /// The index in the equivalent `nn.Sequential` of each layer's first module: Flatten,
    /// Dropout and every Activation layer are one module each (`nn.Identity()` for a linear
    /// activation), a Dense layer is a `Linear` followed by its activation's module unless the
    /// activation is linear.
    static func torchModuleIndices(_ architecture: ModelArchitecture) -> [Int] {
        var index = 0
        return architecture.layers.map { layer in
            let first = index
            switch layer.kind {
            case let .dense(d): index += d.activation == .linear ? 1 : 2
            default: index += 1
            }
            return first
        }
    }

    /// The first layer PyTorch naming cannot describe: it covers chains of Dense, Flatten,
    /// Activation and Dropout layers (`nn.Linear` and activation modules); other layers' weights
    /// are laid out differently in PyTorch (`Conv2d` is `[out, in, kh, kw]`, `BatchNorm` adds
    /// `num_batches_tracked`), so they are written and read with Keras names only.
    static func firstLayerWithoutTorchNaming(_ architecture: ModelArchitecture) -> Layer? {
        architecture.layers.first { layer in
            switch layer.kind {
            case .dense, .flatten, .activation, .dropout: return false
            default: return !layer.kind.weightShapes(input: [1, 1, 1]).isEmpty
            }
        }
    }

    /// Refuses PyTorch naming for an architecture it cannot describe.
    static func checkTorchNaming(_ architecture: ModelArchitecture, path: String) throws(SafetensorsError) {
        if let layer = firstLayerWithoutTorchNaming(architecture) {
            throw .weightsMismatch(path: path, reason: "PyTorch tensor names are supported for Dense layers only; layer '\(Excerpt.quote(layer.name, limit: 64))' is a \(layer.className) (use Keras names: --naming keras)")
        }
    }

    /// The naming of tensors with `keys` for an architecture's weights: Keras's when every
    /// weight's Keras name (or TensorFlow's `name:0`) is a key, else PyTorch's when every key is
    /// `[prefix.]N.weight` or `[prefix.]N.bias`. Returns the slot of each weight, matching the
    /// i-th `Linear` of the file (by module index) with the i-th Dense layer.
    static func detect(keys: [String], architecture: ModelArchitecture, specs: [WeightSpec], path: String)
        throws(SafetensorsError) -> (naming: TensorNaming, slots: [TensorSlot])
    {
        let keySet = Set(keys)
        let keras = specs.map { spec -> TensorSlot? in
            if keySet.contains(spec.name) { return TensorSlot(key: spec.name, storedShape: spec.shape, transposed: false) }
            if keySet.contains(spec.name + ":0") { return TensorSlot(key: spec.name + ":0", storedShape: spec.shape, transposed: false) }
            return nil
        }
        if keras.allSatisfy({ $0 != nil }) {
            let slots = keras.compactMap { $0 }
            try checkNoneLeft(keys: keys, used: slots, path: path, naming: "Keras")
            return (.keras, slots)
        }
        // Some weights found by their Keras names: the file names them so, and lacks the others.
        if let missing = keras.firstIndex(where: { $0 == nil }), keras.contains(where: { $0 != nil }) {
            throw .weightsMismatch(path: path, reason: "no tensor named '\(Excerpt.quote(specs[missing].name, limit: 64))' (the file names its tensors as Keras names weights, and has \(keys.count) for the architecture's \(specs.count) weights)")
        }
        // PyTorch: [prefix.]index.(weight|bias), one prefix for every key.
        if let missing = keras.firstIndex(where: { $0 == nil }), firstLayerWithoutTorchNaming(architecture) != nil {
            throw .weightsMismatch(path: path, reason: "no tensor named '\(Excerpt.quote(specs[missing].name, limit: 64))' (this architecture's weights must have Keras names: PyTorch names are read for Dense layers only)")
        }
        var modules: [Int: (weight: String?, bias: String?)] = [:]
        var prefix: String?
        for key in keys {
            guard let parsed = parseTorchKey(key), prefix == nil || prefix == parsed.prefix else {
                let expected = specs.prefix(2).map { "'\($0.name)'" }.joined(separator: ", ")
                throw .weightsMismatch(path: path, reason: "tensor '\(Excerpt.quote(key, limit: 64))' is named neither as the architecture's Keras weights (\(expected), ...) nor as a PyTorch nn.Sequential's (\"0.weight\", \"0.bias\", ...)")
            }
            prefix = parsed.prefix
            var entry = modules[parsed.index] ?? (nil, nil)
            if parsed.isWeight { entry.weight = key } else { entry.bias = key }
            modules[parsed.index] = entry
        }
        let linears = modules.keys.sorted()
        let kernels = specs.filter { $0.role == "kernel" }
        guard linears.count == kernels.count else {
            throw .weightsMismatch(path: path, reason: "the file has \(linears.count) PyTorch modules with weights, the architecture \(kernels.count) Dense layers")
        }
        var slots: [TensorSlot] = []
        var linear = -1
        for spec in specs {
            if spec.role == "kernel" { linear += 1 }
            guard linear >= 0 else { throw .weightsMismatch(path: path, reason: "a bias before any kernel") }
            let module = modules[linears[linear]] ?? (nil, nil)
            if spec.role == "kernel" {
                guard let key = module.weight else {
                    throw .weightsMismatch(path: path, reason: "module \(linears[linear]) has a bias and no weight, for Dense '\(Excerpt.quote(spec.name, limit: 64))'")
                }
                slots.append(TensorSlot(key: key, storedShape: spec.shape.reversed(), transposed: true))
            } else {
                guard let key = module.bias else {
                    throw .weightsMismatch(path: path, reason: "module \(linears[linear]) has no bias, and '\(Excerpt.quote(spec.name, limit: 64))' needs one")
                }
                slots.append(TensorSlot(key: key, storedShape: spec.shape, transposed: false))
            }
        }
        try checkNoneLeft(keys: keys, used: slots, path: path, naming: "PyTorch")
        return (.torch, slots)
    }

    /// Refuses a file with tensors the architecture has no place for (as PyTorch's strict
    /// `load_state_dict` does).
    static func checkNoneLeft(keys: [String], used: [TensorSlot], path: String, naming: String) throws(SafetensorsError) {
        let usedKeys = Set(used.map(\.key))
        let left = keys.filter { !usedKeys.contains($0) }
        guard left.isEmpty else {
            throw .weightsMismatch(path: path, reason: "\(left.count) tensor(s) the architecture has no weight for (read with \(naming) names), first '\(Excerpt.quote(left[0], limit: 64))'")
        }
    }

    /// `prefix.N.weight` → (`prefix.`, N, true).
    static func parseTorchKey(_ key: String) -> (prefix: String, index: Int, isWeight: Bool)? {
        let isWeight: Bool
        let stem: Substring
        if key.hasSuffix(".weight") { isWeight = true; stem = key.dropLast(7) } else if key.hasSuffix(".bias") {
            isWeight = false; stem = key.dropLast(5)
        } else { return nil }
        let digits = stem.reversed().prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 9, let index = Int(String(digits.reversed())) else { return nil }
        let prefix = stem.dropLast(digits.count)
        guard prefix.isEmpty || prefix.hasSuffix(".") else { return nil }
        return (String(prefix), index, isWeight)
    }
}
