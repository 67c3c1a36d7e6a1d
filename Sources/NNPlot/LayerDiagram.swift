/// A chain of layers drawn top to bottom as boxes joined by arrows, under a title line, as
/// Keras's `plot_model(show_shapes=True)` draws a Sequential model.
///
/// The diagram knows nothing of models: the caller describes each box as a bold heading
/// (`dense (Dense)`) and detail lines (`Output shape: (None, 128)`). Every box has the width of
/// the widest one and is centred; text is centred in its box. All text is XML-escaped, and a line
/// longer than ``maximumLineLength`` characters is cut in the middle with `…` (the whole text
/// stays in the box's tooltip), so one long name cannot make every box enormous. The document grows linearly with
/// the number of boxes and the length of their text.
package struct LayerDiagram: Sendable, Equatable {
    /// How a box is drawn.
    package enum Style: Sendable, Equatable {
        /// The model's input: grey.
        case input
        /// A layer whose weights training updates: light blue.
        case layer
        /// A layer whose weights are frozen: grey with a dashed border.
        case frozen
    }

    /// One box: a heading line and detail lines, drawn in a style.
    package struct Box: Sendable, Equatable {
        package var heading: String
        package var details: [String]
        package var style: Style

        package init(heading: String, details: [String] = [], style: Style = .layer) {
            self.heading = heading
            self.details = details
            self.style = style
        }
    }

    /// The most boxes a diagram draws (each is a few hundred bytes of SVG).
    package static let maximumBoxes = 20_000
    /// The most characters of a line shown in a box or in the title; longer lines are cut.
    package static let maximumLineLength = 80

    /// The line above the boxes (the model's name and its parameter count).
    package var title: String
    /// The boxes, top to bottom; an arrow joins each to the next.
    package var boxes: [Box]

    package init(title: String, boxes: [Box]) {
        self.title = title
        self.boxes = boxes
    }
}

extension LayerDiagram {
    /// Sizes of the drawing, in pixels.
    enum Metrics {
        static let margin = 24.0
        static let titleFont = 16.0
        static let titleBaseline = 32.0
        /// Where the first box starts.
        static let firstBoxTop = 52.0
        static let headingFont = 13.0
        static let detailFont = 12.0
        static let padding = 10.0
        static let headingLineHeight = 18.0
        static let detailLineHeight = 16.0
        /// Space between the heading's rule and the first detail line.
        static let ruleGap = 6.0
        /// Vertical space between two boxes, taken by the arrow.
        static let gap = 30.0
        static let arrowHead = 8.0
        static let minimumBoxWidth = 200.0
    }

