import Testing

/// Checks shared by every SVG NNPlot writes, returning the parsed root.
func parseStandaloneSVG(_ svg: String) throws -> XMLElementNode {
    #expect(svg.hasPrefix("<?xml version=\"1.0\""))
    let root = try XMLTreeBuilder.parse(svg)
    #expect(root.name == "svg")
    #expect(root.attributes["xmlns"] == "http://www.w3.org/2000/svg")
    let width = try #require(root.number("width")), height = try #require(root.number("height"))
    #expect(width > 0 && height > 0)
    #expect(root.attributes["viewBox"] == "0 0 \(root.attributes["width"] ?? "") \(root.attributes["height"] ?? "")")
    #expect(root.attributes["font-family"]?.hasSuffix("sans-serif") == true)
    assertNoNonFiniteNumbers(root)
    return root
}

/// Fails when any attribute value or text holds "nan" or "inf" (any case).
func assertNoNonFiniteNumbers(_ root: XMLElementNode) {
    for element in root.allElements {
        for (key, value) in element.attributes {
            let lower = value.lowercased()
            #expect(!lower.contains("nan") && !lower.contains("inf"),
                    "\(element.name) attribute \(key)=\"\(value)\" is not a finite number")
        }
        if element.name == "text" {
            let lower = element.text.lowercased()
            #expect(!lower.contains("nan") && !lower.contains("inf"), "text \"\(element.text)\"")
        }
    }
}

/// All `<text>` contents, in document order.
func texts(in root: XMLElementNode) -> [String] {
    root.elements(named: "text").map(\.text)
}

/// Number of "x,y" pairs in a polyline's `points` attribute.
func pointCount(_ polyline: XMLElementNode) -> Int {
    (polyline.attributes["points"] ?? "").split(separator: " ").count
}
