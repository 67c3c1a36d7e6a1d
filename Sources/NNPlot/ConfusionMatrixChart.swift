extension SVGChart {
    /// Draws a confusion matrix as a heatmap: rows are true labels, columns
    /// are predicted labels, each cell shows its count.
    ///
    /// Cells are shaded from white to dark blue; counts on dark cells are
    /// written in white. Class names label both axes (column labels are
    /// rotated 45° so long names such as "T-shirt/top" fit), and a colour
    /// bar on the right explains the shading. Hovering a cell in a browser
    /// shows its true/predicted classes, count and share of the row.
    ///
    /// - Parameters:
    ///   - counts: `counts[t][p]` = number of samples of true class `t` predicted as `p`.
    ///   - classNames: one name per class, in index order.
    ///   - title: heading above the matrix.
    ///   - normalizeRows: shade each cell by its share of its row (recall view)
    ///     instead of by its count relative to the largest cell. Only the
    ///     colours change; the cells still show the raw counts.
    /// - Returns: a standalone SVG document.
    /// - Throws: ``PlotError/emptyInput(_:)`` for an empty matrix,
    ///   ``PlotError/confusionMatrixNotSquare(row:count:expected:)``,
    ///   ``PlotError/countMismatch(what:expected:actual:)`` when the number of
    ///   class names differs from the number of rows, and
    ///   ``PlotError/negativeCount(row:column:value:)``.
    package static func confusionMatrix(counts: [[Int]], classNames: [String],
                                       title: String = "Confusion matrix",
                                       normalizeRows: Bool = false) throws(PlotError) -> String {
        let size = counts.count
        guard size > 0 else { throw PlotError.emptyInput("the confusion matrix") }
        for (row, entries) in counts.enumerated() {
            guard entries.count == size else {
                throw PlotError.confusionMatrixNotSquare(row: row, count: entries.count, expected: size)
            }
            for (column, value) in entries.enumerated() where value < 0 {
                throw PlotError.negativeCount(row: row, column: column, value: value)
            }
        }
        guard classNames.count == size else {
            throw PlotError.countMismatch(what: "number of class names for a \(size)×\(size) confusion matrix",
                                          expected: size, actual: classNames.count)
        }

        let n = SVGMarkup.number
        let labelFont = 12.0
        let cell = max(26, min(60, (640 / Double(size)).rounded(.down)))
        let countFont = max(8, min(13, (cell * 0.27).rounded()))
        let longestName = classNames.map { TextWidthEstimate.width(of: $0, fontSize: labelFont) }.max() ?? 0
        let diagonalDrop = longestName * 0.7071 + labelFont
        let maxCount = counts.joined().max() ?? 0
        let rowSums = counts.map { $0.reduce(0, &+) }

        let left = 40 + longestName + 10
        let top = 56.0
        let matrixSide = cell * Double(size)
        let right = left + matrixSide
        let bottom = top + matrixSide
        let colorBarX = right + 26
        let colorBarWidth = 16.0
        let barTicks: [(fraction: Double, label: String)]
        if normalizeRows {
            barTicks = stride(from: 0, through: 100, by: 20).map { (Double($0) / 100, "\($0)%") }
        } else {
            let barMaximum = Double(max(maxCount, 1))
            let barScale = NiceScale(minimum: 0, maximum: barMaximum, targetTicks: 6)
            barTicks = barScale.ticks.filter { $0 <= barMaximum && $0 == $0.rounded() }
                .map { ($0 / barMaximum, SVGMarkup.fixed($0, decimals: 0)) }
        }
        let widestBarLabel = barTicks.map { TextWidthEstimate.width(of: $0.label, fontSize: 11) }.max() ?? 0
        let barCaption = normalizeRows ? "share of true class" : "count"
        // The title is centred over the matrix unless that would push it off the left edge.
        let titleWidth = TextWidthEstimate.width(of: title, fontSize: 17, bold: true)
        let titleX = max((left + right) / 2, titleWidth / 2 + 10)
        let totalWidth = max(colorBarX + colorBarWidth + 8 + widestBarLabel + 20,
                             colorBarX + colorBarWidth / 2 + TextWidthEstimate.width(of: barCaption, fontSize: 11) / 2 + 12,
                             titleX + titleWidth / 2 + 10)
        let xTitleY = bottom + 14 + diagonalDrop + 16
        let totalHeight = xTitleY + 24

        var svg = SVGMarkup.documentStart(width: totalWidth.rounded(.up), height: totalHeight.rounded(.up),
                                          title: title)
        svg += SVGMarkup.element("text", [
            ("x", n(titleX, 2)), ("y", "30"), ("text-anchor", "middle"),
            ("font-size", "17"), ("font-weight", "bold"), ("fill", axisColor),
        ], text: title) + "\n"

        // Cells.
        for row in 0..<size {
            for column in 0..<size {
                let count = counts[row][column]
                let fraction: Double
                if normalizeRows {
                    fraction = rowSums[row] > 0 ? Double(count) / Double(rowSums[row]) : 0
                } else {
                    fraction = maxCount > 0 ? Double(count) / Double(maxCount) : 0
                }
                let color = HeatmapColor.blues(fraction)
                let x = left + Double(column) * cell, y = top + Double(row) * cell
                let share = rowSums[row] > 0
                    ? SVGMarkup.fixed(100 * Double(count) / Double(rowSums[row]), decimals: 1) + "% of row"
                    : "empty row"
                let tooltip = "true \(classNames[row]), predicted \(classNames[column]): \(count) (\(share))"
                svg += SVGMarkup.element("rect", [
                    ("class", "cell"), ("data-row", String(row)), ("data-column", String(column)),
                    ("x", n(x, 2)), ("y", n(y, 2)), ("width", n(cell, 2)), ("height", n(cell, 2)),
                    ("fill", color.hexString), ("stroke", "#ffffff"), ("stroke-width", "1"),
                ], children: SVGMarkup.element("title", [], text: tooltip)) + "\n"
                svg += SVGMarkup.element("text", [
                    ("class", "count"), ("x", n(x + cell / 2, 2)), ("y", n(y + cell / 2, 2)),
                    ("dy", "0.35em"), ("text-anchor", "middle"), ("font-size", n(countFont, 1)),
                    ("fill", HeatmapColor.isDark(color) ? "#ffffff" : "#1a1a1a"),
                ], text: String(count)) + "\n"
            }
        }
        svg += SVGMarkup.element("rect", [
            ("x", n(left, 2)), ("y", n(top, 2)), ("width", n(matrixSide, 2)), ("height", n(matrixSide, 2)),
            ("fill", "none"), ("stroke", "#9a9a9a"), ("stroke-width", "1"),
        ]) + "\n"

        // Row labels (true classes) and column labels (predicted classes).
        for (index, name) in classNames.enumerated() {
            let center = Double(index) * cell + cell / 2
            svg += SVGMarkup.element("text", [
                ("class", "row-label"), ("x", n(left - 8, 2)), ("y", n(top + center, 2)), ("dy", "0.35em"),
                ("text-anchor", "end"), ("font-size", n(labelFont, 1)), ("fill", axisColor),
            ], text: name) + "\n"
            let labelX = n(left + center, 2), labelY = n(bottom + 14, 2)
            svg += SVGMarkup.element("text", [
                ("class", "column-label"), ("x", labelX), ("y", labelY), ("dy", "0.35em"),
                ("text-anchor", "end"), ("font-size", n(labelFont, 1)), ("fill", axisColor),
                ("transform", "rotate(-45 \(labelX) \(labelY))"),
            ], text: name) + "\n"
        }
        let yTitleX = "18", yTitleY = n((top + bottom) / 2, 2)
        svg += SVGMarkup.element("text", [
            ("x", yTitleX), ("y", yTitleY), ("text-anchor", "middle"), ("font-size", "13"),
            ("font-weight", "bold"), ("fill", axisColor), ("transform", "rotate(-90 \(yTitleX) \(yTitleY))"),
        ], text: "True label") + "\n"
        svg += SVGMarkup.element("text", [
            ("x", n((left + right) / 2, 2)), ("y", n(xTitleY, 2)), ("text-anchor", "middle"),
            ("font-size", "13"), ("font-weight", "bold"), ("fill", axisColor),
        ], text: "Predicted label") + "\n"

        // Colour bar: a vertical gradient from white (bottom) to dark blue (top).
        svg += "<defs>" + SVGMarkup.element("linearGradient", [
            ("id", "heatmap-scale"), ("x1", "0"), ("y1", "1"), ("x2", "0"), ("y2", "0"),
        ], children: HeatmapColor.bluesStops.enumerated().map { index, color in
            SVGMarkup.element("stop", [
                ("offset", n(Double(index) / Double(HeatmapColor.bluesStops.count - 1), 3)),
                ("stop-color", color.hexString),
            ])
        }.joined()) + "</defs>\n"
        svg += SVGMarkup.element("rect", [
            ("class", "color-bar"), ("x", n(colorBarX, 2)), ("y", n(top, 2)),
            ("width", n(colorBarWidth, 2)), ("height", n(matrixSide, 2)),
            ("fill", "url(#heatmap-scale)"), ("stroke", "#9a9a9a"), ("stroke-width", "1"),
        ]) + "\n"
        for tick in barTicks {
            let y = n(bottom - tick.fraction * matrixSide, 2)
            svg += SVGMarkup.element("line", [
                ("x1", n(colorBarX + colorBarWidth, 2)), ("y1", y), ("x2", n(colorBarX + colorBarWidth + 4, 2)),
                ("y2", y), ("stroke", axisColor), ("stroke-width", "1"),
            ]) + "\n"
            svg += SVGMarkup.element("text", [
                ("x", n(colorBarX + colorBarWidth + 7, 2)), ("y", y), ("dy", "0.35em"),
                ("font-size", "11"), ("fill", axisColor),
            ], text: tick.label) + "\n"
        }
        let captionX = n(colorBarX + colorBarWidth / 2, 2)
        svg += SVGMarkup.element("text", [
            ("x", captionX), ("y", n(top - 10, 2)), ("text-anchor", "middle"),
            ("font-size", "11"), ("fill", axisColor),
        ], text: barCaption) + "\n"
        svg += SVGMarkup.documentEnd
        return svg
    }
}
