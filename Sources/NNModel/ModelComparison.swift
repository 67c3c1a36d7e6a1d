import NNCore

/// How two models differ: their architectures, layer by layer, and their weights, tensor by tensor.
public struct ModelComparison: Sendable {
    /// The comparison of one weight tensor.
    public struct TensorDifference: Sendable {
        /// The weight's name in the first model (and in the second, when it differs).
        public var name: String
        public var otherName: String
        public var shape: [Int]
        public var otherShape: [Int]
        /// The largest `|a - b|`.
        public var maximumAbsolute: Double
        /// The largest `|a - b| / max(|a|, |b|)` over elements where either is non-zero.
        public var maximumRelative: Double
        /// Elements outside the tolerance.
        public var mismatches: Int
        /// Whether the tensors are equal within the tolerance (and shaped alike).
        public var equal: Bool
    }

    /// Differences of architecture, as sentences (`layer 2: units 128 vs 64`).
    public var architectureDifferences: [String]
    public var tensors: [TensorDifference]
    /// Differences of metadata that do not make the models unequal (informational).
    public var metadataDifferences: [String]

    /// Whether the models have the same architecture and weights within the tolerance.
    public var equal: Bool { architectureDifferences.isEmpty && tensors.allSatisfy(\.equal) }

    /// Compares `a` and `b`; elements are equal when `|a - b| <= absolute + relative × |b|` (NumPy's `allclose`).
    ///
    /// - Parameters:
    ///   - a: the first model.
    ///   - b: the second model (the reference of the relative tolerance).
    ///   - absoluteTolerance: the absolute tolerance per element.
    ///   - relativeTolerance: the relative tolerance per element, times `|b|`.
    ///   - ignoreNames: do not count different layer and model names as differences.
    public init(_ a: Sequential, _ b: Sequential, absoluteTolerance: Double = 0, relativeTolerance: Double = 0,
                ignoreNames: Bool = false) {
        var arch: [String] = []
        let x = a.architecture, y = b.architecture
        if x.inputShape != y.inputShape { arch.append("input shape \(x.inputShape) vs \(y.inputShape)") }
        if !ignoreNames, x.name != y.name { arch.append("model name '\(x.name)' vs '\(y.name)'") }
        if x.layers.count != y.layers.count {
            arch.append("\(x.layers.count) layers vs \(y.layers.count): [\(x.layers.map(\.className).joined(separator: ", "))] vs [\(y.layers.map(\.className).joined(separator: ", "))]")
        }
        for (i, (l, r)) in zip(x.layers, y.layers).enumerated() {
            let label = "layer \(i) ('\(l.name)')"
            if !ignoreNames, l.name != r.name { arch.append("\(label): name '\(l.name)' vs '\(r.name)'") }
            if l.trainable != r.trainable { arch.append("\(label): trainable \(l.trainable) vs \(r.trainable)") }
            switch (l.kind, r.kind) {
            case let (.dense(p), .dense(q)):
                if p.units != q.units { arch.append("\(label): units \(p.units) vs \(q.units)") }
                if p.activation != q.activation { arch.append("\(label): activation \(p.activation.kerasName) vs \(q.activation.kerasName)") }
                if p.useBias != q.useBias { arch.append("\(label): use_bias \(p.useBias) vs \(q.useBias)") }
            case let (.activation(p), .activation(q)) where p != q:
                arch.append("\(label): activation \(p.kerasName) vs \(q.kerasName)")
            case let (.dropout(p), .dropout(q)) where p != q:
                arch.append("\(label): rate \(p) vs \(q)")
            case (.flatten, .flatten), (.activation, .activation), (.dropout, .dropout):
                break
            default:
                guard l.className == r.className else {
                    arch.append("\(label): \(l.className) vs \(r.className)")
                    break
                }
                for (p, q) in zip(l.kind.options, r.kind.options) where p.value != q.value {
                    arch.append("\(label): \(p.key) \(p.value.serialized()) vs \(q.value.serialized())")
                }
            }
        }
        architectureDifferences = arch

        let sa = a.weightSpecs, sb = b.weightSpecs
        var tensors: [TensorDifference] = []
        for i in 0..<max(sa.count, sb.count) {
            guard i < sa.count, i < sb.count else {
                let spec = i < sa.count ? sa[i] : sb[i]
                tensors.append(TensorDifference(name: i < sa.count ? spec.name : "(none)", otherName: i < sb.count ? spec.name : "(none)",
                                                shape: i < sa.count ? spec.shape : [], otherShape: i < sb.count ? spec.shape : [],
                                                maximumAbsolute: .infinity, maximumRelative: .infinity, mismatches: 0, equal: false))
                continue
            }
            let ta = a.weights[i], tb = b.weights[i]
            var d = TensorDifference(name: sa[i].name, otherName: sb[i].name, shape: ta.shape, otherShape: tb.shape,
                                     maximumAbsolute: 0, maximumRelative: 0, mismatches: 0, equal: ta.shape == tb.shape)
            if ta.shape == tb.shape {
                ta.withUnsafeBufferPointer { p in
                    tb.withUnsafeBufferPointer { q in
                        for j in 0..<p.count {
                            let u = Double(p[j]), v = Double(q[j])
                            if u.isNaN || v.isNaN {
                                if u.isNaN != v.isNaN { d.mismatches += 1; d.maximumAbsolute = .nan }
                                continue
                            }
                            // Equal values (equal infinities included) are equal, as in NumPy's allclose.
                            if u == v { continue }
                            let diff = abs(u - v)
                            d.maximumAbsolute = max(d.maximumAbsolute, diff)
                            // An infinity against a finite value (or the other infinity) differs infinitely,
                            // also relatively (inf / inf would be NaN, which max() drops).
                            let scale = max(abs(u), abs(v))
                            let relative = diff.isInfinite ? Double.infinity : diff / scale
                            d.maximumRelative = max(d.maximumRelative, relative)
                            if !(diff <= absoluteTolerance + relativeTolerance * abs(v)) { d.mismatches += 1 }
                        }
                    }
                }
                d.equal = d.mismatches == 0
            } else {
                d.maximumAbsolute = .infinity
                d.maximumRelative = .infinity
            }
            tensors.append(d)
        }
        self.tensors = tensors

        var meta: [String] = []
        let ma = a.metadata, mb = b.metadata
        if ma.classNames != mb.classNames { meta.append("class names differ") }
        if ma.loss != mb.loss { meta.append("loss '\(ma.loss ?? "none")' vs '\(mb.loss ?? "none")'") }
        if ma.history != mb.history { meta.append("training history differs (\(ma.history?.epochs.count ?? 0) vs \(mb.history?.epochs.count ?? 0) epochs)") }
        if (a.optimizerState == nil) != (b.optimizerState == nil) {
            meta.append("optimizer state only in the \(a.optimizerState == nil ? "second" : "first") model")
        } else if let p = a.optimizerState, let q = b.optimizerState, p != q {
            meta.append("optimizer state differs (\(p.config.kind.rawValue), \(p.iterations) vs \(q.iterations) steps)")
        }
        metadataDifferences = meta
    }
}
