import NNModel

/// Text and JSON renderings of evaluation results shared by `train` and `evaluate`.
enum Report {
    /// The confusion matrix as a table with class names (rows: true class, columns: predicted).
    static func confusionMatrix(_ matrix: ConfusionMatrix, classNames: [String]) -> String {
        let k = matrix.classCount
        // The index beside the name: the columns are headed by index.
        let names = (0..<k).map { $0 < classNames.count ? "\($0) \(shown(classNames[$0]))" : String($0) }
        let labelWidth = max(names.map(\.count).max() ?? 0, 4)
        let cellWidth = max(5, (matrix.counts.flatMap { $0 }.map { String($0).count }.max() ?? 1) + 1)
        var lines = ["Confusion matrix (rows: true class, columns: predicted class):"]
        var header = pad("", labelWidth)
        for j in 0..<k { header += leftPad(String(j), cellWidth) }
        lines.append(header)
        for i in 0..<k {
            var line = pad(names[i], labelWidth)
            for j in 0..<k { line += leftPad(String(matrix.counts[i][j]), cellWidth) }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// The per-class report, laid out like scikit-learn's `classification_report`.
    static func classificationReport(_ report: ClassificationReport, classNames: [String]) -> String {
        let names = report.labels.map { $0 < classNames.count ? shown(classNames[$0]) : String($0) }
        let w = max(names.map(\.count).max() ?? 0, "weighted avg".count)
        var lines = [pad("", w) + leftPad("precision", 11) + leftPad("recall", 10) + leftPad("f1-score", 10) + leftPad("support", 10), ""]
        func row(_ name: String, _ s: ClassificationReport.Scores) -> String {
            leftPad(name, w) + leftPad(fixed(s.precision, 4), 11) + leftPad(fixed(s.recall, 4), 10)
                + leftPad(fixed(s.f1, 4), 10) + leftPad(String(s.support), 10)
        }
        for (name, s) in zip(names, report.classes) { lines.append(row(name, s)) }
        lines.append("")
        let total = report.macroAverage.support
        lines.append(leftPad("accuracy", w) + leftPad("", 21) + leftPad(fixed(report.accuracy, 4), 10) + leftPad(String(total), 10))
        lines.append(row("macro avg", report.macroAverage))
        lines.append(row("weighted avg", report.weightedAverage))
        return lines.joined(separator: "\n")
    }

    /// An evaluation as JSON members: loss, accuracy, confusion matrix, per-class report and class names
    /// (empty when neither the model nor the data names its classes).
    static func members(_ e: Evaluation, classNames: [String], allClasses: Bool = false) -> [(key: String, value: JSON)] {
        let report = allClasses ? e.confusion.reportOverAllClasses : e.confusion.report
        func scores(_ s: ClassificationReport.Scores) -> [(key: String, value: JSON)] {
            [("precision", .number(s.precision)), ("recall", .number(s.recall)), ("f1", .number(s.f1)), ("support", .int(s.support))]
        }
        let classes: [JSON] = zip(report.labels, report.classes).map { label, s in
            .object(classReference(label, classNames: classNames) + scores(s))
        }
        return [("samples", .int(e.trueClasses.count))] + JSONNumber.members("loss", e.loss) + [
            ("loss_function", .string(e.lossName)),
            ("accuracy", .number(e.accuracy)),
            ("confusion_matrix", .array(e.confusion.counts.map { .ints($0) })),
            ("classification_report", .object([
                ("classes", .array(classes)),
                ("macro_avg", .object(scores(report.macroAverage))), ("weighted_avg", .object(scores(report.weightedAverage))),
            ])),
            ("class_names", .array(classNames.map { .string($0) })),
        ]
    }

    /// How every JSON document names a class: `class`, its index, and `name`, its name exactly
    /// as given (not escaped), or `null` when it has none.
    static func classReference(_ index: Int, classNames: [String]) -> [(key: String, value: JSON)] {
        [("class", .int(index)), ("name", index >= 0 && index < classNames.count ? .string(classNames[index]) : .null)]
    }
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

func leftPad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}

/// Warns on standard error when a model's outputs are not all finite (a NaN or infinite weight,
/// a negative moving variance, ...): their predicted classes mean nothing.
func warnAboutNonFiniteOutputs(_ outputs: Tensor, modelPath: String) {
    guard let samples = outputs.shape.first, samples > 0 else { return }
    let width = outputs.count / samples
    var rows = 0
    outputs.withUnsafeBufferPointer { values in
        for r in 0..<samples where !(0..<width).allSatisfy({ values[r * width + $0].isFinite }) { rows += 1 }
    }
    guard rows > 0 else { return }
    printError("nnmodel: warning: \(modelPath): \(rows) of \(samples) outputs are not finite (NaN or infinity); the model's weights or the inputs hold values it cannot compute with, and those rows' classes are meaningless")
}
