/// One line of a training-curves panel: a metric's value per epoch.
package struct ChartSeries: Equatable, Sendable {
    /// Legend text, e.g. "Training" or "Validation".
    package var name: String
    /// Value at epoch 1, 2, …; NaN, ±infinity and magnitudes above 1e100 are
    /// left out (the line is broken there) rather than drawn.
    package var values: [Double]
    /// Draw the line dashed, as is customary for validation metrics.
    package var dashed: Bool

    /// Creates a series; `dashed` defaults to false (a solid line).
    package init(name: String, values: [Double], dashed: Bool = false) {
        self.name = name
        self.values = values
        self.dashed = dashed
    }

    /// Whether `value` can be placed on a chart.
    static func isPlottable(_ value: Double) -> Bool {
        value.isFinite && abs(value) <= 1e100
    }

    /// Whether at least one value can be drawn.
    var hasPlottableValues: Bool { values.contains(where: ChartSeries.isPlottable) }
}

/// One panel of a training-curves chart: a metric (such as loss) with its
/// training and, optionally, validation series.
package struct ChartPanel: Equatable, Sendable {
    /// Panel heading, e.g. "Loss".
    package var title: String
    /// Label of the vertical axis, e.g. "loss" or "accuracy".
    package var yAxisLabel: String
    /// The lines drawn in this panel; series without plottable values are skipped.
    package var series: [ChartSeries]

    /// Creates a panel.
    package init(title: String, yAxisLabel: String, series: [ChartSeries]) {
        self.title = title
        self.yAxisLabel = yAxisLabel
        self.series = series
    }

    /// Builds panels from a Keras-style history (`History.history` in Python):
    /// keys such as `loss`, `val_loss`, `accuracy`, `val_accuracy`.
    ///
    /// `val_X` joins `X`'s panel as a dashed "Validation" series next to the
    /// solid "Training" one. Loss comes first, then the other metrics in
    /// alphabetical order. Metrics whose lists are empty are skipped.
    package static func panels(fromHistory history: [String: [Double]]) -> [ChartPanel] {
        var training: [String: [Double]] = [:]
        var validation: [String: [Double]] = [:]
        for (key, values) in history where !values.isEmpty {
            if key.hasPrefix("val_") && key.count > 4 {
                validation[String(key.dropFirst(4))] = values
            } else {
                training[key] = values
            }
        }
        let metrics = Set(training.keys).union(validation.keys).sorted { left, right in
            if (left == "loss") != (right == "loss") { return left == "loss" }
            return left < right
        }
        return metrics.map { metric in
            var series: [ChartSeries] = []
            if let values = training[metric] {
                series.append(ChartSeries(name: "Training", values: values))
            }
            if let values = validation[metric] {
                series.append(ChartSeries(name: "Validation", values: values, dashed: true))
            }
            let words = metric.replacingUnderscores()
            return ChartPanel(title: words.prefix(1).uppercased() + words.dropFirst(),
                              yAxisLabel: words, series: series)
        }
    }
}

extension String {
    /// The string with `_` replaced by spaces (`sparse_categorical_accuracy` → words).
    fileprivate func replacingUnderscores() -> String {
        String(map { $0 == "_" ? " " : $0 })
    }
}
