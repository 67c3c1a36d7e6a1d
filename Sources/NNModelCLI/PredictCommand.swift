import ArgumentParser
import NNModel

/// `nnmodel predict`: class predictions and probabilities of a saved model.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict with a saved model: top classes and probabilities per sample.",
        discussion: """
        Examples:
          nnmodel predict model.nnm --limit 10 --top-k 3
          nnmodel predict model.nnm --input x.npy --output probabilities.npy
          nnmodel predict model.h5 --input x.npy --csv > predictions.csv
          nnmodel predict model.nnm --limit 25 --grid samples.png
        """
    )

    @Argument(help: ArgumentHelp("The model file (.nnm, or a Keras .h5/.keras file).", valueName: "file")) var file: String
    @OptionGroup var samples: SampleOptions
    @OptionGroup var verify: VerifyOption
    @OptionGroup var architectureOptions: ArchitectureOptions
    @Option(name: .customLong("top-k"), help: "Classes to list per sample.") var topK = 1
    @Option(help: "Predict only the first N samples.") var limit: Int?
    @Option(help: ArgumentHelp("Write all output values as float32 .npy [N, outputs] ('-': to standard output, nothing else printed).",
                               valueName: "P.npy")) var output: String?
    @Option(help: ArgumentHelp("Draw the first --limit samples (default 25) as a PNG grid with predicted (probability) / true under each.",
                               valueName: "samples.png"))
    var grid: String?
    @Flag(help: "Print predictions as JSON.") var json = false
    @Flag(help: "Print predictions as CSV.") var csv = false
    @Option(name: .customLong("batch-size"), help: "Samples per inference batch (each thread's buffers hold one).") var batchSize = 256
    @Option(help: "Threads sharing the samples (default: one per core; at most 4 per core).") var threads: Int?

    func validate() throws {
        guard topK >= 1 else { throw ValidationError("--top-k must be at least 1, got \(topK)") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        if json && csv { throw ValidationError("choose one of --json and --csv") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        try validateThreads(threads)
        if let output, output != "-", !output.hasSuffix(".npy") {
            throw ValidationError("--output must name a .npy file (or '-' for standard output), got '\(output)'")
        }
        if output == "-", json || csv { throw ValidationError("--output - writes the .npy to standard output: it cannot also carry --json or --csv") }
        if let grid, !grid.lowercased().hasSuffix(".png") { throw ValidationError("--grid must name a .png file, got '\(grid)'") }
    }

    func run() throws {
        try runReportingErrors {
            let model = try ModelFile.load(file, verify: !verify.noVerify, architecture: try architectureOptions.load(),
                                           // Not used here (still checked unless --no-verify).
                                           optimizerState: false)
            var data = try samples.load(classNames: model.metadata.classNames)
            try model.checkInput(data, modelPath: file)
            if let limit, limit < data.count { data = data.slice(0..<limit) }
            let probabilities = try model.predict(data.featureTensor(), batchSize: batchSize, threads: threads)
            warnAboutNonFiniteOutputs(probabilities, modelPath: file)
            if output == "-" {
                // The array is the output: nothing else goes to standard output.
                NPYArray.encode(floats: probabilities.scalars, shape: probabilities.shape).withUnsafeBytes { Console.outBytes($0) }
            } else if let output {
                try NPYArray.write(floats: probabilities.scalars, shape: probabilities.shape, to: output)
            }
            let names = model.metadata.classNames ?? data.classNames ?? []
            if let grid {
                // The grid shows the first --limit samples (25 when no limit is given, at most 400).
                let shown = min(data.count, limit ?? 25, 400)
                let width = probabilities.count / max(1, probabilities.shape[0])
                let head = Tensor(shape: [shown, width], values: Array(probabilities.scalars.prefix(shown * width)))
                try Pictures.write(try Pictures.predictionGrid(data.slice(0..<shown), probabilities: head, classNames: names), to: grid)
            }
            if output == "-" { return }
            let rows = Predictions(probabilities: probabilities, data: data, classNames: names, topK: topK)
            if json {
                JSONContract.print([("file", .string(file)), ("data", .string(data.name))] + rows.jsonMembers)
            } else if csv {
                Console.outRaw(rows.csv)
            } else if output == nil || limit != nil {
                Console.out(rows.text)
            } else {
                Console.out("Wrote \(probabilities.shape[0]) predictions of \(probabilities.shape.dropFirst().reduce(1, *)) values to \(shown(output ?? ""))")
            }
        }
    }
}

/// Per-sample top-k predictions, rendered as text, CSV or JSON.
struct Predictions {
    struct Row {
        var index: Int
        var top: [(classIndex: Int, probability: Float)]
        var trueClass: Int?
    }

    var rows: [Row] = []
    var classNames: [String]
    var outputs: Int

    init(probabilities: Tensor, data: Dataset, classNames: [String], topK: Int) {
        self.classNames = classNames
        let n = probabilities.shape.first ?? 0
        let width = n == 0 ? 0 : probabilities.count / n
        outputs = width
        let values = probabilities.scalars
        var truth: [Int]?
        switch data.labels {
        case let .classes(c)?: truth = c.map(Int.init)
        case let .dense(v, w)? where w > 1:
            truth = (0..<n).map { i in (0..<w).max { v[i * w + $0] < v[i * w + $1] } ?? 0 }
        default: truth = nil
        }
        for i in 0..<n {
            let row = values[i * width..<(i + 1) * width]
            let ranked: [(Int, Float)]
            if width == 1 {
                let p = row[row.startIndex]
                ranked = [(p > 0.5 ? 1 : 0, p > 0.5 ? p : 1 - p)]
            } else {
                ranked = Array(row.enumerated().sorted { $0.element > $1.element || ($0.element == $1.element && $0.offset < $1.offset) }
                    .prefix(topK).map { ($0.offset, $0.element) })
            }
            rows.append(Row(index: i, top: ranked, trueClass: truth?[i]))
        }
    }

    func name(_ c: Int) -> String { c < classNames.count ? shown(classNames[c]) : String(c) }

    var text: String {
        var t = BoxTable(headers: ["#", "predicted", "probability", "true", "top classes"], rightAligned: [0, 2])
        for r in rows {
            let best = r.top.first
            let mark = r.trueClass.map { $0 == best?.classIndex ? "" : " ✗" } ?? ""
            t.rows.append([String(r.index), (best.map { name($0.classIndex) } ?? "-") + mark,
                           best.map { fixed(Double($0.probability), 4) } ?? "-",
                           r.trueClass.map(name) ?? "-",
                           r.top.map { "\(name($0.classIndex)) \(fixed(Double($0.probability), 4))" }.joined(separator: ", ")])
        }
        return t.render()
    }

    var csv: String {
        let k = rows.first?.top.count ?? 1
        var header = ["index"]
        for j in 1...k { header += ["class_\(j)", "name_\(j)", "probability_\(j)"] }
        header.append("true_class")
        var lines = [header.joined(separator: ",")]
        for r in rows {
            var cells = [String(r.index)]
            for p in r.top { cells += [String(p.classIndex), csvField(name(p.classIndex)), "\(p.probability)"] }
            cells.append(r.trueClass.map(String.init) ?? "")
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The JSON members: class names, and per sample the best class (as in `top`), the top classes and the true class.
    var jsonMembers: [(key: String, value: JSON)] {
        func ranked(_ p: (classIndex: Int, probability: Float)) -> [(key: String, value: JSON)] {
            Report.classReference(p.classIndex, classNames: classNames) + JSONNumber.members("probability", Double(p.probability))
        }
        return [
            ("class_names", .array(classNames.map { .string($0) })),
            ("predictions", .array(rows.map { r in
                var o: [(key: String, value: JSON)] = [("index", .int(r.index))]
                o += r.top.first.map(ranked) ?? [("class", .null), ("name", .null), ("probability", .null)]
                o.append(("top", .array(r.top.map { .object(ranked($0)) })))
                if let t = r.trueClass { o.append(("true_class", .int(t))) }
                return .object(o)
            })),
        ]
    }
}

/// Quotes a CSV field when needed.
func csvField(_ s: String) -> String {
    s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingAll("\"", with: "\"\"") + "\"" : s
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
