@_spi(Testing) import NNSystem
import Foundation
import FoundationXML
import NNModel
import NNModelCLI
import Testing

@Suite(.serialized) struct PictureAndDiffTests {
    var model: String { CLIFixtures.trainedModel }
    var data: String { CLIFixtures.smallDataset }

    /// Parses XML, recording every `<text>` element's content.
    final class SVGTexts: NSObject, XMLParserDelegate {
        var texts: [String] = []
        var inText = false
        var current = ""
        var failed: Error?
        func parser(_ p: XMLParser, didStartElement e: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            if e == "text" { inText = true; current = "" }
        }
        func parser(_ p: XMLParser, foundCharacters s: String) { if inText { current += s } }
        func parser(_ p: XMLParser, didEndElement e: String, namespaceURI: String?, qualifiedName: String?) {
            if e == "text" { texts.append(current); inText = false }
        }
        func parser(_ p: XMLParser, parseErrorOccurred e: Error) { failed = e }
    }

    func parseSVG(_ path: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let parser = XMLParser(data: data)
        let delegate = SVGTexts()
        parser.delegate = delegate
        #expect(parser.parse(), "\(path) is not well-formed XML: \(String(describing: delegate.failed))")
        return delegate.texts
    }

    @Test func trainPlotsCurvesAndPlotHistoryRedrawsThem() throws {
        let folder = CLIFixtures.temporaryFolder()
        let r = CLIFixtures.run(["train", "--data", data, "--epochs", "2", "--validation-split", "0.2", "-q",
                                 "--plot", folder + "/curves.svg", "--history", folder + "/h.json", "--output", folder + "/m.nnm"])
        #expect(r.status == 0, "\(r.err)")
        let texts = try parseSVG(folder + "/curves.svg")
        #expect(texts.contains("Loss") && texts.contains("Accuracy"))
        #expect(texts.contains("Training") && texts.contains("Validation"))
        for source in [folder + "/m.nnm", folder + "/h.json"] {
            let out = folder + "/again.svg"
            #expect(CLIFixtures.run(["plot", "history", source, "-o", out]).status == 0)
            #expect(try parseSVG(out).contains("Validation"))
        }
    }

    @Test func evaluatePlotsTheConfusionCounts() throws {
        let folder = CLIFixtures.temporaryFolder()
        let r = CLIFixtures.run(["evaluate", model, "--data", data, "--plot", folder + "/c.svg", "--json"])
        #expect(r.status == 0, "\(r.err)")
        let json = try CLIFixtures.json(r.out)
        let matrix = (json["confusion_matrix"]?.arrayValue ?? []).map { ($0.arrayValue ?? []).compactMap(\.intValue) }
        let texts = try parseSVG(folder + "/c.svg")
        #expect(texts.contains("T-shirt/top") && texts.contains("Ankle boot"))
        // Every count of the matrix appears as a text of the heatmap, as often as it occurs.
        var expected: [String: Int] = [:]
        for row in matrix { for c in row { expected[String(c), default: 0] += 1 } }
        for (count, times) in expected {
            #expect(texts.filter { $0 == count }.count >= times, "count \(count)")
        }
    }

    @Test func predictDrawsAValidPNGGrid() throws {
        let folder = CLIFixtures.temporaryFolder()
        let path = folder + "/g.png"
        let r = CLIFixtures.run(["predict", model, "--data", data, "--limit", "9", "--grid", path])
        #expect(r.status == 0, "\(r.err)")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        // Walk the chunks, checking each CRC-32.
        var offset = 8
        var types: [String] = []
        while offset + 12 <= bytes.count {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let type = Array(bytes[offset + 4..<offset + 8])
            let body = Array(bytes[offset + 4..<offset + 8 + length])
            let stored = UInt32(bytes[offset + 8 + length]) << 24 | UInt32(bytes[offset + 9 + length]) << 16
                | UInt32(bytes[offset + 10 + length]) << 8 | UInt32(bytes[offset + 11 + length])
            #expect(CRC32.checksum(body) == stored)
            types.append(String(decoding: type, as: UTF8.self))
            offset += 12 + length
        }
        #expect(types.first == "IHDR" && types.last == "IEND" && types.contains("IDAT"))
    }

