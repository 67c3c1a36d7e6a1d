import NNPlot

extension Pictures {
    /// A diagram of a model's layers as an SVG document, like Keras's
    /// `plot_model(show_shapes=True)`: the input and then each layer top to bottom, as boxes
    /// joined by arrows.
    ///
    /// The input's box shows its name and the sample shape; each layer's box shows its name and
    /// class (`dense (Dense)`), its activation where it has one, its dropout rate, `No bias` for a
    /// Dense layer without one, `Frozen` when training leaves it alone (drawn dashed), the output
    /// shape with the batch axis as `None` (`(None, 128)`) and its parameter count. A title line
    /// gives the model's name and its total parameters. Names come from files: they are escaped,
    /// and lines longer than 80 characters are cut (the whole text is in the box's tooltip).
    ///
    /// - Parameter architecture: the model; it is validated first (at most
    ///   `ModelArchitecture.maximumLayers` layers, so the document stays a few megabytes).
    /// - Throws: `ModelConfigError` when the architecture is not valid.
    public static func modelDiagram(_ architecture: ModelArchitecture) throws -> String {
        let shapes = try architecture.validated()
        let counts = architecture.parameterCounts()
        var boxes = [LayerDiagram.Box(heading: "\(architecture.inputName) (InputLayer)",
                                      details: ["Output shape: \(batchShape(architecture.inputShape))"], style: .input)]
        boxes.reserveCapacity(architecture.layers.count + 1)
        var frozen = 0
        for (i, layer) in architecture.layers.enumerated() {
            var details: [String] = []
            switch layer.kind {
            case let .dense(d):
                details.append("Activation: \(d.activation.kerasName)")
                if !d.useBias { details.append("No bias") }
            case let .activation(a): details.append("Activation: \(a.kerasName)")
            case let .dropout(rate): details.append("Rate: \(rate)")
            case .flatten: break
            default:
                details += layer.kind.options.map { "\($0.key): \($0.value.serialized())" }
            }
            if !layer.trainable {
                details.append("Frozen (not trainable)")
                frozen += counts[i]
            }
            details.append("Output shape: \(batchShape(shapes[i]))")
            details.append("Params: \(grouped(counts[i]))")
            boxes.append(LayerDiagram.Box(heading: "\(layer.name) (\(layer.className))", details: details,
                                          style: layer.trainable ? .layer : .frozen))
        }
        let total = counts.reduce(0, +)
        var title = "\(architecture.name): \(grouped(total)) parameters"
        if frozen > 0 { title += " (\(grouped(frozen)) non-trainable)" }
        return try LayerDiagram(title: title, boxes: boxes).svg()
    }

    /// `(None, 28, 28)`: a sample shape with the batch axis first, as Keras prints it.
    static func batchShape(_ shape: [Int]) -> String {
        "(None, " + shape.map(String.init).joined(separator: ", ") + ")"
    }

    /// `101,770`.
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = n < 0 ? "-" : ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return out
    }
}
