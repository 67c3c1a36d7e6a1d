import Foundation
import Testing
@testable import NNPlot

/// Renders every kind of picture from realistic Fashion-MNIST-like data.
///
/// Always checks that rendering succeeds; when the environment variable
/// `NNPLOT_SAMPLES_DIR` names a folder, also writes the files there so
/// `scripts/check-pictures.sh` can screenshot them in a browser.
@Suite("Sample pictures")
struct SampleFilesTests {
    static func samples() throws -> [(name: String, bytes: [UInt8])] {
        var files: [(String, [UInt8])] = []
        func svg(_ name: String, _ text: String) { files.append((name, Array(text.utf8))) }

        svg("curves.svg", try SVGChart.trainingCurves(history: FashionSamples.history,
                                                     title: "Fashion-MNIST, dense 128 (5 epochs)"))
        var ragged = FashionSamples.history
        ragged["loss"] = [0.9, .nan, 0.61, .infinity, 0.45, 0.41, 0.39, 0.37, 0.36, 0.355, 0.35, 0.348]
        ragged["val_loss"] = [0.8, 0.7, 0.66, 0.6, 0.58, 0.57, 0.575, 0.58, 0.59, 0.6, 0.61, 0.63]
        ragged["accuracy"] = Array(repeating: 0.875, count: 12)
        ragged["val_accuracy"] = []
        svg("curves-edge-cases.svg", try SVGChart.trainingCurves(history: ragged,
                                                                title: "NaN/inf losses, constant accuracy <&>"))
        svg("curves-one-epoch.svg", try SVGChart.trainingCurves(panels: ChartPanel.panels(fromHistory: [
            "loss": [0.52], "val_loss": [0.47], "accuracy": [0.81], "val_accuracy": [0.83],
        ]).prefix(1).map { $0 }, title: "One epoch, one panel, and a title far wider than that panel"))
        svg("confusion.svg", try SVGChart.confusionMatrix(counts: FashionSamples.confusion,
                                                         classNames: FashionSamples.classNames,
                                                         title: "Fashion-MNIST test set (10 000 images)"))
        svg("confusion-normalized.svg", try SVGChart.confusionMatrix(
            counts: FashionSamples.confusion, classNames: FashionSamples.classNames,
            title: "Row-normalised colours", normalizeRows: true))
        svg("confusion-small.svg", try SVGChart.confusionMatrix(
            counts: [[5, 1], [0, 3]], classNames: ["cat <&> \"dog\"", "Ankle boot"],
            title: "Two classes with a title much wider than the matrix"))

        svg("layers.svg", try LayerDiagramTests.seed.svg())

        let grid = FashionSamples.gridSamples()
        let gridImage = try ImageGrid.render(images: grid.images, width: 28, height: 28,
                                             captions: grid.captions, verdicts: grid.verdicts)
        files.append(("grid.png", try PNG.encode(gridImage)))

        // Every glyph of the built-in font, at scale 1 and 3.
        let lines = stride(from: 32, to: 127, by: 19).map { start in
            String((start..<min(start + 19, 127)).map { Character(Unicode.Scalar(UInt8($0))) })
        } + ["Ankle boot 97% \u{2026} é"]
        var sheet = try RGBAImage(width: 19 * 6 * 3 + 20, height: lines.count * 10 * 4 + 20)
        for (index, line) in lines.enumerated() {
            try sheet.drawText(line, x: 10, y: 10 + index * 10, color: .black)
            try sheet.drawText(line, x: 10, y: 10 + lines.count * 10 + index * 30, color: .correctBlue, scale: 3)
        }
        files.append(("font.png", try PNG.encode(sheet)))
        return files
    }

    @Test func renderAndOptionallyWriteSamples() throws {
        let files = try Self.samples()
        #expect(files.count == 9)
        for (name, bytes) in files where name.hasSuffix(".svg") {
            _ = try XMLTreeBuilder.parse(String(decoding: bytes, as: UTF8.self))
        }
        guard let folder = ProcessInfo.processInfo.environment["NNPLOT_SAMPLES_DIR"], !folder.isEmpty else { return }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, bytes) in files {
            try Data(bytes).write(to: URL(fileURLWithPath: folder).appendingPathComponent(name))
        }
    }
}
