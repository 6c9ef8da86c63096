import Foundation

// Small statistics the deep-learning labs report about their runs.

/// The middle value (the mean of the two middle values for an even count); NaN for no values.
func median(of values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// Spearman's rank correlation: Pearson's correlation of the ranks, ties sharing their mean rank
/// (as `scipy.stats.spearmanr`). NaN when either list is constant or the lists are shorter than 2.
func rankCorrelation(_ first: [Double], _ second: [Double]) -> Double {
    precondition(first.count == second.count, "rankCorrelation: \(first.count) and \(second.count) values")
    guard first.count >= 2 else { return .nan }
    let (a, b) = (ranks(first), ranks(second))
    let meanA = a.reduce(0, +) / Double(a.count), meanB = b.reduce(0, +) / Double(b.count)
    var covariance = 0.0, varianceA = 0.0, varianceB = 0.0
    for (x, y) in zip(a, b) {
        covariance += (x - meanA) * (y - meanB)
        varianceA += (x - meanA) * (x - meanA)
        varianceB += (y - meanB) * (y - meanB)
    }
    guard varianceA > 0, varianceB > 0 else { return .nan }
    return covariance / (varianceA * varianceB).squareRoot()
}

/// 1-based ranks, tied values sharing the mean of the ranks they span.
func ranks(_ values: [Double]) -> [Double] {
    let order = values.indices.sorted { values[$0] < values[$1] }
    var result = [Double](repeating: 0, count: values.count)
    var start = 0
    while start < order.count {
        var end = start
        while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
        let shared = Double(start + end) / 2 + 1
        for position in start...end { result[order[position]] = shared }
        start = end + 1
    }
    return result
}

/// `sign(v)·log10(1 + |v|/scale)`: a "symmetric log" that shows values of both signs spanning many
/// orders of magnitude (Hessian spectra) on one linear axis, and stays linear near zero.
func symmetricLog(_ value: Double, scale: Double) -> Double {
    (value < 0 ? -1 : 1) * log10(1 + abs(value) / scale)
}
