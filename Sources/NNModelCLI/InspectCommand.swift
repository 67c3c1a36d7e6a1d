import ArgumentParser
import NNModel

/// `nnmodel inspect`: what model files hold, Keras-summary style, or as JSON; and what files
/// nnmodel reads but cannot run hold, as h5ls and Netron show them.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe model files: layers, parameters, format, metadata, history, checksums.",
        discussion: """
        Works on every file nnmodel reads. Checksums are verified unless --no-verify is given; \
        with --no-verify only the header is read, so inspecting a large model is instant.

        A file nnmodel reads but cannot run is described too, with why it cannot run it (exit \
        status 0): a Keras model with layers nnmodel does not support (its layers and configs as \
        written, each unsupported one marked, and every stored array), a file of weights alone \
        (its arrays; --architecture or --config makes it runnable), an ONNX graph that is not a \
        plain chain (its nodes and initializers), or an HDF5 file that is not a Keras model (its \
        datasets like h5ls -r, and its root attributes). In JSON, "runnable" says which.

        With several files, each report follows a line '==> FILE <==' (as tail writes), and \
        --json prints an array of documents, one per file in order ({"file", "error", \
        "exit_status"} for a file that fails). A file that fails is reported on stderr and the \
        others are still described. Exit status: the first failing file's (65 damaged or \
        not a file nnmodel reads, 66 missing, 74 I/O error), else 1 when a checksum does not \
        match, else 0.

        Examples:
          nnmodel inspect model.nnm
          nnmodel inspect model.nnm --tensors
          nnmodel inspect model.nnm --json --no-verify | jq .model.parameters
          nnmodel inspect conv_model.keras weights.h5 data.h5
          nnmodel inspect *.h5 --json | jq '.[] | {file, runnable}'
        """
    )

    @Argument(help: ArgumentHelp("The files to describe ('-': a model piped into standard input).", valueName: "file"))
    var files: [String]
    @Flag(help: "List every tensor with dtype, shape, offset and value statistics.") var tensors = false
    @Flag(name: .customLong("no-verify"), help: "Do not read tensor data or check checksums.") var noVerify = false
    @Flag(help: "Print everything as JSON (an array of documents for several files).") var json = false
    @OptionGroup var architectureOptions: ArchitectureOptions

    func run() throws {
        var architecture: ModelArchitecture?
        try runReportingErrors { architecture = try architectureOptions.load() }
        var documents: [JSON] = []
        var firstFailure: Int32?
        var checksumMismatch = false
        for (index, file) in files.enumerated() {
            do {
                let report = file == "-"
                    ? try ModelFile.describe(contents: try StandardInput.readAll(), name: "-", verify: !noVerify, statistics: tensors,
                                             architecture: architecture)
                    : try ModelFile.describe(file, verify: !noVerify, statistics: tensors, architecture: architecture)
                if json {
                    documents.append(ReportJSON.json(report))
                } else {
                    if files.count > 1 { Console.out((index > 0 ? "\n" : "") + "==> \(shown(file)) <==") }
                    Console.out(ReportText.render(report, tensors: tensors))
                }
                if case let .model(info) = report, case let .failed(names) = info.checksums {
                    printError("nnmodel: error: \(file): checksum mismatch in \(names.count == 1 ? "tensor" : "tensors") \(names.map { "'\($0)'" }.joined(separator: ", ")) (the file is damaged)")
                    checksumMismatch = true
                }
            } catch {
                let hint = ExitStatus.hint(for: error).map { "; \($0)" } ?? ""
                printError("nnmodel: error: \(error)\(hint)")
                let status = ExitStatus.code(for: error)
                if firstFailure == nil { firstFailure = status }
                if json, files.count > 1 {
                    documents.append(JSONContract.document([("file", .string(file)), ("error", .string("\(error)")),
                                                            ("exit_status", .int(Int(status)))]))
                }
            }
        }
        if json, !documents.isEmpty {
            Console.out((files.count == 1 ? documents[0] : .array(documents)).serialized(pretty: true))
        }
        if let firstFailure { throw ExitCode(firstFailure) }
        if checksumMismatch { throw ExitCode(ExitStatus.negative) }
    }
}

