import Testing
@testable import NNPlot

@Suite("Layer diagram")
struct LayerDiagramTests {
    static let seed = LayerDiagram(title: "sequential: 101,770 parameters", boxes: [
        .init(heading: "input_layer (InputLayer)", details: ["Output shape: (None, 28, 28)"], style: .input),
        .init(heading: "flatten (Flatten)", details: ["Output shape: (None, 784)", "Params: 0"]),
        .init(heading: "dense (Dense)", details: ["Activation: relu", "Output shape: (None, 128)", "Params: 100,480"]),
        .init(heading: "dense_1 (Dense)", details: ["Activation: softmax", "Output shape: (None, 10)", "Params: 1,290"], style: .frozen),
    ])

    @Test func oneBoxPerLayerJoinedByArrowsWithEveryText() throws {
        let root = try parseStandaloneSVG(try Self.seed.svg())
        let boxes = root.elements(named: "rect").filter { $0.attributes["class"] == "box" }
        #expect(boxes.count == 4)
        #expect(root.elements(named: "g").filter { $0.attributes["class"] == "arrow" }.count == 3)
        #expect(root.elements(named: "polygon").count == 3)
        let all = texts(in: root)
        #expect(all.first == "sequential: 101,770 parameters")
        for box in Self.seed.boxes {
            #expect(all.contains(box.heading))
            for line in box.details { #expect(all.contains(line)) }
        }
        #expect(all.count == 1 + Self.seed.boxes.map { 1 + $0.details.count }.reduce(0, +))
        // Top to bottom, one width, inside the canvas; only the frozen layer is dashed.
        let ys = boxes.compactMap { $0.number("y") }
        #expect(ys == ys.sorted() && Set(ys).count == 4)
        #expect(Set(boxes.compactMap { $0.number("width") }).count == 1)
        let height = try #require(root.number("height"))
        for box in boxes { #expect((box.number("y") ?? 0) + (box.number("height") ?? 0) < height) }
        #expect(boxes.map { $0.attributes["stroke-dasharray"] != nil } == [false, false, false, true])
        #expect(root.elements(named: "g").first?.attributes["class"] == "box input")
    }

    @Test func hostileTextIsEscaped() throws {
        let name = "x</text><script>alert(1)</script>&amp; \"q\" 'a' \u{07}\u{0}\u{1B}[31m"
        let diagram = LayerDiagram(title: "<title> & \"model\"", boxes: [
            .init(heading: "\(name) (Dense)", details: ["Output shape: <&>"], style: .layer),
        ])
        let svg = try diagram.svg()
        #expect(!svg.contains("<script>"))
        #expect(svg.contains(">x&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp; &quot;q&quot; &apos;a&apos; "))
        #expect(!svg.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        let root = try parseStandaloneSVG(svg)
        #expect(root.elements(named: "script").isEmpty)
        let all = texts(in: root)
        #expect(all.contains("x</text><script>alert(1)</script>&amp; \"q\" 'a' \u{FFFD}\u{FFFD}\u{FFFD}[31m (Dense)"))
        #expect(all.contains("Output shape: <&>"))
        #expect(all.first == "<title> & \"model\"")
    }

    @Test func longLinesAreCutAndKeptWholeInTheTooltip() throws {
        let long = String(repeating: "wide_layer_", count: 1000) + "12 (Dense)"
        let root = try parseStandaloneSVG(try LayerDiagram(title: "m", boxes: [
            .init(heading: long, details: ["Params: 0"]), .init(heading: "short (Dense)"),
        ]).svg())
        let heading = try #require(texts(in: root).first { $0.hasPrefix("wide_layer_") })
        // Cut in the middle: the start, "…", and the end with the layer's number and class.
        #expect(heading.count == LayerDiagram.maximumLineLength)
        let parts = heading.split(separator: "…")
        #expect(parts.count == 2 && long.hasPrefix(parts[0]) && long.hasSuffix(parts[1]) && heading.hasSuffix("_12 (Dense)"))
        #expect((root.number("width") ?? .infinity) < 1400)
        let tooltips = root.elements(named: "title").map(\.text)
        #expect(tooltips.contains(long + "\nParams: 0"))
        // A box whose lines all fit has no tooltip of its own (only the document's title).
        #expect(tooltips.count == 2)
    }

    @Test func nothingOrTooMuchToDrawIsRefused() {
        #expect(throws: PlotError.emptyInput("the layer diagram")) { try LayerDiagram(title: "m", boxes: []).svg() }
        let many = [LayerDiagram.Box](repeating: .init(heading: "a"), count: LayerDiagram.maximumBoxes + 1)
        #expect(throws: PlotError.tooManyBoxes(count: LayerDiagram.maximumBoxes + 1, limit: LayerDiagram.maximumBoxes)) {
            try LayerDiagram(title: "m", boxes: many).svg()
        }
    }

    @Test func theDocumentGrowsLinearlyWithTheBoxes() throws {
        func size(_ count: Int) throws -> Int {
            let boxes = (0..<count).map { i in
                LayerDiagram.Box(heading: "dense_\(i) (Dense)", details: ["Activation: relu", "Output shape: (None, 128)", "Params: 100,480"])
            }
            return try LayerDiagram(title: "m", boxes: boxes).svg().utf8.count
        }
        let small = try size(1000), large = try size(10_000)
        #expect(large < 1000 * 10_000)
        let ratio = Double(large) / Double(small) / 10
        #expect(ratio > 0.9 && ratio < 1.2, "\(small) bytes for 1000 boxes, \(large) for 10,000")
    }
}
