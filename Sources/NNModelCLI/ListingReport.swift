import NNModel

/// The human-readable report of a file nnmodel reads but cannot run: why, the layers as written
/// (Keras-summary style, each unsupported one marked), the file's facts and attributes, and every
/// stored array.
enum ListingText {
    /// The longest details cell of the layer table; the JSON output has the whole config.
    static let detailsWidth = 72
    /// The longest attribute value shown; the JSON output has more.
    static let attributeWidth = 200
    /// The mark of a layer nnmodel cannot run.
    static let unsupportedMark = "✗"

    static func render(_ listing: FileListing, statistics: Bool) -> String {
        var out: [String] = ["nnmodel reads this file but cannot run it: \(shown(listing.reason))"]
        if listing.obstacle == .weightsOnly {
            out.append("It holds weights only; \(ExitStatus.architectureHint) to run it.")
        }
        out.append("")
        if !listing.layers.isEmpty {
            out += layerTable(listing)
            out.append("")
        }
        out += facts(listing)
        if !listing.attributes.isEmpty {
            out.append("")
            out.append("Attributes:")
            let w = (listing.attributes.map(\.name.count).max() ?? 0) + 1
            for a in listing.attributes {
                out.append("  " + pad(shown(a.name) + ":", w + 1) + shown(cut(attributeText(a), attributeWidth)))
            }
            if listing.omittedAttributes > 0 { out.append("  (\(Formatting.grouped(listing.omittedAttributes)) more not listed)") }
        }
        out.append("")
        out += tensorTable(listing, statistics: statistics)
        return out.joined(separator: "\n")
    }

    /// The layers as written, with a "Connected to" column for graphs, and the reasons of the
    /// marked layers below the table.
    static func layerTable(_ listing: FileListing) -> [String] {
        var out: [String] = []
        let kind = listing.modelClass.map { " (\(shown($0)), as written)" } ?? " (as written)"
        out.append("Model: \"\(shown(listing.modelName ?? ""))\"" + kind)
        let graph = listing.layers.contains { $0.inputs != nil }
        var headers = ["Layer (type)", "Output Shape", "Param #"]
        if graph { headers.append("Connected to") }
        headers.append("Details")
        var table = BoxTable(headers: headers, rightAligned: [2])
        var reasons: [String] = []
        for layer in listing.layers {
            var type = layer.className
            if let registered = layer.registeredName { type += ": \(registered)" }
            var cell = "\(layer.name) (\(type))"
            if let problem = layer.problem {
                cell += " " + unsupportedMark
                reasons.append(" \(unsupportedMark) \(shown(layer.name)): \(shown(problem))")
            }
            var row = [cell, layer.outputShape.map(shape) ?? "", layer.parameterCount.map(Formatting.grouped) ?? ""]
            if graph { row.append(cut((layer.inputs ?? []).joined(separator: ", "), detailsWidth)) }
            row.append(cut(details(layer.config), detailsWidth))
            table.rows.append(row)
        }
        out.append(table.render())
        out += reasons
        let counted = listing.layers.compactMap(\.parameterCount)
        if !counted.isEmpty {
            let total = counted.reduce(0, +)
            out.append(" Total params: \(Formatting.grouped(total)) (as stored for these layers)")
        }
        return out
    }

    /// The file's facts, as an inspection lists them.
    static func facts(_ listing: FileListing) -> [String] {
        var facts: [(String, String)] = [
            ("File", listing.path), ("Format", listing.file.formatName),
            ("File size", "\(Formatting.bytes(listing.file.fileSize)) (\(Formatting.grouped(listing.file.fileSize)) bytes)"),
            ("Runnable", "no (\(listing.obstacle.rawValue.replacingOccurrences(of: "_", with: " ")))"),
        ]
        facts += InspectionText.fileFacts(listing.file)
        let m = listing.metadata
        if let v = m.producer, !facts.contains(where: { $0.0 == "Written by" && $0.1.hasPrefix(v) }) { facts.append(("Producer", v)) }
        if let v = m.createdAt { facts.append(("Created", v)) }
        if let v = m.loss { facts.append(("Loss", v)) }
        if let o = m.optimizer { facts.append(("Optimizer", o["class_name"]?.stringValue ?? o.serialized())) }
        let w = (facts.map(\.0.count).max() ?? 0) + 1
        return facts.map { pad(shown($0.0) + ":", w + 1) + shown($0.1) }
    }

