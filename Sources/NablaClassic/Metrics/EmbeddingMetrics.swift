/// How well a low-dimensional embedding keeps the neighbourhoods of the original data.
public enum EmbeddingMetrics {
    /// Trustworthiness (Venna and Kaski, 2001), as scikit-learn computes it:
    ///
    ///     T(k) = 1 − 2 / (n k (2n − 3k − 1)) · Σᵢ Σ_{j ∈ Uᵢᵏ} max(0, r(i, j) − k)
    ///
    /// where `Uᵢᵏ` are the `k` nearest neighbours of `i` in the embedding and `r(i, j)` is the rank of `j`
    /// among `i`'s neighbours in the original space (1 = nearest). 1 when every embedded neighbour is an
    /// original neighbour; lower when the embedding invents neighbours. Needs `k < n / 2`.
    ///
    /// ```swift
    /// let embedding = try TSNE(perplexity: 10).fitTransform(points).embedding
    /// try EmbeddingMetrics.trustworthiness(original: points, embedded: embedding, neighborCount: 5)  // ≈ 0.99
    /// ```
    public static func trustworthiness(original: Matrix, embedded: Matrix, neighborCount k: Int = 5) throws -> Double {
        let method = "trustworthiness"
        try validate(original, method: method)
        try validate(embedded, method: method, name: "the embedding")
        let n = original.rowCount
        if embedded.rowCount != n {
            throw ClassicError(.shapeMismatch, method: method, "the embedding has \(embedded.rowCount) points but the data \(n)")
        }
        if k < 1 || Double(k) >= Double(n) / 2 {
            throw ClassicError(.invalidParameter, method: method, "neighbour count \(k) must be at least 1 and below n/2 = \(Double(n) / 2)")
        }
        let embeddedNeighbors = try NearestNeighbors.search(embedded, neighborCount: k).indices
        var penalty = 0.0
        NearestNeighbors.forEachDistanceBlock(original, original) { block, rows in
            penalty += parallelSum(rows.count, minimumPerChunk: 8) { range in
                var sum = 0.0
                for local in range {
                    let sample = rows.lowerBound + local
                    let row = block + local * n
                    for neighbor in embeddedNeighbors[sample] {
                        let distance = row[neighbor]
                        // Rank of `neighbor` among the other points by original distance, ties by index.
                        var rank = 1
                        for other in 0..<n where other != sample && other != neighbor {
                            if row[other] < distance || (row[other] == distance && other < neighbor) { rank += 1 }
                        }
                        if rank > k { sum += Double(rank - k) }
                    }
                }
                return sum
            }
        }
        let scale = 2.0 / (Double(n) * Double(k) * (2.0 * Double(n) - 3.0 * Double(k) - 1.0))
        return 1 - penalty * scale
    }
}
