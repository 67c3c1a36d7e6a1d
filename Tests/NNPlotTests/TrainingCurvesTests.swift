import Testing
@testable import NNPlot

@Suite("Training curves SVG")
struct TrainingCurvesTests {
    func panels(of root: XMLElementNode) -> [String: XMLElementNode] {
        var result: [String: XMLElementNode] = [:]
        for group in root.elements(named: "g") {
            if let name = group.attributes["data-panel"] { result[name] = group }
        }
        return result
    }

    /// Point markers with a tooltip: one per plotted value (legend samples have none).
    func dataMarkers(in element: XMLElementNode) -> [XMLElementNode] {
        element.allElements.filter { $0.attributes["class"] == "marker" && $0.elements(named: "title").count == 1 }
    }

    func polylines(in panel: XMLElementNode, series: String) -> [XMLElementNode] {
        panel.elements(named: "polyline").filter { $0.attributes["data-series"] == series }
    }

    @Test func fiveEpochHistoryHasTwoPanelsWithLegendsAndFivePointsPerSeries() throws {
        let svg = try SVGChart.trainingCurves(history: FashionSamples.history, title: "Fashion-MNIST")
        let root = try parseStandaloneSVG(svg)
        let panels = panels(of: root)
        #expect(Set(panels.keys) == ["Loss", "Accuracy"])
        // Loss is the left panel.
        let lossX = try #require(panels["Loss"]?.elements(named: "text").first?.number("x"))
        let accuracyX = try #require(panels["Accuracy"]?.elements(named: "text").first?.number("x"))
        #expect(lossX < accuracyX)
        for (_, panel) in panels {
            let legend = panel.elements(named: "text").filter { $0.attributes["class"] == "legend" }.map(\.text)
            #expect(legend == ["Training", "Validation"])
            for series in ["Training", "Validation"] {
                let lines = polylines(in: panel, series: series)
                #expect(lines.count == 1)
                #expect(lines.first.map(pointCount) == 5)
            }
            #expect(polylines(in: panel, series: "Validation").first?.attributes["stroke-dasharray"] != nil)
            let labels = texts(in: panel)
            for epoch in 1...5 { #expect(labels.contains(String(epoch))) }
            #expect(labels.contains("Epoch"))
        }
        #expect(texts(in: root).contains("Fashion-MNIST"))
        #expect(texts(in: root).contains("loss") && texts(in: root).contains("accuracy"))
    }

    @Test func yTicksAreNiceEvenlySpacedAndCoverEveryPoint() throws {
        let root = try parseStandaloneSVG(try SVGChart.trainingCurves(history: FashionSamples.history))
        let loss = try #require(panels(of: root)["Loss"])
        let tickLabels = loss.elements(named: "text").filter { $0.attributes["text-anchor"] == "end" }
        let values = tickLabels.compactMap { Double($0.text) }
        #expect(values.count == tickLabels.count && values.count >= 3)
        let steps = zip(values.dropFirst(), values).map { $0 - $1 }
        #expect(steps.allSatisfy { abs($0 - steps[0]) < 1e-9 })
        #expect([0.05, 0.1, 0.2, 0.25, 0.5].contains { abs($0 - steps[0]) < 1e-9 })
        #expect(values.first! <= 0.29 && values.last! >= 0.52)
        // Every marker lies between the lowest and highest tick's y.
        let tickYs = tickLabels.compactMap { $0.number("y") }
        let top = tickYs.min()!, bottom = tickYs.max()!
        let markers = dataMarkers(in: loss).filter { $0.name == "circle" }
        #expect(markers.count == 5)
        for marker in markers {
            let y = try #require(marker.number("cy"))
            #expect(y >= top && y <= bottom)
        }
    }

    @Test func nonFiniteValuesAreSkippedAndBreakTheLine() throws {
        let panel = ChartPanel(title: "Loss", yAxisLabel: "loss", series: [
            ChartSeries(name: "Training", values: [0.9, .nan, 0.6, 0.5, .infinity, 0.4, 0.35]),
            ChartSeries(name: "Validation", values: [-.infinity, 0.8, 0.7, 0.65, 0.6, 0.58, .nan], dashed: true),
        ])
        let svg = try SVGChart.trainingCurves(panels: [panel])
        let root = try parseStandaloneSVG(svg)
        #expect(!svg.lowercased().contains("nan") && !svg.lowercased().contains("inf"))
        let training = root.elements(named: "polyline").filter { $0.attributes["data-series"] == "Training" }
        #expect(training.map(pointCount) == [1, 2, 2])
        let validation = root.elements(named: "polyline").filter { $0.attributes["data-series"] == "Validation" }
        #expect(validation.map(pointCount) == [5])
        #expect(dataMarkers(in: root).count == 5 + 5)
    }

    @Test func singleEpochIsCentredWithOneTick() throws {
        let root = try parseStandaloneSVG(try SVGChart.trainingCurves(history: ["loss": [0.52], "val_loss": [0.47]]))
        let panel = try #require(panels(of: root)["Loss"])
        let lines = panel.elements(named: "polyline").filter { $0.attributes["data-series"] != nil }
        #expect(lines.map(pointCount) == [1, 1])
        let epochLabels = panel.elements(named: "text").filter { $0.attributes["text-anchor"] == "middle" && Int($0.text) != nil }
        #expect(epochLabels.map(\.text) == ["1"])
        let circle = try #require(dataMarkers(in: panel).first { $0.name == "circle" })
        #expect(circle.number("cx") == epochLabels.first?.number("x"))
    }

    @Test func constantSeriesGetsAPaddedAxis() throws {
        let root = try parseStandaloneSVG(try SVGChart.trainingCurves(history: ["accuracy": [0.9, 0.9, 0.9]]))
        let panel = try #require(panels(of: root)["Accuracy"])
        let ticks = panel.elements(named: "text").filter { $0.attributes["text-anchor"] == "end" }.compactMap { Double($0.text) }
        #expect(ticks.count >= 3)
        #expect(ticks.min()! < 0.9 && ticks.max()! > 0.9)
        let ys = Set(dataMarkers(in: panel).compactMap { $0.number("cy") })
        #expect(ys.count == 1)
    }

    @Test func metricWithNoValuesIsSkipped() throws {
        var history = FashionSamples.history
        history["val_accuracy"] = []
        history["val_loss"] = [.nan, .nan, .nan, .nan, .nan]
        history["precision"] = []
        let root = try parseStandaloneSVG(try SVGChart.trainingCurves(history: history))
        let panels = panels(of: root)
        #expect(Set(panels.keys) == ["Loss", "Accuracy"])
        for (_, panel) in panels {
            let legend = panel.elements(named: "text").filter { $0.attributes["class"] == "legend" }.map(\.text)
            #expect(legend == ["Training"])
        }
    }

    @Test func kerasHistoryKeysMapToPanels() {
        let panels = ChartPanel.panels(fromHistory: [
            "val_sparse_categorical_accuracy": [0.8], "sparse_categorical_accuracy": [0.7],
            "val_loss": [0.5], "loss": [0.6], "lr": [0.001],
        ])
        #expect(panels.map(\.title) == ["Loss", "Lr", "Sparse categorical accuracy"])
        #expect(panels[0].series.map(\.name) == ["Training", "Validation"])
        #expect(panels[0].series.map(\.dashed) == [false, true])
        #expect(panels[2].yAxisLabel == "sparse categorical accuracy")
    }

    @Test func namesAreEscaped() throws {
        let panel = ChartPanel(title: "Loss <&> \"x\"", yAxisLabel: "a & b", series: [
            ChartSeries(name: "Train <1>", values: [1, 2]),
        ])
        let svg = try SVGChart.trainingCurves(panels: [panel], title: "Run 'A' & <B>")
        #expect(svg.contains("Train &lt;1&gt;"))
        let root = try parseStandaloneSVG(svg)
        let all = texts(in: root)
        #expect(all.contains("Train <1>"))
        #expect(all.contains("Loss <&> \"x\""))
        #expect(all.contains("a & b"))
        #expect(all.contains("Run 'A' & <B>"))
    }

    @Test func emptyInputIsAThrownError() throws {
        #expect(throws: PlotError.self) { try SVGChart.trainingCurves(panels: []) }
        #expect(throws: PlotError.self) { try SVGChart.trainingCurves(history: [:]) }
        let error = try #require(throws: PlotError.self) {
            try SVGChart.trainingCurves(history: ["loss": [], "val_loss": [.nan]])
        }
        guard case .emptyInput = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(error.description.contains("training history"))
    }

    @Test func manyEpochsAndAWideTitle() throws {
        let values = (1...150).map { 1.0 / Double($0) }
        let title = String(repeating: "Very long title ", count: 12)
        let svg = try SVGChart.trainingCurves(panels: [
            ChartPanel(title: "Loss", yAxisLabel: "loss", series: [ChartSeries(name: "Training", values: values)]),
        ], title: title)
        let root = try parseStandaloneSVG(svg)
        let width = try #require(root.number("width"))
        #expect(width >= TextWidthEstimate.width(of: title, fontSize: 17, bold: true))
        #expect(root.elements(named: "polyline").filter { $0.attributes["data-series"] != nil }.map(pointCount) == [150])
        let epochLabels = root.elements(named: "text").filter { $0.attributes["text-anchor"] == "middle" && Int($0.text) != nil }
        #expect(epochLabels.count <= 12)
    }
}