/// The report of one file: the inspection of a model, or the listing of a file nnmodel cannot run.
enum ReportText {
    static func render(_ report: FileReport, tensors: Bool) -> String {
        switch report {
        case let .model(info): return InspectionText.render(info, tensors: tensors)
        case let .listing(listing): return ListingText.render(listing, statistics: tensors)
        }
    }
}

/// The JSON document of one file (see ``ReportText``).
enum ReportJSON {
    static func json(_ report: FileReport) -> JSON {
        switch report {
        case let .model(info): return JSONContract.document(InspectionJSON.members(info, includeTensors: true))
        case let .listing(listing): return JSONContract.document(ListingJSON.json(listing).objectValue ?? [])
        }
    }
}

/// The human-readable inspection report.
enum InspectionText {
    /// Epochs shown at each end of a long history.
    static let historyEdge = 10

    static func render(_ info: Inspection, tensors showTensors: Bool) -> String {
        var out: [String] = []
        let arch = info.architecture
        out.append("Model: \"\(shown(arch.name))\"")
        var table = BoxTable(headers: ["Layer (type)", "Output Shape", "Param #", "Details"], rightAligned: [2])
        let shapes = (try? arch.validated()) ?? []
        let counts = arch.parameterCounts()
        for (i, layer) in arch.layers.enumerated() {
            table.rows.append(["\(layer.name) (\(layer.className))", i < shapes.count ? Formatting.shape(shapes[i]) : "?",
                               Formatting.grouped(counts[i]), details(layer)])
        }
        out.append(table.render())
        let (trainable, frozen) = info.parameterCounts
        out.append(" Total params: \(Formatting.grouped(trainable + frozen)) (\(Formatting.bytes((trainable + frozen) * 4)))")
        out.append(" Trainable params: \(Formatting.grouped(trainable)) (\(Formatting.bytes(trainable * 4)))")
        out.append(" Non-trainable params: \(Formatting.grouped(frozen)) (\(Formatting.bytes(frozen * 4)))")
        if info.optimizerParameterCount > 0 {
            out.append(" Optimizer params: \(Formatting.grouped(info.optimizerParameterCount)) (\(Formatting.bytes(info.optimizerParameterCount * 4)))")
        }
        out.append("")
        var facts: [(String, String)] = [
            ("File", info.path), ("Format", info.file.formatName),
            ("File size", "\(Formatting.bytes(info.file.fileSize)) (\(Formatting.grouped(info.file.fileSize)) bytes)"),
            ("Input shape", Formatting.shape(arch.inputShape)),
        ]
        if let d = info.file.weightsDType { facts.append(("Storage dtype", d.rawValue)) }
        if arch.sourceDType != .float32 { facts.append(("Source dtype", "\(arch.sourceDType.rawValue) (computed in float32)")) }
        facts += fileFacts(info.file)
        let m = info.metadata
        // Not twice: a Keras file nnmodel wrote has said "Written by" already.
        if let v = m.producer, !(info.file.writtenByNNModel && v == info.file.producer) { facts.append(("Producer", v)) }
        if let v = m.createdAt { facts.append(("Created", v)) }
        if let v = m.dataset { facts.append(("Dataset", v)) }
        if let v = m.loss { facts.append(("Loss", v)) }
        if let o = info.optimizer {
            facts.append(("Optimizer", "\(o.config.kind.rawValue) (learning rate \(o.config.learningRate)), \(o.iterations) steps taken (resumable)"))
        } else if let o = m.optimizer {
            facts.append(("Optimizer", o["class_name"]?.stringValue ?? o.serialized()))
        }
        if let v = m.classNames { facts.append(("Classes", v.joined(separator: ", "))) }
        if let i = m.interruption {
            facts.append(("Interrupted", "in epoch \(i.epoch) after batch \(i.batch) of \(i.batches) (train --resume continues)"))
        }
        for (k, v) in m.user { facts.append(("User \(k)", v)) }
        switch info.checksums {
        case .notChecked: facts.append(("Checksums", "not checked (--no-verify)"))
        case let .verified(n): facts.append(("Checksums", "all \(n) tensors verify (CRC-32)"))
        case let .failed(names): facts.append(("Checksums", "MISMATCH in \(names.joined(separator: ", "))"))
        case .unavailable: facts.append(("Checksums", "none stored in this format"))
        }
        let w = (facts.map(\.0.count).max() ?? 0) + 1
        out += facts.map { pad(shown($0.0) + ":", w + 1) + shown($0.1) }
        if let h = m.history, !h.epochs.isEmpty {
            out.append("")
            out.append("Training history:")
            let series = h.series
            var t = BoxTable(headers: ["epoch"] + series.map(\.name), rightAligned: Set(0...series.count))
            // A long history is summarised: its first and last epochs (the JSON output has all).
            let shown = h.epochs.count <= 2 * InspectionText.historyEdge
                ? Array(h.epochs.indices)
                : Array(0..<InspectionText.historyEdge) + Array(h.epochs.count - InspectionText.historyEdge..<h.epochs.count)
            for (k, i) in shown.enumerated() {
                if k > 0, i != shown[k - 1] + 1 {
                    t.rows.append(["…"] + series.map { _ in "" })
                }
                t.rows.append([String(h.epochs[i].epoch)] + series.map { $0.name == "seconds" ? fixed($0.values[i], 2) : fixed($0.values[i], 4) })
            }
            out.append(t.render())
            if shown.count < h.epochs.count {
                out.append("(\(h.epochs.count) epochs: the first and last \(InspectionText.historyEdge) shown; --json lists all)")
            }
        }
        if showTensors {
            out.append("")
            out.append("Tensors:")
            var t = BoxTable(headers: ["name", "dtype", "shape", "offset", "bytes", "min", "max", "mean", "std", "nan", "inf"],
                             rightAligned: [3, 4, 5, 6, 7, 8, 9, 10])
            for info in info.tensors {
                let s = info.statistics
                t.rows.append([info.name, info.dtype.rawValue, "[" + info.shape.map(String.init).joined(separator: ", ") + "]",
                               info.offset.map(String.init) ?? "-", Formatting.grouped(info.byteLength),
                               s.map { Formatting.compact($0.minimum) } ?? "-", s.map { Formatting.compact($0.maximum) } ?? "-",
                               s.map { Formatting.compact($0.mean) } ?? "-", s.map { Formatting.compact($0.standardDeviation) } ?? "-",
                               s.map { String($0.nanCount) } ?? "-", s.map { String($0.infinityCount) } ?? "-"])
            }
            out.append(t.render())
        }
        return out.joined(separator: "\n")
    }
}

