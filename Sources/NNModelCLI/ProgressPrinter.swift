import NNModel

/// Prints Keras-style training progress: a live bar with ETA on a terminal, one line per epoch
/// otherwise, nothing when quiet.
final class ProgressPrinter {
    enum Mode { case bar, lines, quiet }

    let mode: Mode
    private let fd: Int32
    private let clock = ContinuousClock()
    private var epochStart: ContinuousClock.Instant
    private var lastDraw: ContinuousClock.Instant
    private var batches = 0

    /// - Parameter toStandardError: print to stderr (used when stdout carries JSON).
    init(quiet: Bool, toStandardError: Bool) {
        fd = toStandardError ? Console.standardError : Console.standardOutput
        mode = quiet ? .quiet : (Console.isTerminal(fd) ? .bar : .lines)
        epochStart = clock.now
        lastDraw = clock.now
    }

    func handle(_ event: TrainingEvent) {
        guard mode != .quiet else { return }
        switch event {
        case let .epochStarted(epoch, total, batches):
            self.batches = batches
            epochStart = clock.now
            lastDraw = clock.now - .seconds(1)
            write("Epoch \(epoch)/\(total)\n")
        case let .batchFinished(_, batch, total, loss, accuracy):
            guard mode == .bar else { return }
            let now = clock.now
            guard batch == total || now - lastDraw >= .milliseconds(100) else { return }
            lastDraw = now
            let elapsed = seconds(now - epochStart)
            let perStep = elapsed / Double(batch)
            let remaining = perStep * Double(total - batch)
            let width = String(total).count
            let filled = total == 0 ? 20 : 20 * batch / total
            let bar = String(repeating: "━", count: filled) + String(repeating: "─", count: 20 - filled)
            let count = String(repeating: " ", count: width - String(batch).count) + "\(batch)/\(total)"
            let time = batch == total ? formatDuration(elapsed) : formatDuration(remaining)
            write("\r\u{1B}[K\(count) \(bar) \(time) \(formatStep(perStep))\(metrics(loss: loss, accuracy: accuracy))")
        case let .epochFinished(record):
            let perStep = record.seconds / Double(max(batches, 1))
            var tail = metrics(loss: record.loss, accuracy: record.accuracy)
            if let v = record.validationAccuracy { tail += " - val_accuracy: \(fixed(v, 4))" }
            if let v = record.validationLoss { tail += " - val_loss: \(fixed(v, 4))" }
            if mode == .bar {
                let bar = String(repeating: "━", count: 20)
                write("\r\u{1B}[K\(batches)/\(batches) \(bar) \(formatDuration(record.seconds)) \(formatStep(perStep))\(tail)\n")
            } else {
                write("\(batches)/\(batches) - \(formatDuration(record.seconds)) - \(formatStep(perStep))\(tail)\n")
            }
        }
    }

    /// Ends a live bar's line (after an interruption), so the next message starts on its own line.
    func finishLine() {
        if mode == .bar { write("\n") }
    }

    private func metrics(loss: Double, accuracy: Double?) -> String {
        var s = ""
        if let accuracy { s += " - accuracy: \(fixed(accuracy, 4))" }
        return s + " - loss: \(fixed(loss, 4))"
    }

    private func write(_ text: String) {
        Console.write(fd, text)
    }
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// `3s`, `1m 05s`: whole seconds like Keras (`?` for a time too long or not a number).
func formatDuration(_ s: Double) -> String {
    guard s.isFinite, s >= 0, s < 1e12 else { return "?" }
    let total = Int(s.rounded())
    return total >= 60 ? "\(total / 60)m \(twoDigits(total % 60))s" : "\(total)s"
}

/// `1ms/step` or `570us/step`.
func formatStep(_ s: Double) -> String {
    guard s.isFinite, s >= 0, s < 1e9 else { return "?/step" }
    return s >= 1e-3 ? "\(Int((s * 1e3).rounded()))ms/step" : "\(Int((s * 1e6).rounded()))us/step"
}

/// A number with `digits` decimals; magnitudes beyond what decimals show exactly (1e15 and up)
/// in scientific notation (`1.300e+30`), non-finite values as `nan`, `inf`, `-inf`.
func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var p = 1.0
    for _ in 0..<digits { p *= 10 }
    guard abs(value) * p < 1e15 else { return Formatting.scientific(value) }
    let scaled = (abs(value) * p).rounded()
    let whole = Int(scaled / p)
    let frac = Int(scaled - Double(whole) * p)
    var fs = String(frac)
    fs = String(repeating: "0", count: max(0, digits - fs.count)) + fs
    let sign = value < 0 && scaled != 0 ? "-" : ""
    return digits == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(fs)"
}

/// A two-digit zero-padded integer.
func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
