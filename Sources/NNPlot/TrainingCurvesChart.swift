extension SVGChart {
    /// Draws training curves: one panel per metric, side by side, with the
    /// epoch (1…n) on the horizontal axis.
    ///
    /// Each panel has a title, labelled axes with "nice" tick values, light
    /// grid lines, one polyline per series (broken where a value is NaN or
    /// infinite) with a marker at every plotted point, and a legend below.
    /// Series without plottable values, and panels left without series, are
    /// skipped. A single epoch is drawn as centred markers; a constant
    /// series gets an axis padded around its value.
    ///
    /// - Parameters:
    ///   - panels: typically Loss and Accuracy, each with Training and Validation series.
    ///   - title: optional heading above all panels.
    ///   - xAxisLabel: label under each horizontal axis.
    /// - Returns: a standalone SVG document.
    /// - Throws: ``PlotError/emptyInput(_:)`` when no series has a plottable value.
    package static func trainingCurves(panels: [ChartPanel], title: String? = nil,
                                      xAxisLabel: String = "Epoch") throws(PlotError) -> String {
        let drawable = panels.compactMap { panel -> ChartPanel? in
            var kept = panel
            kept.series = panel.series.filter(\.hasPlottableValues)
            return kept.series.isEmpty ? nil : kept
        }
        guard !drawable.isEmpty else {
            throw PlotError.emptyInput("training history (no series has a finite value)")
        }
        let geometry = CurvesGeometry(panels: drawable, hasTitle: title != nil)
        // A title wider than the panels widens the picture; the panels stay centred.
        let titleWidth = title.map { TextWidthEstimate.width(of: $0, fontSize: 17, bold: true) + 20 } ?? 0
        let totalWidth = max(geometry.totalWidth, titleWidth.rounded(.up))
        let panelsX = ((totalWidth - geometry.totalWidth) / 2).rounded(.down)
        var svg = SVGMarkup.documentStart(width: totalWidth, height: geometry.totalHeight,
                                          title: title ?? "Training curves")
        if let title {
            svg += SVGMarkup.element("text", [
                ("x", SVGMarkup.number(totalWidth / 2)), ("y", "26"),
                ("text-anchor", "middle"), ("font-size", "17"), ("font-weight", "bold"),
                ("fill", axisColor),
            ], text: title) + "\n"
        }
        for (index, panel) in drawable.enumerated() {
            svg += renderPanel(panel, originX: panelsX + Double(index) * geometry.panelWidth,
                               originY: geometry.titleHeight, geometry: geometry,
                               xAxisLabel: xAxisLabel)
        }
        svg += SVGMarkup.documentEnd
        return svg
    }

    /// Draws training curves from a Keras-style history dictionary
    /// (`loss`, `val_loss`, `accuracy`, `val_accuracy`, …), grouped into
    /// panels by ``ChartPanel/panels(fromHistory:)``.
    ///
    /// - Throws: ``PlotError/emptyInput(_:)`` when the history holds no plottable value.
    package static func trainingCurves(history: [String: [Double]], title: String? = nil) throws(PlotError) -> String {
        try trainingCurves(panels: ChartPanel.panels(fromHistory: history), title: title)
    }

    /// Fixed sizes shared by all panels of one chart.
    private struct CurvesGeometry {
        let panelWidth = 460.0
        let plotTop = 48.0
        let plotHeight = 220.0
        let legendRowHeight = 20.0
        let titleHeight: Double
        let legendRows: Int
        let panelCount: Int

        init(panels: [ChartPanel], hasTitle: Bool) {
            titleHeight = hasTitle ? 40 : 0
            panelCount = panels.count
            legendRows = panels.map { CurvesGeometry.legendLayout(for: $0.series, width: 460 - 40).rows }
                .max() ?? 1
        }

        var plotBottom: Double { plotTop + plotHeight }
        var panelHeight: Double { plotBottom + 62 + Double(legendRows) * legendRowHeight }
        var totalWidth: Double { panelWidth * Double(panelCount) }
        var totalHeight: Double { titleHeight + panelHeight }

        /// Positions of legend entries (relative x, row) within `width`, wrapping as needed.
        static func legendLayout(for series: [ChartSeries], width: Double)
            -> (entries: [(x: Double, row: Int, width: Double)], rows: Int) {
            var entries: [(x: Double, row: Int, width: Double)] = []
            var x = 0.0, row = 0
            for item in series {
                let entryWidth = 34 + TextWidthEstimate.width(of: item.name, fontSize: 12)
                if x > 0 && x + entryWidth > width {
                    x = 0
                    row += 1
                }
                entries.append((x, row, entryWidth))
                x += entryWidth + 18
            }
            return (entries, row + 1)
        }
    }

    private static func renderPanel(_ panel: ChartPanel, originX: Double, originY: Double,
                                    geometry: CurvesGeometry, xAxisLabel: String) -> String {
        let plotted = panel.series.flatMap { $0.values.filter(ChartSeries.isPlottable) }
        // 4% headroom keeps markers off the frame when data ends on a tick.
        let low = plotted.min() ?? 0, high = plotted.max() ?? 1
        let headroom = (high - low) * 0.04
        let scale = NiceScale(minimum: low - headroom, maximum: high + headroom, targetTicks: 6)
        let tickLabels = scale.ticks.map { SVGMarkup.fixed($0, decimals: scale.decimals) }
        let widestTick = tickLabels.map { TextWidthEstimate.width(of: $0, fontSize: 11) }.max() ?? 0
        let epochs = panel.series.map(\.values.count).max() ?? 1

        let left = originX + 30 + widestTick + 10
        let right = originX + geometry.panelWidth - 22
        let top = originY + geometry.plotTop
        let bottom = originY + geometry.plotBottom
        let inset = epochs > 1 ? 12.0 : 0
        func xPosition(epoch: Int) -> Double {
            guard epochs > 1 else { return (left + right) / 2 }
            return left + inset + Double(epoch - 1) / Double(epochs - 1) * (right - left - 2 * inset)
        }
        func yPosition(_ value: Double) -> Double {
            bottom - (value - scale.lower) / (scale.upper - scale.lower) * (bottom - top)
        }
        let n = SVGMarkup.number
        var svg = "<g class=\"panel\" data-panel=\"\(SVGMarkup.escape(panel.title))\">\n"
        svg += SVGMarkup.element("text", [
            ("x", n((left + right) / 2, 2)), ("y", n(originY + 28, 2)), ("text-anchor", "middle"),
            ("font-size", "15"), ("font-weight", "bold"), ("fill", axisColor),
        ], text: panel.title) + "\n"

        // Horizontal grid lines and y tick labels.
        for (tick, label) in zip(scale.ticks, tickLabels) {
            let y = n(yPosition(tick), 2)
            svg += SVGMarkup.element("line", [
                ("x1", n(left, 2)), ("y1", y), ("x2", n(right, 2)), ("y2", y),
                ("stroke", gridColor), ("stroke-width", "1"),
            ]) + "\n"
            svg += SVGMarkup.element("text", [
                ("x", n(left - 7, 2)), ("y", y), ("dy", "0.35em"), ("text-anchor", "end"),
                ("font-size", "11"), ("fill", axisColor),
            ], text: label) + "\n"
        }
        // Vertical grid lines and epoch tick labels.
        for epoch in NiceScale.epochTicks(count: epochs) {
            let x = n(xPosition(epoch: epoch), 2)
            svg += SVGMarkup.element("line", [
                ("x1", x), ("y1", n(top, 2)), ("x2", x), ("y2", n(bottom + 5, 2)),
                ("stroke", gridColor), ("stroke-width", "1"),
            ]) + "\n"
            svg += SVGMarkup.element("text", [
                ("x", x), ("y", n(bottom + 19, 2)), ("text-anchor", "middle"),
                ("font-size", "11"), ("fill", axisColor),
            ], text: String(epoch)) + "\n"
        }
        // Axes.
        svg += SVGMarkup.element("polyline", [
            ("points", "\(n(left, 2)),\(n(top, 2)) \(n(left, 2)),\(n(bottom, 2)) \(n(right, 2)),\(n(bottom, 2))"),
            ("fill", "none"), ("stroke", axisColor), ("stroke-width", "1"),
        ]) + "\n"
        svg += SVGMarkup.element("text", [
            ("x", n((left + right) / 2, 2)), ("y", n(bottom + 40, 2)), ("text-anchor", "middle"),
            ("font-size", "12"), ("fill", axisColor),
        ], text: xAxisLabel) + "\n"
        let yLabelX = n(originX + 16, 2), yLabelY = n((top + bottom) / 2, 2)
        svg += SVGMarkup.element("text", [
            ("x", yLabelX), ("y", yLabelY), ("text-anchor", "middle"), ("font-size", "12"),
            ("fill", axisColor), ("transform", "rotate(-90 \(yLabelX) \(yLabelY))"),
        ], text: panel.yAxisLabel) + "\n"

        // Series: polylines broken at unplottable values, then markers on top.
        for (index, series) in panel.series.enumerated() {
            let color = palette[index % palette.count]
            var segments: [[(Double, Double)]] = [[]]
            for (offset, value) in series.values.enumerated() {
                if ChartSeries.isPlottable(value) {
                    segments[segments.count - 1].append((xPosition(epoch: offset + 1), yPosition(value)))
                } else if !(segments.last?.isEmpty ?? true) {
                    segments.append([])
                }
            }
            for segment in segments where !segment.isEmpty {
                var attributes = [
                    ("class", "series"), ("data-series", series.name),
                    ("points", segment.map { "\(n($0.0, 2)),\(n($0.1, 2))" }.joined(separator: " ")),
                    ("fill", "none"), ("stroke", color), ("stroke-width", "2"),
                    ("stroke-linejoin", "round"), ("stroke-linecap", "round"),
                ]
                if series.dashed { attributes.append(("stroke-dasharray", "7 4")) }
                svg += SVGMarkup.element("polyline", attributes) + "\n"
            }
            for (offset, value) in series.values.enumerated() where ChartSeries.isPlottable(value) {
                let tooltip = "\(series.name), epoch \(offset + 1): "
                    + SVGMarkup.fixed(value, decimals: min(scale.decimals + 2, 15))
                svg += marker(index: index, x: xPosition(epoch: offset + 1), y: yPosition(value),
                              color: color, tooltip: tooltip) + "\n"
            }
        }

        // Legend, centred under the axis label.
        let legendWidth = geometry.panelWidth - 40
        let layout = CurvesGeometry.legendLayout(for: panel.series, width: legendWidth)
        for row in 0..<layout.rows {
            let rowEntries = layout.entries.enumerated().filter { $0.element.row == row }
            guard let last = rowEntries.last?.element else { continue }
            let rowWidth = last.x + last.width
            let startX = originX + (geometry.panelWidth - rowWidth) / 2
            let y = bottom + 64 + Double(row) * geometry.legendRowHeight
            for (index, entry) in rowEntries {
                let series = panel.series[index]
                let color = palette[index % palette.count]
                let x = startX + entry.x
                var line = [
                    ("x1", n(x, 2)), ("y1", n(y, 2)), ("x2", n(x + 28, 2)), ("y2", n(y, 2)),
                    ("stroke", color), ("stroke-width", "2"),
                ]
                if series.dashed { line.append(("stroke-dasharray", "7 4")) }
                svg += SVGMarkup.element("line", line) + "\n"
                svg += marker(index: index, x: x + 14, y: y, color: color, tooltip: nil) + "\n"
                svg += SVGMarkup.element("text", [
                    ("class", "legend"), ("x", n(x + 34, 2)), ("y", n(y, 2)), ("dy", "0.35em"),
                    ("font-size", "12"), ("fill", axisColor),
                ], text: series.name) + "\n"
            }
        }
        svg += "</g>\n"
        return svg
    }

    /// A point marker whose shape depends on the series index: circle, square, diamond.
    private static func marker(index: Int, x: Double, y: Double, color: String, tooltip: String?) -> String {
        let n = SVGMarkup.number
        let tip = tooltip.map { SVGMarkup.element("title", [], text: $0) }
        switch index % 3 {
        case 0:
            return SVGMarkup.element("circle", [
                ("class", "marker"), ("cx", n(x, 2)), ("cy", n(y, 2)), ("r", "3.5"), ("fill", color),
            ], children: tip)
        case 1:
            return SVGMarkup.element("rect", [
                ("class", "marker"), ("x", n(x - 3.5, 2)), ("y", n(y - 3.5, 2)),
                ("width", "7"), ("height", "7"), ("fill", color),
            ], children: tip)
        default:
            let points = [(x, y - 4.5), (x + 4.5, y), (x, y + 4.5), (x - 4.5, y)]
                .map { "\(n($0.0, 2)),\(n($0.1, 2))" }.joined(separator: " ")
            return SVGMarkup.element("polygon", [
                ("class", "marker"), ("points", points), ("fill", color),
            ], children: tip)
        }
    }
}
