/// Locally linear embedding (Roweis and Saul, 2000): each point is written as an affine combination of
/// its `neighborCount` nearest neighbours,
///
///     min_W Σᵢ ‖xᵢ − Σⱼ wᵢⱼ xⱼ‖²   with Σⱼ wᵢⱼ = 1,
///
/// (solved per point from the local Gram matrix, regularised by `regularization × trace`), and the
/// embedding keeps those weights: `min_Y Σᵢ ‖yᵢ − Σⱼ wᵢⱼ yⱼ‖²`, whose solution is the eigenvectors of
/// `M = (I − W)ᵀ(I − W)` with the smallest eigenvalues after the constant one (scikit-learn's
/// `LocallyLinearEmbedding(method="standard")`). Dense `n × n`: for a few thousand points.
///
/// ```swift
/// let embedding = try LocallyLinearEmbedding(neighborCount: 10, dimensions: 2).fit(points).embedding
/// ```
public struct LocallyLinearEmbedding: Sendable {
    public var neighborCount: Int
    public var dimensions: Int
    public var regularization: Double

    public init(neighborCount: Int = 5, dimensions: Int = 2, regularization: Double = 1e-3) {
        self.neighborCount = neighborCount
        self.dimensions = dimensions
        self.regularization = regularization
    }

    public struct Result: Sendable {
        /// `n × dimensions`.
        public let embedding: Matrix
        /// `Σᵢ ‖yᵢ − Σⱼ wᵢⱼ yⱼ‖²`: the sum of the kept eigenvalues.
        public let reconstructionError: Double
    }

    public func fit(_ features: Matrix) throws -> Result {
        let method = "locally linear embedding"
        try validate(features, method: method, minimumRows: 3)
        let n = features.rowCount, width = features.columnCount
        if dimensions < 1 || dimensions >= n - 1 {
            throw ClassicError(.tooManyComponents, method: method, "asks for \(dimensions) dimensions; with \(n) samples choose 1...\(max(n - 2, 1))")
        }
        try require(neighborCount > dimensions, method: method, "needs more neighbours (\(neighborCount)) than dimensions (\(dimensions))")
        // I − W, M = (I − W)ᵀ(I − W) and the eigensolver's copy of M.
        try checkMatrixMemory(method: method, "the embedding eigenproblem", rows: n, columns: n, copies: 3)
        if n > 10_000 {
            throw ClassicError(.invalidParameter, method: method, "\(n) samples need a dense \(n)×\(n) eigenproblem; use at most 10,000")
        }
        let neighbors = try NearestNeighbors.search(features, neighborCount: neighborCount).indices
        // Reconstruction weights, one small solve per point.
        var weights = Matrix(rowCount: n, columnCount: neighborCount)
        for point in 0..<n {
            var local = Matrix(rowCount: neighborCount, columnCount: width)
            for (position, neighbor) in neighbors[point].enumerated() {
                for column in 0..<width { local[position, column] = features[neighbor, column] - features[point, column] }
            }
            var gramMatrix = outerGram(local)
            var trace = 0.0
            for index in 0..<neighborCount { trace += gramMatrix[index, index] }
            let ridge = trace > 0 ? regularization * trace : regularization
            for index in 0..<neighborCount { gramMatrix[index, index] += ridge }
            let solution = try solveLinearSystem(gramMatrix, Matrix(column: [Double](repeating: 1, count: neighborCount)), method: method)
            let total = solution.values.reduce(0, +)
            for position in 0..<neighborCount { weights[point, position] = solution.values[position] / total }
        }
        // M = (I − W)ᵀ (I − W), dense.
        var imw = Matrix.identity(n)
        for point in 0..<n {
            for (position, neighbor) in neighbors[point].enumerated() { imw[point, neighbor] -= weights[point, position] }
        }
        let m = gram(imw)
        let (values, vectors) = try symmetricEigenpairs(m, indices: 1...dimensions, method: method)
        var embedding = vectors
        fixColumnSigns(&embedding)
        return Result(embedding: embedding, reconstructionError: values.reduce(0, +))
    }
}