    /// The diagram as a standalone SVG document.
    ///
    /// - Throws: ``PlotError/emptyInput(_:)`` without boxes, ``PlotError/tooManyBoxes(count:limit:)``
    ///   with more than ``maximumBoxes``.
    package func svg() throws(PlotError) -> String {
        guard !boxes.isEmpty else { throw .emptyInput("the layer diagram") }
        guard boxes.count <= Self.maximumBoxes else { throw .tooManyBoxes(count: boxes.count, limit: Self.maximumBoxes) }
        typealias M = Metrics
        let n = SVGMarkup.number

        // Lines as shown (cut when long), and the widest of them.
        var shownBoxes: [(heading: String, details: [String], cut: Bool)] = []
        shownBoxes.reserveCapacity(boxes.count)
        var textWidth = 0.0
        for box in boxes {
            let heading = Self.clipped(box.heading)
            let details = box.details.map(Self.clipped)
            let cut = heading != box.heading || details != box.details
            textWidth = max(textWidth, TextWidthEstimate.width(of: heading, fontSize: M.headingFont, bold: true))
            for line in details { textWidth = max(textWidth, TextWidthEstimate.width(of: line, fontSize: M.detailFont)) }
            shownBoxes.append((heading, details, cut))
        }
        let title = Self.clipped(self.title)
        let boxWidth = max(M.minimumBoxWidth, (textWidth + 2 * M.padding).rounded(.up))
        let titleWidth = TextWidthEstimate.width(of: title, fontSize: M.titleFont, bold: true)
        let width = (max(boxWidth, titleWidth) + 2 * M.margin).rounded(.up)
        let heights = shownBoxes.map { Self.height(details: $0.details.count) }
        let height = (M.firstBoxTop + heights.reduce(0, +) + M.gap * Double(boxes.count - 1) + M.margin).rounded(.up)
        let centre = width / 2, left = ((width - boxWidth) / 2).rounded(.down)

        var svg = SVGMarkup.documentStart(width: width, height: height, title: title)
        svg.reserveCapacity(svg.utf8.count + boxes.count * 700)
        svg += SVGMarkup.element("text", [
            ("class", "title"), ("x", n(centre, 2)), ("y", n(M.titleBaseline, 2)), ("text-anchor", "middle"),
            ("font-size", n(M.titleFont, 1)), ("font-weight", "bold"), ("fill", SVGChart.axisColor),
        ], text: title) + "\n"

        var top = M.firstBoxTop
        for (index, box) in boxes.enumerated() {
            let shown = shownBoxes[index], boxHeight = heights[index]
            let colours = Self.colours(box.style)
            var children = ""
            if shown.cut {
                children += SVGMarkup.element("title", [], text: ([box.heading] + box.details).joined(separator: "\n"))
            }
            var rect: [(String, String)] = [
                ("class", "box"), ("x", n(left, 2)), ("y", n(top, 2)), ("width", n(boxWidth, 2)), ("height", n(boxHeight, 2)),
                ("rx", "6"), ("fill", colours.fill), ("stroke", colours.stroke), ("stroke-width", "1.2"),
            ]
            if box.style == .frozen { rect.append(("stroke-dasharray", "5 3")) }
            children += SVGMarkup.element("rect", rect)
            var baseline = top + M.padding + M.headingFont
            children += SVGMarkup.element("text", [
                ("class", "heading"), ("x", n(centre, 2)), ("y", n(baseline, 2)), ("text-anchor", "middle"),
                ("font-size", n(M.headingFont, 1)), ("font-weight", "bold"), ("fill", "#1a1a1a"),
            ], text: shown.heading)
            if !shown.details.isEmpty {
                let ruleY = top + M.padding + M.headingLineHeight
                children += SVGMarkup.element("line", [
                    ("x1", n(left, 2)), ("y1", n(ruleY, 2)), ("x2", n(left + boxWidth, 2)), ("y2", n(ruleY, 2)),
                    ("stroke", colours.stroke), ("stroke-width", "0.8"),
                ])
                baseline = ruleY + M.ruleGap + M.detailFont
                for line in shown.details {
                    children += SVGMarkup.element("text", [
                        ("class", "detail"), ("x", n(centre, 2)), ("y", n(baseline, 2)), ("text-anchor", "middle"),
                        ("font-size", n(M.detailFont, 1)), ("fill", SVGChart.axisColor),
                    ], text: line)
                    baseline += M.detailLineHeight
                }
            }
            svg += SVGMarkup.element("g", [("class", box.style == .input ? "box input" : "box layer"),
                                           ("data-index", String(index))], children: children) + "\n"
            top += boxHeight
            if index + 1 < boxes.count {
                // The arrow to the next box: a shaft and a filled head touching the box's top.
                let next = top + M.gap
                svg += SVGMarkup.element("g", [("class", "arrow")], children:
                    SVGMarkup.element("line", [
                        ("x1", n(centre, 2)), ("y1", n(top, 2)), ("x2", n(centre, 2)), ("y2", n(next - M.arrowHead + 1, 2)),
                        ("stroke", SVGChart.axisColor), ("stroke-width", "1.5"),
                    ]) + SVGMarkup.element("polygon", [
                        ("points", "\(n(centre - 5, 2)),\(n(next - M.arrowHead, 2)) \(n(centre + 5, 2)),\(n(next - M.arrowHead, 2)) \(n(centre, 2)),\(n(next, 2))"),
                        ("fill", SVGChart.axisColor),
                    ])) + "\n"
                top = next
            }
        }
        svg += SVGMarkup.documentEnd
        return svg
    }

    /// The height of a box with `details` detail lines.
    static func height(details: Int) -> Double {
        typealias M = Metrics
        let body = details == 0 ? 0 : M.ruleGap + M.detailLineHeight * Double(details)
        return M.padding + M.headingLineHeight + body + M.padding - (details == 0 ? 4 : 2)
    }

    /// `line` cut to ``maximumLineLength`` characters when longer: its start, `…` and its end (which
    /// holds the class in `name (Class)` and a name's distinguishing suffix such as `_12`).
    static func clipped(_ line: String) -> String {
        guard line.count > maximumLineLength else { return line }
        let tail = (maximumLineLength - 1) / 3
        return String(line.prefix(maximumLineLength - 1 - tail)) + "…" + String(line.suffix(tail))
    }

    /// The fill and border colours of a style.
    static func colours(_ style: Style) -> (fill: String, stroke: String) {
        switch style {
        case .input: return ("#f0f0f0", "#7f7f7f")
        case .layer: return ("#e8f1fb", "#1f77b4")
        case .frozen: return ("#f5f5f5", "#9a9a9a")
        }
    }
}
