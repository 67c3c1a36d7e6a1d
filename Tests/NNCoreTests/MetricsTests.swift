import Testing
@testable import NNCore
@testable import NNSchema
@testable import NNJSON

@Suite("Confusion matrix and classification report")
struct MetricsTests {
    /// Ten samples over four classes; class 3 is never predicted.
    ///
    ///     true:      0 0 0 0 1 1 1 2 2 3
    ///     predicted: 0 0 1 2 1 1 0 2 2 2
    static let trueClasses = [0, 0, 0, 0, 1, 1, 1, 2, 2, 3]
    static let predictedClasses = [0, 0, 1, 2, 1, 1, 0, 2, 2, 2]

    @Test func countsByTrueRowAndPredictedColumn() {
        let m = ConfusionMatrix(trueClasses: Self.trueClasses, predictedClasses: Self.predictedClasses, classCount: 4)
        #expect(m.counts == [
            [2, 1, 1, 0],
            [1, 2, 0, 0],
            [0, 0, 2, 0],
            [0, 0, 1, 0],
        ])
        #expect(m.classCount == 4)
        #expect(m.total == 10)
        #expect(m.accuracy == 0.6)
    }

    /// scikit-learn's `classification_report` for the example, worked out by hand
    /// (precision = tp / predicted, recall = tp / support, 0 where the ratio is 0/0):
    ///
    ///     class 0: tp 2, predicted 3, support 4 → P 2/3, R 1/2, F1 = 2·(1/3)/(7/6) = 4/7
    ///     class 1: tp 2, predicted 3, support 3 → P 2/3, R 2/3, F1 2/3
    ///     class 2: tp 2, predicted 4, support 2 → P 1/2, R 1,   F1 = 1/(3/2) = 2/3
    ///     class 3: tp 0, predicted 0, support 1 → P 0 (nothing predicted), R 0, F1 0
    ///     macro:    P (2/3 + 2/3 + 1/2 + 0)/4 = 11/24, R (1/2 + 2/3 + 1 + 0)/4 = 13/24, F1 (4/7 + 4/3)/4 = 10/21
    ///     weighted: P (4·2/3 + 3·2/3 + 2·1/2)/10 = 17/30, R (2 + 2 + 2)/10 = 3/5, F1 (16/7 + 2 + 4/3)/10 = 59/105
    @Test func classificationReportMatchesHandComputedValues() {
        let r = ConfusionMatrix(trueClasses: Self.trueClasses, predictedClasses: Self.predictedClasses, classCount: 4).report
        let expected: [(Double, Double, Double, Int)] = [
            (2.0 / 3, 1.0 / 2, 4.0 / 7, 4),
            (2.0 / 3, 2.0 / 3, 2.0 / 3, 3),
            (1.0 / 2, 1.0, 2.0 / 3, 2),
            (0, 0, 0, 1),
        ]
        #expect(r.classes.count == 4)
        for (i, (scores, e)) in zip(r.classes, expected).enumerated() {
            #expect(close(scores.precision, e.0, absolute: 1e-12), "class \(i) precision")
            #expect(close(scores.recall, e.1, absolute: 1e-12), "class \(i) recall")
            #expect(close(scores.f1, e.2, absolute: 1e-12), "class \(i) f1")
            #expect(scores.support == e.3, "class \(i) support")
        }
        #expect(close(r.macroAverage.precision, 11.0 / 24, absolute: 1e-12))
        #expect(close(r.macroAverage.recall, 13.0 / 24, absolute: 1e-12))
        #expect(close(r.macroAverage.f1, 10.0 / 21, absolute: 1e-12))
        #expect(r.macroAverage.support == 10)
        #expect(close(r.weightedAverage.precision, 17.0 / 30, absolute: 1e-12))
        #expect(close(r.weightedAverage.recall, 3.0 / 5, absolute: 1e-12))
        #expect(close(r.weightedAverage.f1, 59.0 / 105, absolute: 1e-12))
        #expect(r.weightedAverage.support == 10)
        #expect(r.accuracy == 0.6)
    }

    /// A class predicted but absent from the truth has recall 0 (0/0) and precision 0 (0 right out of n).
    @Test func classWithoutSupport() {
        let r = ConfusionMatrix(trueClasses: [0, 0, 1], predictedClasses: [0, 2, 1], classCount: 3).report
        #expect(r.classes[2].precision == 0 && r.classes[2].recall == 0 && r.classes[2].f1 == 0)
        #expect(r.classes[2].support == 0)
        // Weighted averages ignore it (support 0); the macro average counts it.
        #expect(close(r.weightedAverage.recall, 2.0 / 3, absolute: 1e-12))
        #expect(close(r.macroAverage.recall, (0.5 + 1 + 0) / 3, absolute: 1e-12))
    }

    /// scikit-learn reports the classes among y_true ∪ y_pred: ten right answers from two of ten
    /// classes are a macro average of 1, not 0.2 (classes never seen counted as zeros).
    @Test func classesAbsentFromTruthAndPredictionsAreNotReported() {
        let m = ConfusionMatrix(trueClasses: [1, 1, 1, 4, 4], predictedClasses: [1, 1, 1, 4, 4], classCount: 10)
        let r = m.report
        #expect(r.labels == [1, 4])
        #expect(r.classes.count == 2)
        #expect(r.macroAverage.f1 == 1 && r.macroAverage.precision == 1 && r.macroAverage.support == 5)
        let all = m.reportOverAllClasses
        #expect(all.labels == Array(0..<10))
        #expect(close(all.macroAverage.f1, 0.2, absolute: 1e-12))
        #expect(all.weightedAverage.f1 == 1)
    }

    @Test func perfectAndEmptyMatrices() {
        let perfect = ConfusionMatrix(trueClasses: [0, 1, 2, 1], predictedClasses: [0, 1, 2, 1], classCount: 3).report
        #expect(perfect.classes.allSatisfy { $0.precision == 1 && $0.recall == 1 && $0.f1 == 1 })
        #expect(perfect.macroAverage.f1 == 1 && perfect.weightedAverage.f1 == 1 && perfect.accuracy == 1)

        let empty = ConfusionMatrix(trueClasses: [], predictedClasses: [], classCount: 2)
        #expect(empty.total == 0 && empty.accuracy == 0)
        let report = empty.report
        #expect(report.classes.allSatisfy { $0.precision == 0 && $0.recall == 0 && $0.support == 0 })
        #expect(report.weightedAverage.precision == 0 && !report.weightedAverage.precision.isNaN)
    }

    @Test func classesOutsideTheRangeAreIgnored() {
        let m = ConfusionMatrix(trueClasses: [0, 1, 5, -1, 1], predictedClasses: [0, 7, 1, 0, 1], classCount: 2)
        #expect(m.counts == [[1, 0], [0, 1]])
        #expect(m.total == 2)
    }

    @Test func countsMustBeSquare() {
        #expect(ConfusionMatrix(counts: [[1, 2], [3]]) == nil)
        #expect(ConfusionMatrix(counts: [[1, 2, 3], [4, 5, 6]]) == nil)
        let m = ConfusionMatrix(counts: [[3, 1], [0, 4]])
        #expect(m?.total == 8)
        #expect(m?.accuracy == 7.0 / 8)
        #expect(m?.report.classes.map(\.support) == [4, 4])
    }
}
