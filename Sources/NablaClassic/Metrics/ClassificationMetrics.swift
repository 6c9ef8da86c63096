/// Scores for predicted class labels and scores. Labels are class numbers `0..<classCount`; each
/// function takes the true labels first.
///
/// ```swift
/// let truth = [0, 0, 1, 1], predicted = [0, 1, 1, 1]
/// ClassificationMetrics.accuracy(truth, predicted)                    // 0.75
/// ClassificationMetrics.precision(truth, predicted, positiveClass: 1) // 2/3
/// ClassificationMetrics.recall(truth, predicted, positiveClass: 1)    // 1
/// ClassificationMetrics.rocAUC(truth, scores: [0.1, 0.4, 0.35, 0.8]) // 0.75
/// ```
public enum ClassificationMetrics {
    /// The fraction of predictions equal to the truth.
    public static func accuracy(_ truth: [Int], _ predictions: [Int]) -> Double {
        precondition(truth.count == predictions.count && !truth.isEmpty, "accuracy: \(truth.count) labels against \(predictions.count) predictions")
        var correct = 0
        for index in truth.indices where truth[index] == predictions[index] { correct += 1 }
        return Double(correct) / Double(truth.count)
    }

    /// `counts[true][predicted]`: row = true class, column = predicted class (scikit-learn's layout).
    public static func confusionMatrix(_ truth: [Int], _ predictions: [Int], classCount: Int? = nil) -> [[Int]] {
        precondition(truth.count == predictions.count, "confusionMatrix: \(truth.count) labels against \(predictions.count) predictions")
        let count = classCount ?? (max(truth.max() ?? -1, predictions.max() ?? -1) + 1)
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: count), count: count)
        for index in truth.indices { matrix[truth[index]][predictions[index]] += 1 }
        return matrix
    }

    /// `TP / (TP + FP)` for `positiveClass`; 0 when nothing is predicted positive (scikit-learn's
    /// `zero_division=0`).
    public static func precision(_ truth: [Int], _ predictions: [Int], positiveClass: Int = 1) -> Double {
        let (truePositives, falsePositives, _) = counts(truth, predictions, positiveClass)
        return truePositives + falsePositives == 0 ? 0 : Double(truePositives) / Double(truePositives + falsePositives)
    }

    /// `TP / (TP + FN)` for `positiveClass`; 0 when the class never occurs.
    public static func recall(_ truth: [Int], _ predictions: [Int], positiveClass: Int = 1) -> Double {
        let (truePositives, _, falseNegatives) = counts(truth, predictions, positiveClass)
        return truePositives + falseNegatives == 0 ? 0 : Double(truePositives) / Double(truePositives + falseNegatives)
    }

    /// The harmonic mean of precision and recall, `2PR / (P + R)`, for `positiveClass`.
    public static func f1Score(_ truth: [Int], _ predictions: [Int], positiveClass: Int = 1) -> Double {
        let p = precision(truth, predictions, positiveClass: positiveClass)
        let r = recall(truth, predictions, positiveClass: positiveClass)
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }

    /// The unweighted mean over classes of F1 (scikit-learn's `average="macro"`), for more than two classes.
    public static func macroF1Score(_ truth: [Int], _ predictions: [Int], classCount: Int? = nil) -> Double {
        let count = classCount ?? (max(truth.max() ?? -1, predictions.max() ?? -1) + 1)
        guard count > 0 else { return 0 }
        return (0..<count).map { f1Score(truth, predictions, positiveClass: $0) }.reduce(0, +) / Double(count)
    }

    /// The area under the ROC curve for a binary task: the probability that a random positive scores
    /// higher than a random negative, ties counting one half (the Mann–Whitney U statistic over
    /// `positives × negatives`). `scores` rank samples by how positive they look; labels are 0 or 1.
    /// NaN when only one class is present.
    public static func rocAUC(_ truth: [Int], scores: [Double], positiveClass: Int = 1) -> Double {
        precondition(truth.count == scores.count, "rocAUC: \(truth.count) labels against \(scores.count) scores")
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        // Average ranks (1-based) over ties.
        var rankSumOfPositives = 0.0
        var position = 0
        var positives = 0
        while position < order.count {
            var end = position
            while end + 1 < order.count && scores[order[end + 1]] == scores[order[position]] { end += 1 }
            let averageRank = Double(position + end + 2) / 2
            for index in position...end where truth[order[index]] == positiveClass {
                rankSumOfPositives += averageRank
                positives += 1
            }
            position = end + 1
        }
        let negatives = truth.count - positives
        guard positives > 0 && negatives > 0 else { return .nan }
        let u = rankSumOfPositives - Double(positives) * Double(positives + 1) / 2
        return u / (Double(positives) * Double(negatives))
    }

    /// The points of the ROC curve `(false-positive rate, true-positive rate)` as the threshold sweeps
    /// down through the distinct scores, starting at (0, 0) and ending at (1, 1).
    public static func rocCurve(_ truth: [Int], scores: [Double], positiveClass: Int = 1) -> [(falsePositiveRate: Double, truePositiveRate: Double)] {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        let positives = truth.filter { $0 == positiveClass }.count, negatives = truth.count - positives
        var points: [(Double, Double)] = [(0, 0)]
        var truePositives = 0, falsePositives = 0, position = 0
        while position < order.count {
            let score = scores[order[position]]
            while position < order.count && scores[order[position]] == score {
                if truth[order[position]] == positiveClass { truePositives += 1 } else { falsePositives += 1 }
                position += 1
            }
            points.append((negatives == 0 ? 0 : Double(falsePositives) / Double(negatives),
                           positives == 0 ? 0 : Double(truePositives) / Double(positives)))
        }
        return points.map { (falsePositiveRate: $0.0, truePositiveRate: $0.1) }
    }

    private static func counts(_ truth: [Int], _ predictions: [Int], _ positive: Int) -> (Int, Int, Int) {
        precondition(truth.count == predictions.count, "\(truth.count) labels against \(predictions.count) predictions")
        var truePositives = 0, falsePositives = 0, falseNegatives = 0
        for index in truth.indices {
            let isTrue = truth[index] == positive, isPredicted = predictions[index] == positive
            if isTrue && isPredicted { truePositives += 1 } else if isPredicted { falsePositives += 1 } else if isTrue { falseNegatives += 1 }
        }
        return (truePositives, falsePositives, falseNegatives)
    }
}