extension InspectionText {
    /// What the summary table's type column does not say about a layer, in Keras's config terms
    /// (`activation=relu`, `use_bias=false`, `rate=0.2`, `trainable=false`); the type column
    /// holds the class alone, as Keras's `summary()` does.
    static func details(_ layer: Layer) -> String {
        var parts: [String] = []
        switch layer.kind {
        case let .dense(d):
            parts.append("activation=\(d.activation.kerasName)")
            if !d.useBias { parts.append("use_bias=false") }
        case let .activation(a): parts.append("activation=\(a.kerasName)")
        case let .dropout(rate): parts.append("rate=\(rate)")
        case .flatten: break
        default:
            parts += layer.kind.summaryOptions.map { option in
                // Keras's summary style: (3, 3) for pairs, bare strings.
                let value = option.value.arrayValue.map { "(" + $0.map { $0.serialized() }.joined(separator: ", ") + ")" }
                    ?? option.value.stringValue ?? option.value.serialized()
                return "\(option.key)=\(value)"
            }
        }
        if !layer.trainable { parts.append("trainable=false") }
        return parts.joined(separator: ", ")
    }

    /// The format-specific facts of a file, in display order.
    ///
    /// A Keras file nnmodel wrote carries the `keras_version` (and `backend`) that Keras's loader
    /// expects; it is reported as written by nnmodel, with those values as what they are, not as
    /// the Keras that wrote it.
    static func fileFacts(_ file: FileDescription) -> [(String, String)] {
        var facts: [(String, String)] = []
        if let length = file.headerLength, let offset = file.dataOffset {
            facts.append(("Header", "\(length) bytes, data section at byte \(offset)"))
        }
        if file.writtenByNNModel {
            let writer = file.producer ?? "nnmodel"
            var recorded: [String] = []
            if let v = file.kerasVersion { recorded.append("keras_version \(v)") }
            if let b = file.backend { recorded.append("backend \(b)") }
            let forKeras = recorded.isEmpty ? "" : "; \(recorded.joined(separator: " and ")) recorded for Keras's loader"
            switch file.format {
            case .h5: facts.append(("Written by", "\(writer) (Keras 2 legacy layout\(forKeras))"))
            case .keras: facts.append(("Written by", "\(writer) (Keras 3 layout\(forKeras))"))
            default: facts.append(("Written by", writer))
            }
        } else {
            if let v = file.kerasVersion { facts.append(("Keras version", v)) }
            if let b = file.backend { facts.append(("Backend", b)) }
            if file.format != .nnm, let p = file.producer, file.kerasVersion == nil { facts.append(("Written by", p)) }
        }
        if file.architectureGivenSeparately { facts.append(("Architecture", "given separately")) }
        return facts
    }
}

