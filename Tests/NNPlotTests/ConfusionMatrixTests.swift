import Testing
@testable import NNPlot

@Suite("Confusion matrix SVG")
struct ConfusionMatrixTests {
    func cellRect(_ root: XMLElementNode, row: Int, column: Int) -> XMLElementNode? {
        root.elements(named: "rect").first {
            $0.attributes["data-row"] == String(row) && $0.attributes["data-column"] == String(column)
        }
    }

    @Test func everyCountIsWrittenInsideItsCell() throws {
        let counts = FashionSamples.confusion
        let root = try parseStandaloneSVG(try SVGChart.confusionMatrix(
            counts: counts, classNames: FashionSamples.classNames, title: "Fashion-MNIST"))
        let countTexts = root.elements(named: "text").filter { $0.attributes["class"] == "count" }
        #expect(countTexts.count == 100)
        for row in 0..<10 {
            for column in 0..<10 {
                let rect = try #require(cellRect(root, row: row, column: column))
                let x = try #require(rect.number("x")), y = try #require(rect.number("y"))
                let w = try #require(rect.number("width")), h = try #require(rect.number("height"))
                let inside = countTexts.filter { text in
                    guard let tx = text.number("x"), let ty = text.number("y") else { return false }
                    return tx > x && tx < x + w && ty > y && ty < y + h
                }
                #expect(inside.map(\.text) == [String(counts[row][column])], "cell [\(row)][\(column)]")
            }
        }
    }

    @Test func classNamesLabelBothAxesAndAxisTitlesSaySo() throws {
        let root = try parseStandaloneSVG(try SVGChart.confusionMatrix(
            counts: FashionSamples.confusion, classNames: FashionSamples.classNames))
        let rowLabels = root.elements(named: "text").filter { $0.attributes["class"] == "row-label" }.map(\.text)
        let columnLabels = root.elements(named: "text").filter { $0.attributes["class"] == "column-label" }
        #expect(rowLabels == FashionSamples.classNames)
        #expect(columnLabels.map(\.text) == FashionSamples.classNames)
        #expect(columnLabels.allSatisfy { $0.attributes["transform"]?.hasPrefix("rotate(-45") == true })
        let all = texts(in: root)
        #expect(all.contains("True label") && all.contains("Predicted label"))
        #expect(all.contains("Confusion matrix"))
        // Row labels end left of the matrix; the longest one still fits on the canvas.
        let left = try #require(cellRect(root, row: 0, column: 0)?.number("x"))
        let longest = TextWidthEstimate.width(of: "T-shirt/top", fontSize: 12)
        for label in root.elements(named: "text") where label.attributes["class"] == "row-label" {
            let x = try #require(label.number("x"))
            #expect(x < left && x - longest > 20)
        }
    }

    @Test func specialCharactersInNamesAreEscaped() throws {
        let names = ["T-shirt/top", "cats <&> \"dogs\""]
        let svg = try SVGChart.confusionMatrix(counts: [[3, 1], [2, 4]], classNames: names, title: "A & B")
        #expect(svg.contains("cats &lt;&amp;&gt; &quot;dogs&quot;"))
        #expect(!svg.contains("<&>"))
        let root = try parseStandaloneSVG(svg)
        let all = texts(in: root)
        #expect(all.filter { $0 == "cats <&> \"dogs\"" }.count == 2)
        #expect(all.filter { $0 == "T-shirt/top" }.count == 2)
        #expect(all.contains("A & B"))
    }

    @Test func darkCellsGetWhiteTextAndLightCellsDarkText() throws {
        let root = try parseStandaloneSVG(try SVGChart.confusionMatrix(
            counts: FashionSamples.confusion, classNames: FashionSamples.classNames))
        let countTexts = root.elements(named: "text").filter { $0.attributes["class"] == "count" }
        let white = countTexts.filter { $0.attributes["fill"] == "#ffffff" }.map(\.text)
        #expect(Set(white) == Set(["850", "968", "812", "890", "825", "962", "738", "955", "966", "954"]))
        #expect(cellRect(root, row: 0, column: 1)?.attributes["fill"]?.hasPrefix("#f") == true)  // 2 of 968: near white
        #expect(cellRect(root, row: 1, column: 1)?.attributes["fill"] == "#08306b")
        #expect(cellRect(root, row: 1, column: 9)?.attributes["fill"] == "#ffffff")
        #expect(root.allElements.contains { $0.attributes["class"] == "color-bar" })
    }

