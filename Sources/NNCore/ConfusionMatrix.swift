/// Counts of samples by true class (rows) and predicted class (columns).
public struct ConfusionMatrix: Sendable, Equatable {
    /// `counts[t][p]`: samples of true class `t` predicted as `p`.
    public private(set) var counts: [[Int]]

    /// Tallies pairs of true and predicted classes; classes outside `0..<classCount` are ignored.
    public init(trueClasses: [Int], predictedClasses: [Int], classCount: Int) {
        counts = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
        for (t, p) in zip(trueClasses, predictedClasses) where (0..<classCount).contains(t) && (0..<classCount).contains(p) {
            counts[t][p] += 1
        }
    }

    /// A matrix from existing counts (must be square).
    public init?(counts: [[Int]]) {
        guard counts.allSatisfy({ $0.count == counts.count }) else { return nil }
        self.counts = counts
    }

    /// The number of classes.
    public var classCount: Int { counts.count }

    /// The number of samples.
    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }

    /// Fraction of samples on the diagonal.
    public var accuracy: Double {
        let t = total
        return t == 0 ? 0 : Double((0..<classCount).reduce(0) { $0 + counts[$1][$1] }) / Double(t)
    }

    /// Per-class precision, recall, F1 and support with macro and weighted averages, as
    /// scikit-learn's `classification_report` computes them (0 where a ratio is 0/0).
    ///
    /// Like scikit-learn's `classification_report`, the classes reported (and averaged over) are
    /// those that occur among the true or the predicted classes: on a subset without some classes,
    /// absent classes do not pull the macro average down with zeros.
    public var report: ClassificationReport { ClassificationReport(confusion: self, allClasses: false) }

    /// The per-class report over every class of the model, present in the data or not
    /// (scikit-learn's `labels=range(k)`).
    public var reportOverAllClasses: ClassificationReport { ClassificationReport(confusion: self, allClasses: true) }
}

/// Precision, recall, F1 and support per class, with averages.
public struct ClassificationReport: Sendable, Equatable {
    /// Scores of one class or one average.
    public struct Scores: Sendable, Equatable {
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var support: Int
    }

    /// The class indices reported, ascending: every class, or those among the true or predicted ones.
    public var labels: [Int]
    /// One entry per reported class, in the order of `labels`.
    public var classes: [Scores]
    /// The unweighted mean over classes.
    public var macroAverage: Scores
    /// The mean over classes weighted by support.
    public var weightedAverage: Scores
    /// Overall accuracy.
    public var accuracy: Double

    init(confusion: ConfusionMatrix, allClasses: Bool) {
        let k = confusion.classCount
        let c = confusion.counts
        var classes: [Scores] = []
        var labels: [Int] = []
        for i in 0..<k {
            let tp = Double(c[i][i])
            let predictedCount = (0..<k).reduce(0) { $0 + c[$1][i] }
            let predicted = Double(predictedCount)
            let support = c[i].reduce(0, +)
            guard allClasses || support > 0 || predictedCount > 0 else { continue }
            labels.append(i)
            let precision = predicted == 0 ? 0 : tp / predicted
            let recall = support == 0 ? 0 : tp / Double(support)
            let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
            classes.append(Scores(precision: precision, recall: recall, f1: f1, support: support))
        }
        let total = classes.reduce(0) { $0 + $1.support }
        func average(_ weight: (Scores) -> Double, _ denominator: Double) -> Scores {
            func mean(_ f: (Scores) -> Double) -> Double {
                denominator == 0 ? 0 : classes.reduce(0) { $0 + f($1) * weight($1) } / denominator
            }
            return Scores(precision: mean(\.precision), recall: mean(\.recall), f1: mean(\.f1), support: total)
        }
        self.labels = labels
        self.classes = classes
        macroAverage = average({ _ in 1 }, Double(classes.count))
        weightedAverage = average({ Double($0.support) }, Double(total))
        accuracy = confusion.accuracy
    }
}