/// The machine-readable inspection report; its model, layer and history objects are those of every `--json` document.
enum InspectionJSON {
    /// The members of `inspect --json` (see `docs/JSON.md`).
    static func members(_ info: Inspection, includeTensors: Bool) -> [(key: String, value: JSON)] {
        var members: [(key: String, value: JSON)] = [
            ("file", .string(info.path)), ("format", .string(info.file.formatName)), ("file_size", .int(info.file.fileSize)),
            ("runnable", true),
            ("model", model(info.architecture, parameters: info.parameterCounts, optimizerParameterCount: info.optimizerParameterCount)),
            ("storage_dtype", info.file.weightsDType.map { .string($0.rawValue) } ?? .null),
            ("details", details(info.file)),
        ]
        let m = info.metadata
        var meta: [(key: String, value: JSON)] = []
        if let v = m.producer { meta.append(("producer", .string(v))) }
        if let v = m.createdAt { meta.append(("created", .string(v))) }
        if let v = m.dataset { meta.append(("dataset", .string(v))) }
        if let v = m.loss { meta.append(("loss", .string(v))) }
        if let v = m.optimizer { meta.append(("optimizer", v)) }
        if let v = m.classNames { meta.append(("class_names", .array(v.map { .string($0) }))) }
        if !m.user.isEmpty { meta.append(("user", .object(m.user.map { ($0.key, .string($0.value)) }))) }
        if let i = m.interruption {
            meta.append(("interrupted", .object([("epoch", .int(i.epoch)), ("batch", .int(i.batch)), ("batches", .int(i.batches))])))
        }
        members.append(("metadata", .object(meta)))
        if let o = info.optimizer { members.append(("optimizer_state", optimizerState(o))) }
        members.append(("history", m.history.map(history) ?? .null))
        let checksums: JSON
        switch info.checksums {
        case .notChecked: checksums = .object([("checked", false)])
        case let .verified(n): checksums = .object([("checked", true), ("ok", true), ("tensors", .int(n))])
        case let .failed(names): checksums = .object([("checked", true), ("ok", false), ("failed", .array(names.map { .string($0) }))])
        case .unavailable: checksums = .object([("checked", false), ("available", false)])
        }
        members.append(("checksums", checksums))
        if includeTensors {
            members.append(("tensors", .array(info.tensors.map { t in
                var o: [(key: String, value: JSON)] = [("name", .string(t.name)), ("dtype", .string(t.dtype.rawValue)), ("shape", .ints(t.shape)),
                                                       ("offset", t.offset.map { .int($0) } ?? .null), ("bytes", .int(t.byteLength))]
                if let s = t.statistics {
                    o += JSONNumber.members("min", s.minimum) + JSONNumber.members("max", s.maximum)
                        + JSONNumber.members("mean", s.mean) + JSONNumber.members("std", s.standardDeviation)
                        + [("nan", .int(s.nanCount)), ("inf", .int(s.infinityCount))]
                }
                return .object(o)
            })))
        }
        return members
    }

