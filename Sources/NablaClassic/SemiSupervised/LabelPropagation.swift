#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Graph-based label propagation (Zhu and Ghahramani, 2002): labels flow along a similarity graph
/// until every point carries the label of the labelled points it is best connected to. With the
/// row-normalised transition matrix `T = D⁻¹ W` and label distributions `Y` (one-hot rows for labelled
/// points), it iterates
///
///     Y ← T Y,   then reset the labelled rows to their one-hot labels,
///
/// until `Y` changes by less than `tolerance` (scikit-learn's `LabelPropagation`). The graph is the
/// symmetrised `neighborCount`-nearest-neighbour graph (sparse; large data is fine) or dense RBF
/// weights `exp(−γ ‖xᵢ − xⱼ‖²)`. `nil` marks an unlabelled sample.
///
/// ```swift
/// let result = try LabelPropagation(graph: .nearestNeighbors(count: 7)).fit(moons.features, labels: partial)
/// result.labels           // a label for every point
/// ```
public struct LabelPropagation: Sendable {
    public enum Graph: Sendable, Equatable {
        case nearestNeighbors(count: Int)
        case radialBasis(gamma: Double)
    }

    public var graph: Graph
    public var maximumIterations: Int
    public var tolerance: Double

    public init(graph: Graph = .nearestNeighbors(count: 7), maximumIterations: Int = 1000, tolerance: Double = 1e-3) {
        self.graph = graph
        self.maximumIterations = maximumIterations
        self.tolerance = tolerance
    }

    public struct Result: Sendable {
        /// The propagated label of every sample.
        public let labels: [Int]
        /// `n × classes`: each row a distribution over classes.
        public let distributions: Matrix
        public let iterations: Int
        public let converged: Bool
    }

    public func fit(_ features: Matrix, labels: [Int?]) throws -> Result {
        let method = "label propagation"
        try validate(features, method: method, minimumRows: 2)
        try validatePartialLabels(labels, rowCount: features.rowCount, method: method)
        try require(maximumIterations >= 1 && tolerance > 0, method: method, "iterations must be ≥ 1 and tolerance positive")
        let n = features.rowCount
        let classCount = (labels.compactMap { $0 }.max() ?? 0) + 1
        // Sparse rows of (neighbour, weight), normalised to sum to 1.
        var rows = [[(Int, Double)]](repeating: [], count: n)
        switch graph {
        case .nearestNeighbors(let count):
            if count < 1 || count > n - 1 {
                throw ClassicError(.tooManyComponents, method: method, "asks for \(count) neighbours but there are \(n - 1) other points")
            }
            let neighbors = try NearestNeighbors.search(features, neighborCount: count).indices
            var sets = [Set<Int>](repeating: [], count: n)
            for point in 0..<n {
                for neighbor in neighbors[point] { sets[point].insert(neighbor); sets[neighbor].insert(point) }
            }
            for point in 0..<n { rows[point] = sets[point].sorted().map { ($0, 1.0) } }
        case .radialBasis(let gamma):
            try require(gamma > 0, method: method, "gamma must be positive, not \(gamma)")
            // The distance matrix plus the graph's rows of (neighbour, weight) pairs, two words each.
            try checkMatrixMemory(method: method, "the RBF graph", rows: n, columns: n, copies: 3)
            if n > 20_000 {
                throw ClassicError(.invalidParameter, method: method, "an RBF graph over \(n) samples is \(n)×\(n); use the nearest-neighbour graph")
            }
            let distances = NearestNeighbors.squaredDistances(features, features)
            for point in 0..<n {
                rows[point] = (0..<n).filter { $0 != point }.map { ($0, exp(-gamma * distances[point, $0])) }
            }
        }
        for point in 0..<n {
            let total = rows[point].reduce(0) { $0 + $1.1 }
            if total > 0 { rows[point] = rows[point].map { ($0.0, $0.1 / total) } }
        }
        var distributions = Matrix(rowCount: n, columnCount: classCount)
        for (point, label) in labels.enumerated() { if let label { distributions[point, label] = 1 } }
        var iterations = 0, converged = false
        var next = distributions
        while iterations < maximumIterations {
            iterations += 1
            var change = 0.0
            for point in 0..<n {
                if let label = labels[point] {
                    for k in 0..<classCount { next[point, k] = k == label ? 1 : 0 }
                    continue
                }
                for k in 0..<classCount { next[point, k] = 0 }
                for (neighbor, weight) in rows[point] {
                    for k in 0..<classCount { next[point, k] += weight * distributions[neighbor, k] }
                }
                for k in 0..<classCount { change += abs(next[point, k] - distributions[point, k]) }
            }
            swap(&distributions, &next)
            if change < tolerance { converged = true; break }
        }
        // Normalise rows to distributions (rows never reached stay uniform).
        for point in 0..<n {
            let total = (0..<classCount).reduce(0.0) { $0 + distributions[point, $1] }
            for k in 0..<classCount { distributions[point, k] = total > 0 ? distributions[point, k] / total : 1 / Double(classCount) }
        }
        return Result(labels: distributions.rowArgmax(), distributions: distributions, iterations: iterations, converged: converged)
    }
}