    /// Every stored array: name, dtype, shape, and where known offset and bytes; statistics when
    /// asked for; what an entry is when it is not an array listed in full.
    static func tensorTable(_ listing: FileListing, statistics: Bool) -> [String] {
        let tensors = listing.tensors
        let values = listing.storedValueCount
        let inside = listing.file.format == .keras ? " in model.weights.h5" : ""
        var out = ["Stored arrays\(inside): \(Formatting.grouped(tensors.filter { $0.note == nil }.count)) holding \(Formatting.grouped(values)) values"]
        guard !tensors.isEmpty else { return out }
        let offsets = tensors.contains { $0.offset != nil }
        let bytes = tensors.contains { $0.byteLength != nil }
        let notes = tensors.contains { $0.note != nil }
        var headers = ["name", "dtype", "shape"]
        var right: Set<Int> = []
        if offsets { right.insert(headers.count); headers.append("offset") }
        if bytes { right.insert(headers.count); headers.append("bytes") }
        if statistics {
            for h in ["min", "max", "mean", "std", "nan", "inf"] { right.insert(headers.count); headers.append(h) }
        }
        if notes { headers.append("note") }
        var table = BoxTable(headers: headers, rightAligned: right)
        for t in tensors {
            var row = [t.name, t.dtype ?? "-", t.shape.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" } ?? "-"]
            if offsets { row.append(t.offset.map(String.init) ?? "-") }
            if bytes { row.append(t.byteLength.map(Formatting.grouped) ?? "-") }
            if statistics {
                let s = t.statistics
                row += [s.map { Formatting.compact($0.minimum) } ?? "-", s.map { Formatting.compact($0.maximum) } ?? "-",
                        s.map { Formatting.compact($0.mean) } ?? "-", s.map { Formatting.compact($0.standardDeviation) } ?? "-",
                        s.map { String($0.nanCount) } ?? "-", s.map { String($0.infinityCount) } ?? "-"]
            }
            if notes { row.append(t.note ?? "") }
            table.rows.append(row)
        }
        out.append(table.render())
        if listing.omittedTensors > 0 {
            out.append("(\(Formatting.grouped(listing.omittedTensors)) more entries not listed: the listing stops at \(Formatting.grouped(listing.tensors.count)))")
        }
        return out
    }

    /// `(None, 3, 3, 2)`, with open dimensions as `None`.
    static func shape(_ dims: [Int]) -> String {
        "(" + (["None"] + dims.map { $0 < 0 ? "None" : String($0) }).joined(separator: ", ") + ")"
    }

    /// A layer's config as written, in short: its scalar fields and short lists as
    /// `key=value`, leaving out the name, the dtype, `trainable=true`, nulls, nested objects
    /// (initializers) and long values (a Lambda's code); the JSON output has it whole.
    static func details(_ config: JSON) -> String {
        guard let members = config.objectValue else { return config.isNull ? "" : compact(config) }
        var parts: [String] = []
        for (key, value) in members {
            if key == "name" || key == "dtype" || (key == "trainable" && value.boolValue == true) { continue }
            switch value {
            case .null, .object: continue
            case let .array(items) where items.count > 8 || items.contains(where: { $0.arrayValue != nil || $0.objectValue != nil }):
                continue
            default:
                let text = compact(value)
                if text.count <= 48 { parts.append("\(key)=\(text)") }  // not code or encoded blobs
            }
        }
        return parts.joined(separator: ", ")
    }

    /// A JSON value in one short line: strings without quotes at the top level, lists as `[3, 3]`.
    static func compact(_ value: JSON) -> String {
        switch value {
        case let .string(s): return s
        case .null: return "None"
        case let .array(items): return "[" + items.map { $0.stringValue.map { "'\($0)'" } ?? compact($0) }.joined(separator: ", ") + "]"
        default: return value.serialized()
        }
    }

    /// An attribute's value: a string as it is, anything else as compact JSON; `…` when cut.
    static func attributeText(_ attribute: FileListing.Attribute) -> String {
        let text = attribute.value.stringValue ?? compact(attribute.value)
        return attribute.complete ? text : text + " …"
    }

    /// `text` cut to `width` characters, with `…` when cut.
    static func cut(_ text: String, _ width: Int) -> String {
        text.count <= width ? text : String(text.prefix(width - 1)) + "…"
    }
}

/// The JSON document of a file nnmodel reads but cannot run. Its members are those of an
/// inspection's document where they apply (`file`, `format`, `file_size`, `model.layers`,
/// `storage_dtype`, `details`, `metadata`, `tensors`), with `runnable: false`, `cannot_run` (the
/// reason), `obstacle`, and the layers' configs as written.
enum ListingJSON {
    static func json(_ listing: FileListing) -> JSON {
        var members: [(key: String, value: JSON)] = [
            ("file", .string(listing.path)), ("format", .string(listing.file.formatName)), ("file_size", .int(listing.file.fileSize)),
            ("runnable", false), ("cannot_run", .string(listing.reason)), ("obstacle", .string(listing.obstacle.rawValue)),
        ]
        if listing.layers.isEmpty {
            members.append(("model", .null))
        } else {
            let layers: [JSON] = listing.layers.map { layer in
                var o: [(key: String, value: JSON)] = [("name", .string(layer.name)), ("class_name", .string(layer.className))]
                if let r = layer.registeredName { o.append(("registered_name", .string(r))) }
                o.append(("supported", .bool(layer.problem == nil)))
                if let p = layer.problem { o.append(("problem", .string(p))) }
                if let inputs = layer.inputs { o.append(("inputs", .array(inputs.map { .string($0) }))) }
                o += [("output_shape", layer.outputShape.map { .array($0.map { $0 < 0 ? .null : .int($0) }) } ?? .null),
                      ("parameters", layer.parameterCount.map { .int($0) } ?? .null), ("config", layer.config)]
                return .object(o)
            }
            let counted = listing.layers.compactMap(\.parameterCount)
            members.append(("model", .object([
                ("name", listing.modelName.map { .string($0) } ?? .null),
                ("class_name", listing.modelClass.map { .string($0) } ?? .null),
                ("layers", .array(layers)),
                ("parameters", .object([("total", counted.isEmpty ? .null : .int(counted.reduce(0, +)))])),
            ])))
        }
        members.append(("storage_dtype", .null))
        members.append(("details", InspectionJSON.details(listing.file)))
        let m = listing.metadata
        var meta: [(key: String, value: JSON)] = []
        if let v = m.producer { meta.append(("producer", .string(v))) }
        if let v = m.createdAt { meta.append(("created", .string(v))) }
        if let v = m.loss { meta.append(("loss", .string(v))) }
        if let v = m.optimizer { meta.append(("optimizer", v)) }
        members.append(("metadata", .object(meta)))
        // As in an inspection's document: no history, no checksums checked.
        members.append(("history", .null))
        members.append(("checksums", .object([("checked", false), ("available", false)])))
        if !listing.attributes.isEmpty || listing.omittedAttributes > 0 {
            members.append(("attributes", .object(listing.attributes.map { ($0.name, $0.value) })))
            let cut = listing.attributes.filter { !$0.complete }.map { JSON.string($0.name) }
            if !cut.isEmpty { members.append(("attributes_cut", .array(cut))) }
            if listing.omittedAttributes > 0 { members.append(("attributes_omitted", .int(listing.omittedAttributes))) }
        }
        members.append(("tensors", .array(listing.tensors.map { t in
            var o: [(key: String, value: JSON)] = [("name", .string(t.name)), ("dtype", t.dtype.map { .string($0) } ?? .null),
                                                   ("shape", t.shape.map { .ints($0) } ?? .null),
                                                   ("offset", t.offset.map { .int($0) } ?? .null),
                                                   ("bytes", t.byteLength.map { .int($0) } ?? .null)]
            if let s = t.statistics {
                o += JSONNumber.members("min", s.minimum) + JSONNumber.members("max", s.maximum) + JSONNumber.members("mean", s.mean)
                    + JSONNumber.members("std", s.standardDeviation) + [("nan", .int(s.nanCount)), ("inf", .int(s.infinityCount))]
            }
            if let n = t.note { o.append(("note", .string(n))) }
            return .object(o)
        })))
        if listing.omittedTensors > 0 { members.append(("tensors_omitted", .int(listing.omittedTensors))) }
        return .object(members)
    }
}
