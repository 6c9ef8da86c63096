/// Running mean and variance of vectors (Chan et al.'s parallel update, as Stable-Baselines3's
/// `RunningMeanStd`, starting from a count of 1e-4 so the first batch dominates).
public struct RunningStatistics: Sendable, Equatable {
    public private(set) var mean: [Double]
    public private(set) var variance: [Double]
    public private(set) var count: Double = 1e-4

    public init(dimension: Int) {
        mean = Array(repeating: 0, count: dimension)
        variance = Array(repeating: 1, count: dimension)
    }

    /// Folds in a batch of rows, each `mean.count` long.
    public mutating func update(_ rows: [[Double]]) {
        guard !rows.isEmpty else { return }
        let batchCount = Double(rows.count), dimension = mean.count
        for column in 0..<dimension {
            var batchMean = 0.0
            for row in rows { batchMean += row[column] }
            batchMean /= batchCount
            var batchVariance = 0.0
            for row in rows { batchVariance += (row[column] - batchMean) * (row[column] - batchMean) }
            batchVariance /= batchCount
            let delta = batchMean - mean[column], total = count + batchCount
            let combined = variance[column] * count + batchVariance * batchCount + delta * delta * count * batchCount / total
            mean[column] += delta * batchCount / total
            variance[column] = combined / total
        }
        count += batchCount
    }
}
