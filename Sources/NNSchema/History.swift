/// What one training epoch measured.
public struct EpochRecord: Sendable, Equatable {
    /// The epoch number, counting from 1 (continuing across resumed runs).
    public var epoch: Int
    /// Mean training loss over the epoch's samples.
    public var loss: Double
    /// Training accuracy over the epoch's samples.
    public var accuracy: Double?
    /// Loss on the validation split, when there is one.
    public var validationLoss: Double?
    /// Accuracy on the validation split, when there is one.
    public var validationAccuracy: Double?
    /// Wall time of the epoch, in seconds.
    public var seconds: Double

    public init(epoch: Int, loss: Double, accuracy: Double?, validationLoss: Double? = nil,
                validationAccuracy: Double? = nil, seconds: Double) {
        self.epoch = epoch
        self.loss = loss
        self.accuracy = accuracy
        self.validationLoss = validationLoss
        self.validationAccuracy = validationAccuracy
        self.seconds = seconds
    }
}

/// The per-epoch record of a training run, as Keras's `History.history` holds it.
public struct History: Sendable, Equatable {
    /// The records, oldest first.
    public var epochs: [EpochRecord]

    /// The most epochs a history may record (every run included): a reader refuses a longer one,
    /// and training refuses to run past it.
    public static let maximumLength = 100_000
    /// The largest epoch number a history may hold.
    public static let maximumEpochNumber = 1_000_000_000

    public init(epochs: [EpochRecord] = []) { self.epochs = epochs }

    /// The Keras metric names with one value per epoch (`loss`, `accuracy`, `val_loss`, `val_accuracy`, `seconds`).
    public var series: [(name: String, values: [Double])] {
        var out: [(String, [Double])] = [("loss", epochs.map(\.loss))]
        if epochs.allSatisfy({ $0.accuracy != nil }) { out.append(("accuracy", epochs.compactMap(\.accuracy))) }
        if !epochs.isEmpty, epochs.allSatisfy({ $0.validationLoss != nil }) {
            out.append(("val_loss", epochs.compactMap(\.validationLoss)))
        }
        if !epochs.isEmpty, epochs.allSatisfy({ $0.validationAccuracy != nil }) {
            out.append(("val_accuracy", epochs.compactMap(\.validationAccuracy)))
        }
        out.append(("seconds", epochs.map(\.seconds)))
        return out
    }

    /// `{"epoch": [...], "loss": [...], ...}`, the shape of Keras's `history.history` plus epochs and seconds.
    public var json: JSON {
        .object([("epoch", .ints(epochs.map(\.epoch)))] + series.map { ($0.name, .array($0.values.map { .number($0) })) })
    }

    /// Reads the form written by ``json``; every series must have one value per epoch.
    public init(json: JSON) throws(ModelConfigError) {
        guard let members = json.objectValue else {
            throw .invalidHistory(field: "history", expected: "an object of per-epoch arrays", found: json.kindName)
        }
        var columns: [String: [Double]] = [:]
        for (key, value) in members {
            guard let array = value.arrayValue else {
                throw .invalidHistory(field: key, expected: "an array of numbers (null for one that was not finite)", found: value.kindName)
            }
            guard array.count <= History.maximumLength else {
                throw .invalidHistory(field: key, expected: "at most \(History.maximumLength) epochs",
                    found: "\(array.count)")
            }
            var numbers: [Double] = []
            for v in array {
                // A value that was not finite (a diverged loss) is written as null: read it back as NaN.
                if v.isNull {
                    numbers.append(.nan)
                    continue
                }
                guard let d = v.doubleValue else {
                    throw .invalidHistory(field: key, expected: "an array of numbers (null for one that was not finite)", found: v.serialized())
                }
                numbers.append(d)
            }
            columns[key] = numbers
        }
        guard let loss = columns["loss"] else { throw .missingHistoryField("loss") }
        for (key, values) in columns where values.count != loss.count {
            throw .invalidHistory(field: key, expected: "\(loss.count) values (one per epoch)",
                                found: "\(values.count)")
        }
        var epochNumbers = loss.indices.map { $0 + 1 }
        if let given = columns["epoch"] {
            for (i, value) in given.enumerated() {
                guard let n = Int(exactly: value), n >= 0, n <= History.maximumEpochNumber else {
                    throw .invalidHistory(field: "epoch",
                        expected: "integers from 0 to \(History.maximumEpochNumber)", found: "\(value)")
                }
                epochNumbers[i] = n
            }
        }
        epochs = loss.indices.map { i in
            EpochRecord(epoch: epochNumbers[i], loss: loss[i], accuracy: columns["accuracy"]?[i],
                        validationLoss: columns["val_loss"]?[i], validationAccuracy: columns["val_accuracy"]?[i],
                        seconds: columns["seconds"]?[i] ?? 0)
        }
    }

    /// CSV with a header row (`epoch,loss,accuracy,...`), as Keras's `CSVLogger` writes it.
    public var csv: String {
        let s = series
        var lines = [(["epoch"] + s.map(\.name)).joined(separator: ",")]
        for (i, e) in epochs.enumerated() {
            lines.append(([String(e.epoch)] + s.map { JSON.format($0.values[i]) }).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension History {
    /// Reads the CSV written by ``csv`` (or Keras's `CSVLogger`): a header row naming the columns
    /// (`epoch`, `loss`, `accuracy`, `val_loss`, `val_accuracy`, `seconds`), one row per epoch.
    public init(csv text: String) throws(ModelConfigError) {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingSpaces }.filter { !$0.isEmpty }
        guard let header = lines.first else { throw .missingHistoryField("header row") }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
        guard lines.count - 1 <= History.maximumLength else {
            throw .invalidHistory(field: "rows", expected: "at most \(History.maximumLength) epochs",
                                found: "\(lines.count - 1)")
        }
        var columns = [[JSON]](repeating: [], count: names.count)
        for (row, line) in lines.dropFirst().enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
            guard cells.count == names.count else {
                throw .invalidHistory(field: "row \(row + 2)", expected: "\(names.count) comma-separated values",
                    found: "\(cells.count)")
            }
            for (i, cell) in cells.enumerated() {
                guard let v = Double(cell) else {
                    throw .invalidHistory(field: "\(names[i]) in row \(row + 2)", expected: "a number", found: "'\(cell)'")
                }
                columns[i].append(.number(v))
            }
        }
        try self.init(json: .object(zip(names, columns).map { ($0, .array($1)) }))
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" && $0 != "\r" }),
              let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" && $0 != "\r" }) else { return "" }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[first...last])
        return String(out)
    }
}