    @Test func rowNormalizationChangesColoursButNotCounts() throws {
        let counts = [[90, 10], [1, 9]]
        let plain = try parseStandaloneSVG(try SVGChart.confusionMatrix(counts: counts, classNames: ["a", "b"]))
        let normalized = try parseStandaloneSVG(try SVGChart.confusionMatrix(
            counts: counts, classNames: ["a", "b"], normalizeRows: true))
        func countTexts(_ root: XMLElementNode) -> [String] {
            root.elements(named: "text").filter { $0.attributes["class"] == "count" }.map(\.text)
        }
        #expect(countTexts(plain) == ["90", "10", "1", "9"])
        #expect(countTexts(normalized) == countTexts(plain))
        // 9 of 10 in row b is as dark as 90 of 100 in row a once rows are normalised.
        #expect(cellRect(normalized, row: 1, column: 1)?.attributes["fill"]
                == cellRect(normalized, row: 0, column: 0)?.attributes["fill"])
        #expect(cellRect(plain, row: 1, column: 1)?.attributes["fill"]
                != cellRect(plain, row: 0, column: 0)?.attributes["fill"])
        #expect(texts(in: normalized).contains("100%"))
    }

    @Test func allZeroMatrixAndEmptyRowsStayFinite() throws {
        let root = try parseStandaloneSVG(try SVGChart.confusionMatrix(
            counts: [[0, 0, 0], [0, 0, 0], [0, 0, 0]], classNames: ["x", "y", "z"], normalizeRows: true))
        #expect(root.elements(named: "text").filter { $0.attributes["class"] == "count" }.count == 9)
        _ = try parseStandaloneSVG(try SVGChart.confusionMatrix(counts: [[0, 0], [0, 0]], classNames: ["x", "y"]))
    }

    @Test func badMatricesAreThrownErrorsWithClearMessages() throws {
        let notSquare = try #require(throws: PlotError.self) {
            try SVGChart.confusionMatrix(counts: [[1, 2], [3]], classNames: ["a", "b"])
        }
        #expect(notSquare == .confusionMatrixNotSquare(row: 1, count: 1, expected: 2))
        #expect(notSquare.description.contains("not square"))

        let wide = try #require(throws: PlotError.self) {
            try SVGChart.confusionMatrix(counts: [[1, 2, 3], [4, 5, 6]], classNames: ["a", "b"])
        }
        #expect(wide == .confusionMatrixNotSquare(row: 0, count: 3, expected: 2))

        let names = try #require(throws: PlotError.self) {
            try SVGChart.confusionMatrix(counts: FashionSamples.confusion, classNames: ["a", "b"])
        }
        #expect(names.description.contains("class names"))
        #expect(names.description.contains("10") && names.description.contains("2"))

        #expect(throws: PlotError.emptyInput("the confusion matrix")) {
            try SVGChart.confusionMatrix(counts: [], classNames: [])
        }
        #expect(throws: PlotError.negativeCount(row: 0, column: 1, value: -4)) {
            try SVGChart.confusionMatrix(counts: [[1, -4], [0, 2]], classNames: ["a", "b"])
        }
    }

    @Test func manyClassesShrinkTheCells() throws {
        let size = 40
        let counts = (0..<size).map { row in (0..<size).map { $0 == row ? 5000 : ($0 + row) % 7 } }
        let names = (0..<size).map { "class \($0)" }
        let root = try parseStandaloneSVG(try SVGChart.confusionMatrix(counts: counts, classNames: names))
        let width = try #require(cellRect(root, row: 0, column: 0)?.number("width"))
        #expect(width < 60 && width >= 16)
        #expect(root.elements(named: "text").filter { $0.attributes["class"] == "count" }.count == size * size)
    }
}
