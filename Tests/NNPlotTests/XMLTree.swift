#if canImport(FoundationXML)
import FoundationXML
#endif
import Foundation

/// A parsed XML element: name, attributes, text content and children.
final class XMLElementNode {
    let name: String
    let attributes: [String: String]
    var text = ""
    var children: [XMLElementNode] = []

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    /// This element and all its descendants, depth first.
    var allElements: [XMLElementNode] { [self] + children.flatMap(\.allElements) }

    /// All descendants (and self) with the given element name.
    func elements(named name: String) -> [XMLElementNode] { allElements.filter { $0.name == name } }

    /// A numeric attribute, or nil when absent or not a number.
    func number(_ key: String) -> Double? { attributes[key].flatMap(Double.init) }
}

/// Builds an ``XMLElementNode`` tree with Foundation's `XMLParser`, failing
/// on any parse error so malformed SVG is caught.
final class XMLTreeBuilder: NSObject, XMLParserDelegate {
    private var stack: [XMLElementNode] = []
    private(set) var root: XMLElementNode?
    private(set) var errorMessage: String?

    static func parse(_ text: String) throws -> XMLElementNode {
        let parser = XMLParser(data: Data(text.utf8))
        let builder = XMLTreeBuilder()
        parser.delegate = builder
        let succeeded = parser.parse()
        if let message = builder.errorMessage {
            throw TestFailure("XML parse error: \(message) at line \(parser.lineNumber)")
        }
        guard succeeded, let root = builder.root else {
            throw TestFailure("XML parse failed: \(parser.parserError.map { "\($0)" } ?? "no root element")")
        }
        return root
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        let node = XMLElementNode(name: elementName, attributes: attributeDict)
        if let parent = stack.last { parent.children.append(node) } else { root = node }
        stack.append(node)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?) {
        _ = stack.popLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        stack.last?.text += string
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
        errorMessage = errorMessage ?? "\(parseError)"
    }

    func parser(_ parser: XMLParser, validationErrorOccurred validationError: Error) {
        errorMessage = errorMessage ?? "\(validationError)"
    }
}
