#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The joint probabilities `P` of t-SNE, as a symmetric sparse matrix in compressed rows.
struct SparseAffinities: Sendable {
    /// `rowStarts[i]..<rowStarts[i + 1]` index `columns` and `values` for row `i`.
    var rowStarts: [Int]
    var columns: [Int32]
    var values: [Double]

    var rowCount: Int { rowStarts.count - 1 }
}

enum TSNEAffinities {
    /// Conditional probabilities `p(j|i) ∝ exp(−β dᵢⱼ)` over each row's candidates, with `β` found by
    /// bisection so the row's perplexity `2^H(Pᵢ)` equals `perplexity` (van der Maaten's
    /// `x2p`, as scikit-learn's `_binary_search_perplexity`: up to 100 steps, tolerance 10⁻⁵ on the
    /// entropy in nats). `squaredDistances[i]` lists the candidates' squared distances.
    static func conditionalProbabilities(_ squaredDistances: [[Double]], perplexity: Double) -> [[Double]] {
        let desiredEntropy = log(perplexity)
        var result = [[Double]](repeating: [], count: squaredDistances.count)
        result.withUnsafeMutableBufferPointer { output in
            let target = UncheckedPointer(output.baseAddress!)
            parallelRanges(squaredDistances.count, minimumPerChunk: 64) { rows in
                for row in rows {
                    let distances = squaredDistances[row]
                    var probabilities = [Double](repeating: 0, count: distances.count)
                    var beta = 1.0, betaMinimum = -Double.infinity, betaMaximum = Double.infinity
                    for _ in 0..<100 {
                        var sum = 0.0
                        for index in distances.indices {
                            probabilities[index] = exp(-distances[index] * beta)
                            sum += probabilities[index]
                        }
                        if sum == 0 { sum = 1e-8 }
                        var weightedDistance = 0.0
                        for index in distances.indices {
                            probabilities[index] /= sum
                            weightedDistance += distances[index] * probabilities[index]
                        }
                        let entropy = log(sum) + beta * weightedDistance
                        let difference = entropy - desiredEntropy
                        if abs(difference) <= 1e-5 { break }
                        if difference > 0 {
                            betaMinimum = beta
                            beta = betaMaximum == .infinity ? beta * 2 : (beta + betaMaximum) / 2
                        } else {
                            betaMaximum = beta
                            beta = betaMinimum == -.infinity ? beta / 2 : (beta + betaMinimum) / 2
                        }
                    }
                    target.pointer[row] = probabilities
                }
            }
        }
        return result
    }

    /// Sparse joint probabilities from each point's nearest neighbours: conditional probabilities over
    /// the `k` neighbours, then `P = (C + Cᵀ) / Σ(C + Cᵀ)` (scikit-learn's `_joint_probabilities_nn`).
    static func sparse(neighbors: NearestNeighbors.Result, perplexity: Double) -> SparseAffinities {
        let conditional = conditionalProbabilities(neighbors.squaredDistances, perplexity: perplexity)
        let n = conditional.count
        // Each entry (i, j, c) appears in row i and, transposed, in row j; equal columns are summed.
        var counts = [Int](repeating: 0, count: n)
        for row in 0..<n {
            counts[row] += neighbors.indices[row].count
            for column in neighbors.indices[row] { counts[column] += 1 }
        }
        var starts = [Int](repeating: 0, count: n + 1)
        for row in 0..<n { starts[row + 1] = starts[row] + counts[row] }
        var fill = starts
        var columns = [Int32](repeating: 0, count: starts[n]), values = [Double](repeating: 0, count: starts[n])
        for row in 0..<n {
            for (position, column) in neighbors.indices[row].enumerated() {
                let value = conditional[row][position]
                columns[fill[row]] = Int32(column); values[fill[row]] = value; fill[row] += 1
                columns[fill[column]] = Int32(row); values[fill[column]] = value; fill[column] += 1
            }
        }
        // Merge duplicate columns within each row.
        var mergedStarts = [0], mergedColumns: [Int32] = [], mergedValues: [Double] = []
        mergedColumns.reserveCapacity(columns.count)
        mergedValues.reserveCapacity(values.count)
        var total = 0.0
        for row in 0..<n {
            let range = starts[row]..<starts[row + 1]
            let order = range.sorted { columns[$0] < columns[$1] }
            var previous: Int32 = -1
            for index in order {
                if columns[index] == previous {
                    mergedValues[mergedValues.count - 1] += values[index]
                } else {
                    mergedColumns.append(columns[index]); mergedValues.append(values[index])
                    previous = columns[index]
                }
                total += values[index]
            }
            mergedStarts.append(mergedColumns.count)
        }
        let scale = 1 / max(total, Double.ulpOfOne)
        for index in mergedValues.indices { mergedValues[index] *= scale }
        return SparseAffinities(rowStarts: mergedStarts, columns: mergedColumns, values: mergedValues)
    }

    /// Dense joint probabilities for exact t-SNE: conditional probabilities over all other points, then
    /// `P = (C + Cᵀ) / Σ(C + Cᵀ)`, floored at machine epsilon (scikit-learn's `_joint_probabilities`).
    static func dense(_ features: Matrix, perplexity: Double) -> Matrix {
        let n = features.rowCount
        let distances = NearestNeighbors.squaredDistances(features, features)
        let rows = (0..<n).map { row in (0..<n).filter { $0 != row }.map { distances[row, $0] } }
        let conditional = conditionalProbabilities(rows, perplexity: perplexity)
        var joint = Matrix(rowCount: n, columnCount: n)
        for row in 0..<n {
            var position = 0
            for column in 0..<n where column != row {
                joint[row, column] += conditional[row][position]
                joint[column, row] += conditional[row][position]
                position += 1
            }
        }
        let total = max(joint.values.reduce(0, +), Double.ulpOfOne)
        for index in joint.values.indices { joint.values[index] = max(joint.values[index] / total, Double.ulpOfOne) }
        for index in 0..<n { joint[index, index] = 0 }
        return joint
    }
}
