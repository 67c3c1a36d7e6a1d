import NNCore
import NNPlot
import NNSystem

/// The pictures nnmodel draws: training curves, confusion heatmaps and model diagrams (SVG) and
/// grids of predicted samples (PNG), written atomically.
public enum Pictures {
    /// Loss and accuracy per epoch, training and validation, as an SVG document.
    public static func trainingCurves(_ history: History, title: String? = nil) throws -> String {
        var series: [String: [Double]] = [:]
        for s in history.series where s.name != "seconds" { series[s.name] = s.values }
        return try SVGChart.trainingCurves(history: series, title: title)
    }

    /// The confusion matrix as an SVG heatmap with class names and counts.
    public static func confusionMatrix(_ confusion: ConfusionMatrix, classNames: [String], title: String = "Confusion matrix") throws -> String {
        let names = (0..<confusion.classCount).map { $0 < classNames.count ? classNames[$0] : String($0) }
        return try SVGChart.confusionMatrix(counts: confusion.counts, classNames: names, title: title)
    }

    /// A PNG grid of image samples with "predicted (probability) / true" under each; wrong
    /// predictions are marked in red, right ones in blue (as in the TensorFlow tutorial).
    ///
    /// - Parameters:
    ///   - data: the samples; their shape must be an image (`[height, width]` or `[height, width, 1]`).
    ///   - probabilities: the model's outputs for them, `[N, classes]`.
    ///   - classNames: the name of each class, by index (indices without a name print as numbers).
    public static func predictionGrid(_ data: Dataset, probabilities: Tensor, classNames: [String]) throws -> [UInt8] {
        let shape = data.sampleShape
        guard shape.count == 2 || (shape.count == 3 && shape[2] == 1) else {
            throw TrainingError.dataMismatch("a sample grid needs image samples of shape [height, width] or [height, width, 1]; \(data.name) has samples of shape \(shape)")
        }
        let n = data.count
        let width = probabilities.shape.count == 2 ? probabilities.shape[1] : 1
        let values = probabilities.scalars
        let pixels = data.featureTensor().scalars
        let size = shape[0] * shape[1]
        var truth: [Int]?
        if case let .classes(c)? = data.labels { truth = c.map(Int.init) }
        func name(_ c: Int) -> String { c < classNames.count ? classNames[c] : String(c) }
        var images: [[Float]] = [], captions: [[String]] = [], verdicts: [ImageGrid.Verdict] = []
        for i in 0..<n {
            let row = values[i * width..<(i + 1) * width]
            let (best, p): (Int, Float) = width == 1
                ? (row[row.startIndex] > 0.5 ? 1 : 0, max(row[row.startIndex], 1 - row[row.startIndex]))
                : row.enumerated().max { $0.element < $1.element }.map { ($0.offset, $0.element) } ?? (0, 0)
            images.append(Array(pixels[i * size..<(i + 1) * size]))
            var caption = ["\(name(best)) \(Int((p * 100).rounded()))%"]
            if let truth {
                caption.append(name(truth[i]))
                verdicts.append(truth[i] == best ? .correct : .wrong)
            } else {
                verdicts.append(.neutral)
            }
            captions.append(caption)
        }
        let grid = try ImageGrid.render(images: images, width: shape[1], height: shape[0], captions: captions, verdicts: verdicts)
        return try PNG.encode(grid)
    }

    /// Writes text (SVG) atomically.
    public static func write(_ text: String, to path: String) throws {
        try AtomicFile.write(Array(text.utf8), to: path)
    }

    /// Writes bytes (PNG) atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try AtomicFile.write(bytes, to: path)
    }
}
