// How well an anomaly score separates anomalies (positives) from normal examples, as scikit-learn's
// `roc_auc_score`, `roc_curve` and `average_precision_score` measure it. A higher score means "more
// anomalous"; `anomalous[i]` says whether example i is an anomaly.

private func checkedCounts(_ operation: String, scores: [Double], anomalous: [Bool]) -> (positives: Int, negatives: Int) {
    precondition(scores.count == anomalous.count,
                 "\(operation): \(scores.count) scores but \(anomalous.count) labels; give one label per score")
    let positives = anomalous.filter { $0 }.count
    precondition(positives > 0 && positives < anomalous.count,
                 "\(operation): needs both anomalies and normal examples, got \(positives) anomalies among \(anomalous.count)")
    precondition(scores.allSatisfy(\.isFinite), "\(operation): every score must be finite")
    return (positives, anomalous.count - positives)
}

/// The area under the ROC curve: the probability that a random anomaly scores above a random normal
/// example, ties counting one half (the Mann–Whitney U statistic over positives × negatives).
///
/// ```swift
/// rocAUC(scores: [0.1, 0.4, 0.35, 0.8], anomalous: [false, false, true, true])   // 0.75
/// ```
public func rocAUC(scores: [Double], anomalous: [Bool]) -> Double {
    let (positives, negatives) = checkedCounts("rocAUC", scores: scores, anomalous: anomalous)
    // Average ranks (1-based) over runs of equal scores; U = Σ ranks of positives − P(P + 1)/2.
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    var rankSum = 0.0, start = 0
    while start < order.count {
        var end = start
        while end + 1 < order.count && scores[order[end + 1]] == scores[order[start]] { end += 1 }
        let averageRank = Double(start + end + 2) / 2
        for position in start...end where anomalous[order[position]] { rankSum += averageRank }
        start = end + 1
    }
    let p = Double(positives)
    return (rankSum - p * (p + 1) / 2) / (p * Double(negatives))
}

/// The ROC curve: false- and true-positive rates at each distinct threshold, from (0, 0) (nothing flagged)
/// to (1, 1) (everything flagged), one point per distinct score.
public func rocCurve(scores: [Double], anomalous: [Bool]) -> (falsePositiveRate: [Double], truePositiveRate: [Double]) {
    let (positives, negatives) = checkedCounts("rocCurve", scores: scores, anomalous: anomalous)
    let order = scores.indices.sorted { scores[$0] > scores[$1] }
    var falsePositiveRate = [0.0], truePositiveRate = [0.0]
    var (truePositives, falsePositives) = (0, 0)
    for (position, index) in order.enumerated() {
        if anomalous[index] { truePositives += 1 } else { falsePositives += 1 }
        if position + 1 == order.count || scores[order[position + 1]] != scores[index] {
            falsePositiveRate.append(Double(falsePositives) / Double(negatives))
            truePositiveRate.append(Double(truePositives) / Double(positives))
        }
    }
    return (falsePositiveRate, truePositiveRate)
}

/// Average precision (the area under the precision–recall curve as scikit-learn sums it):
/// Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the distinct thresholds from the highest score down.
public func averagePrecision(scores: [Double], anomalous: [Bool]) -> Double {
    let (positives, _) = checkedCounts("averagePrecision", scores: scores, anomalous: anomalous)
    let order = scores.indices.sorted { scores[$0] > scores[$1] }
    var (truePositives, flagged, previousRecall, area) = (0, 0, 0.0, 0.0)
    for (position, index) in order.enumerated() {
        flagged += 1
        if anomalous[index] { truePositives += 1 }
        if position + 1 == order.count || scores[order[position + 1]] != scores[index] {
            let recall = Double(truePositives) / Double(positives)
            area += (recall - previousRecall) * Double(truePositives) / Double(flagged)
            previousRecall = recall
        }
    }
    return area
}