    @Test func gridNeedsImageSamples() throws {
        let folder = CLIFixtures.temporaryFolder()
        let flat = try Sequential(.multilayerPerceptron(inputShape: [12], hidden: [4], activation: .relu, outputs: 3, outputActivation: .softmax))
        try ModelFile.save(flat, to: folder + "/flat.nnm")
        try NPYArray.write(floats: [Float](repeating: 0.5, count: 24), shape: [2, 12], to: folder + "/x.npy")
        let r = CLIFixtures.run(["predict", folder + "/flat.nnm", "--input", folder + "/x.npy", "--grid", folder + "/g.png"])
        #expect(r.status == 65)
        #expect(r.err.contains("sample grid needs image samples"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/g.png"))
    }

    @Test func picturesIntoAMissingFolderFailCleanly() throws {
        let r = CLIFixtures.run(["evaluate", model, "--data", data, "--plot", "/nonexistent/folder/c.svg"])
        #expect(r.status == 73)
        #expect(r.err.contains("folder '/nonexistent/folder' does not exist"), "\(r.err)")
    }

    @Test func malformedHistoryFilesAreRefused() throws {
        let folder = CLIFixtures.temporaryFolder()
        try "epoch,loss\n1,abc\n".write(toFile: folder + "/bad.csv", atomically: true, encoding: .utf8)
        try "{\"loss\": [1, 2], \"accuracy\": [0.5]}".write(toFile: folder + "/bad.json", atomically: true, encoding: .utf8)
        for (file, message) in [("bad.csv", "'abc'"), ("bad.json", "accuracy"), ("missing.json", "no such file")] {
            let r = CLIFixtures.run(["plot", "history", folder + "/" + file, "-o", folder + "/x.svg"])
            #expect(r.status != 0)
            #expect(r.err.contains(message), "\(r.err)")
            #expect(!FileManager.default.fileExists(atPath: folder + "/x.svg"))
        }
    }

    @Test func diffOfAConversionIsEqualAndOfAnotherModelIsNot() throws {
        let folder = CLIFixtures.temporaryFolder()
        #expect(CLIFixtures.run(["convert", model, folder + "/m.h5"]).status == 0)
        let same = CLIFixtures.run(["diff", model, folder + "/m.h5", "--json"])
        #expect(same.status == 0, "\(same.out)\(same.err)")
        #expect(try CLIFixtures.json(same.out)["equal"]?.boolValue == true)
        #expect(CLIFixtures.run(["convert", model, folder + "/half.nnm", "--dtype", "float16"]).status == 0)
        let half = CLIFixtures.run(["diff", model, folder + "/half.nnm"])
        #expect(half.status == 1)
        #expect(half.out.contains("The models differ."))
        #expect(CLIFixtures.run(["diff", model, folder + "/half.nnm", "--relative-tolerance", "1e-3", "--tolerance", "1e-7"]).status == 0)
        let other = try Sequential(.seed(), seed: 99)
        try ModelFile.save(other, to: folder + "/other.nnm")
        let different = CLIFixtures.run(["diff", model, folder + "/other.nnm", "--json"])
        #expect(different.status == 1)
        let json = try CLIFixtures.json(different.out)
        #expect(json["tensors"]?.arrayValue?.allSatisfy { $0["equal"]?.boolValue == false } == true)
        let wider = try Sequential(.seed(hidden: [64]), seed: 1)
        try ModelFile.save(wider, to: folder + "/wider.nnm")
        let arch = CLIFixtures.run(["diff", model, folder + "/wider.nnm"])
        #expect(arch.status == 1)
        #expect(arch.out.contains("units 128 vs 64"))
    }
}
