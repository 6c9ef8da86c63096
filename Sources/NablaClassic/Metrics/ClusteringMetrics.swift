/// Scores for a clustering: agreement with known classes (adjusted Rand index) and internal quality
/// (silhouette).
///
/// ```swift
/// ClusteringMetrics.adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0])   // 1: same partition, other names
/// ClusteringMetrics.adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])   // -0.5
/// ```
public enum ClusteringMetrics {
    /// The adjusted Rand index between two partitions (Hubert and Arabie, 1985):
    ///
    ///     ARI = (Σᵢⱼ C(nᵢⱼ,2) − [Σᵢ C(aᵢ,2) Σⱼ C(bⱼ,2)] / C(n,2)) / (½[Σᵢ C(aᵢ,2) + Σⱼ C(bⱼ,2)] − [Σᵢ C(aᵢ,2) Σⱼ C(bⱼ,2)] / C(n,2))
    ///
    /// with `nᵢⱼ` the contingency table and `aᵢ`, `bⱼ` its row and column sums. 1 for identical
    /// partitions (up to naming), about 0 for random ones. Labels may be any integers.
    public static func adjustedRandIndex(_ first: [Int], _ second: [Int]) -> Double {
        precondition(first.count == second.count, "adjustedRandIndex: \(first.count) labels against \(second.count)")
        let n = first.count
        if n < 2 { return 1 }
        let firstCodes = codes(first), secondCodes = codes(second)
        let rows = (firstCodes.max() ?? 0) + 1, columns = (secondCodes.max() ?? 0) + 1
        var table = [Int](repeating: 0, count: rows * columns)
        for index in 0..<n { table[firstCodes[index] * columns + secondCodes[index]] += 1 }
        func pairs(_ count: Int) -> Double { Double(count) * Double(count - 1) / 2 }
        var sumCells = 0.0
        for count in table where count > 1 { sumCells += pairs(count) }
        var rowSums = [Int](repeating: 0, count: rows), columnSums = [Int](repeating: 0, count: columns)
        for row in 0..<rows { for column in 0..<columns { rowSums[row] += table[row * columns + column]; columnSums[column] += table[row * columns + column] } }
        let sumRows = rowSums.reduce(0.0) { $0 + pairs($1) }, sumColumns = columnSums.reduce(0.0) { $0 + pairs($1) }
        let expected = sumRows * sumColumns / pairs(n)
        let maximum = (sumRows + sumColumns) / 2
        // Both partitions trivial (all one cluster, or all singletons): scikit-learn returns 1.
        if maximum == expected { return 1 }
        return (sumCells - expected) / (maximum - expected)
    }

    /// The mean silhouette coefficient `s = (b − a) / max(a, b)` over samples, with `a` the mean
    /// distance to the other members of the sample's cluster and `b` the smallest mean distance to
    /// another cluster; samples alone in their cluster score 0. Needs 2 ≤ clusters ≤ n − 1.
    public static func silhouetteScore(_ features: Matrix, labels: [Int]) throws -> Double {
        let method = "silhouette score"
        try validate(features, method: method)
        let labelCodes = codes(labels)
        let clusters = (labelCodes.max() ?? 0) + 1
        if labels.count != features.rowCount {
            throw ClassicError(.shapeMismatch, method: method, "\(labels.count) labels for \(features.rowCount) samples")
        }
        if clusters < 2 || clusters > features.rowCount - 1 {
            throw ClassicError(.invalidParameter, method: method, "needs between 2 and \(features.rowCount - 1) clusters, got \(clusters)")
        }
        var sizes = [Int](repeating: 0, count: clusters)
        for code in labelCodes { sizes[code] += 1 }
        var total = 0.0
        let n = features.rowCount
        NearestNeighbors.forEachDistanceBlock(features, features) { block, rows in
            total += parallelSum(rows.count, minimumPerChunk: 16) { range in
                var perCluster = [Double](repeating: 0, count: clusters)
                var sum = 0.0
                for local in range {
                    for cluster in 0..<clusters { perCluster[cluster] = 0 }
                    let row = block + local * n, sample = rows.lowerBound + local
                    for column in 0..<n { perCluster[labelCodes[column]] += row[column].squareRoot() }
                    let own = labelCodes[sample]
                    perCluster[own] -= row[sample].squareRoot()   // the sample's distance to itself
                    if sizes[own] <= 1 { continue }
                    let a = perCluster[own] / Double(sizes[own] - 1)
                    var b = Double.infinity
                    for cluster in 0..<clusters where cluster != own && sizes[cluster] > 0 {
                        b = min(b, perCluster[cluster] / Double(sizes[cluster]))
                    }
                    sum += (b - a) / max(a, b)
                }
                return sum
            }
        }
        return total / Double(n)
    }

    /// Labels renumbered `0..<distinct` in order of first appearance.
    static func codes(_ labels: [Int]) -> [Int] {
        var map: [Int: Int] = [:]
        return labels.map { label in
            if let code = map[label] { return code }
            let code = map.count
            map[label] = code
            return code
        }
    }
}