    /// The model object: name, input shape, layers, parameter counts, source dtype and Keras config.
    static func model(_ arch: ModelArchitecture, parameters: (trainable: Int, nonTrainable: Int), optimizerParameterCount: Int) -> JSON {
        let (trainable, frozen) = parameters
        return .object([
            ("name", .string(arch.name)), ("input_shape", .ints(arch.inputShape)), ("layers", layers(arch)),
            ("parameters", .object([("total", .int(trainable + frozen)), ("trainable", .int(trainable)),
                                    ("non_trainable", .int(frozen)), ("optimizer", .int(optimizerParameterCount))])),
            ("source_dtype", .string(arch.sourceDType.rawValue)),
            ("keras_config", KerasConfig.json(for: arch)),
        ])
    }

    /// The model object of a model in memory; the optimizer count is its state's values and step counter.
    static func model(_ m: Sequential) -> JSON {
        let optimizerValues = m.optimizerState.map { $0.slots.joined().reduce(1) { $0 + $1.count } } ?? 0
        return model(m.architecture, parameters: m.parameterCount, optimizerParameterCount: optimizerValues)
    }

    /// The optimizer state object: the optimizer, its learning rate and the steps taken.
    static func optimizerState(_ o: OptimizerRecord) -> JSON {
        // The learning rate is finite: a model's optimizer configuration is validated when read.
        .object([("name", .string(o.config.kind.rawValue)), ("learning_rate", .number(o.config.learningRate)),
                 ("iterations", .int(o.iterations))])
    }

    /// The layer objects: name, class, the options of the layer's kind, output shape and parameter count.
    static func layers(_ arch: ModelArchitecture) -> JSON {
        let shapes = (try? arch.validated()) ?? []
        let counts = arch.parameterCounts()
        return .array(arch.layers.enumerated().map { i, layer in
            var o: [(key: String, value: JSON)] = [("name", .string(layer.name)), ("class_name", .string(layer.className))]
            switch layer.kind {
            case let .dense(d):
                o += [("units", .int(d.units)), ("activation", .string(d.activation.kerasName)), ("use_bias", .bool(d.useBias))]
            case let .activation(a): o.append(("activation", .string(a.kerasName)))
            case let .dropout(rate): o.append(("rate", .number(rate)))  // finite: read from JSON, which has no NaN
            case .flatten: break
            default: o += layer.kind.options
            }
            o += [("trainable", .bool(layer.trainable)), ("output_shape", .ints(i < shapes.count ? shapes[i] : [])),
                  ("parameters", .int(counts[i]))]
            return .object(o)
        })
    }

    /// The training history: `epoch` and one array per series, as Keras's `history.history`.
    static func history(_ h: History) -> JSON {
        .object([("epoch", .ints(h.epochs.map(\.epoch)))] + h.series.flatMap { JSONNumber.arrayMembers($0.name, $0.values) })
    }

    /// The format-specific facts of a file, typed.
    static func details(_ file: FileDescription) -> JSON {
        var o: [(key: String, value: JSON)] = [("format", .string(file.format.rawValue))]
        if let v = file.formatVersion { o.append(("format_version", .string(v))) }
        if let v = file.layout { o.append(("layout", .string(v))) }
        if let v = file.headerLength { o.append(("header_bytes", .int(v))) }
        if let v = file.dataOffset { o.append(("data_offset", .int(v))) }
        if let v = file.kerasVersion { o.append(("keras_version", .string(v))) }
        if let v = file.backend { o.append(("backend", .string(v))) }
        o.append(("written_by_nnmodel", .bool(file.writtenByNNModel)))
        if let v = file.producer { o.append(("producer", .string(v))) }
        o.append(("architecture_given_separately", .bool(file.architectureGivenSeparately)))
        return .object(o)
    }
}
