#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Laplacian eigenmaps (Belkin and Niyogi, 2003), scikit-learn's `SpectralEmbedding`: build a
/// neighbourhood graph `A` (the `neighborCount`-nearest-neighbour graph made symmetric,
/// `A = (A + Aᵀ) / 2`, or RBF weights `exp(−γ‖xᵢ − xⱼ‖²)`), then embed with the eigenvectors of the
/// normalised Laplacian `L = I − D^(-1/2) A D^(-1/2)` for the smallest eigenvalues after the trivial
/// one, divided by `√degree`. Points strongly connected in the graph land close together: the
/// embedding minimises `Σᵢⱼ Aᵢⱼ ‖yᵢ − yⱼ‖²` under a scale constraint. Dense `n × n`.
///
/// ```swift
/// let embedding = try LaplacianEigenmaps(dimensions: 2, neighborCount: 10).fit(points)
/// ```
public struct LaplacianEigenmaps: Sendable {
    public enum Affinity: Sendable, Equatable {
        case nearestNeighbors
        case radialBasis(gamma: Double)
    }

    public var dimensions: Int
    /// Neighbours per point for the graph; nil uses `max(n / 10, 1)` as scikit-learn does.
    public var neighborCount: Int?
    public var affinity: Affinity

    public init(dimensions: Int = 2, neighborCount: Int? = nil, affinity: Affinity = .nearestNeighbors) {
        self.dimensions = dimensions
        self.neighborCount = neighborCount
        self.affinity = affinity
    }

    /// The `n × dimensions` embedding.
    public func fit(_ features: Matrix) throws -> Matrix {
        let method = "Laplacian eigenmaps"
        try validate(features, method: method, minimumRows: 3)
        let n = features.rowCount
        if dimensions < 1 || dimensions >= n - 1 {
            throw ClassicError(.tooManyComponents, method: method, "asks for \(dimensions) dimensions; with \(n) samples choose 1...\(max(n - 2, 1))")
        }
        // Adjacency, Laplacian and the eigensolver's copy.
        try checkMatrixMemory(method: method, "the graph Laplacian", rows: n, columns: n, copies: 3)
        if n > 10_000 {
            throw ClassicError(.invalidParameter, method: method, "\(n) samples need a dense \(n)×\(n) eigenproblem; use at most 10,000")
        }
        var adjacency = Matrix(rowCount: n, columnCount: n)
        switch affinity {
        case .nearestNeighbors:
            let count = min(neighborCount ?? max(n / 10, 1), n - 1)
            try require(count >= 1, method: method, "needs at least one neighbour")
            // scikit-learn's connectivity graph includes each point itself.
            let neighbors = try NearestNeighbors.search(features, neighborCount: max(count - 1, 1)).indices
            for point in 0..<n {
                adjacency[point, point] = 1
                for neighbor in neighbors[point].prefix(count - 1) { adjacency[point, neighbor] = 1 }
            }
            for row in 0..<n {
                for column in (row + 1)..<max(row + 1, n) {
                    let value = (adjacency[row, column] + adjacency[column, row]) / 2
                    adjacency[row, column] = value; adjacency[column, row] = value
                }
            }
        case .radialBasis(let gamma):
            try require(gamma > 0, method: method, "gamma must be positive, not \(gamma)")
            adjacency = NearestNeighbors.squaredDistances(features, features)
            for index in adjacency.values.indices { adjacency.values[index] = exp(-gamma * adjacency.values[index]) }
        }
        // The normalised Laplacian ignores self-loops (as SciPy's csgraph.laplacian does).
        for point in 0..<n { adjacency[point, point] = 0 }
        var degreeRoots = [Double](repeating: 0, count: n)
        for row in 0..<n {
            var degree = 0.0
            for column in 0..<n { degree += adjacency[row, column] }
            degreeRoots[row] = degree > 0 ? degree.squareRoot() : 1
        }
        var laplacian = Matrix(rowCount: n, columnCount: n)
        for row in 0..<n {
            for column in 0..<n {
                laplacian[row, column] = (row == column && degreeRoots[row] > 0 ? 1 : 0) - adjacency[row, column] / (degreeRoots[row] * degreeRoots[column])
            }
        }
        let (_, vectors) = try symmetricEigenpairs(laplacian, indices: 1...dimensions, method: method)
        var embedding = vectors
        for row in 0..<n { for column in 0..<dimensions { embedding[row, column] /= degreeRoots[row] } }
        fixColumnSigns(&embedding)
        return embedding
    }
}
