#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Kernel PCA with the RBF kernel `k(x, z) = exp(−γ ‖x − z‖²)`: PCA in the kernel's feature space,
/// which unfolds structure that no linear projection can (concentric circles, two moons). The kernel
/// matrix is centred in feature space, `K̃ = K − 1K − K1 + 1K1` (with `1` the matrix of `1/n`), its top
/// eigenpairs `(λⱼ, vⱼ)` found by LAPACK `dsyevr`, and a point projects to `Σᵢ k̃(x, xᵢ) vᵢⱼ / √λⱼ`
/// (so training points land at `vᵢⱼ √λⱼ`). `n × n` memory: for a few thousand samples.
///
/// ```swift
/// let model = try KernelPCA(componentCount: 2, gamma: 15).fit(moons)
/// let projected = try model.transform(moons)
/// ```
public struct KernelPCA: Sendable {
    public var componentCount: Int
    /// γ; nil uses `1 / features` (scikit-learn's default).
    public var gamma: Double?

    public init(componentCount: Int, gamma: Double? = nil) {
        self.componentCount = componentCount
        self.gamma = gamma
    }

    public struct Model: FeatureTransform {
        public let gamma: Double
        /// The eigenvalues of the centred kernel matrix, largest first.
        public let eigenvalues: [Double]
        /// Coordinates of the training points, `n × componentCount`.
        public let embedding: Matrix
        let training: Matrix
        /// `vⱼ / √λⱼ` as columns, `n × componentCount`.
        let coefficients: Matrix
        let columnMeans: [Double]
        let grandMean: Double

        public func transform(_ features: Matrix) throws -> Matrix {
            try checkFeatureCount(features, expected: training.columnCount, method: "kernel PCA")
            try checkFinite(features.values, columns: features.columnCount, method: "kernel PCA")
            var kernel = NearestNeighbors.squaredDistances(features, training)
            for index in kernel.values.indices { kernel.values[index] = exp(-gamma * kernel.values[index]) }
            // Centre against the training kernel's statistics.
            for row in 0..<kernel.rowCount {
                var rowMean = 0.0
                for column in 0..<kernel.columnCount { rowMean += kernel[row, column] }
                rowMean /= Double(kernel.columnCount)
                for column in 0..<kernel.columnCount { kernel[row, column] += grandMean - columnMeans[column] - rowMean }
            }
            return multiply(kernel, coefficients)
        }
    }

    public func fit(_ features: Matrix) throws -> Model {
        let method = "kernel PCA"
        try validate(features, method: method, minimumRows: 2)
        let n = features.rowCount
        if componentCount < 1 || componentCount > n {
            throw ClassicError(.tooManyComponents, method: method, "asks for \(componentCount) components but there are \(n) samples; choose 1...\(n)")
        }
        // The kernel, its centred copy and the eigensolver's work space.
        try checkMatrixMemory(method: method, "the kernel matrix", rows: n, columns: n, copies: 3)
        if n > 20_000 {
            throw ClassicError(.invalidParameter, method: method, "\(n) samples need an \(n)×\(n) kernel matrix; use at most 20,000")
        }
        let gamma = self.gamma ?? 1 / Double(features.columnCount)
        try require(gamma > 0, method: method, "gamma must be positive, not \(gamma)")
        var kernel = NearestNeighbors.squaredDistances(features, features)
        for index in kernel.values.indices { kernel.values[index] = exp(-gamma * kernel.values[index]) }
        let columnMeans = kernel.columnMeans()   // symmetric: row means equal column means
        let grandMean = columnMeans.reduce(0, +) / Double(n)
        for row in 0..<n {
            for column in 0..<n { kernel[row, column] += grandMean - columnMeans[row] - columnMeans[column] }
        }
        let (values, vectors) = try symmetricEigenpairs(kernel, indices: (n - componentCount)...(n - 1), method: method)
        var eigenvalues: [Double] = []
        var coefficients = Matrix(rowCount: n, columnCount: componentCount)
        var embedding = Matrix(rowCount: n, columnCount: componentCount)
        var orderedVectors = Matrix(rowCount: n, columnCount: componentCount)
        for position in 0..<componentCount {
            let index = componentCount - 1 - position
            for row in 0..<n { orderedVectors[row, position] = vectors[row, index] }
        }
        fixColumnSigns(&orderedVectors)
        for position in 0..<componentCount {
            let value = max(values[componentCount - 1 - position], 0)
            eigenvalues.append(value)
            let root = value.squareRoot()
            for row in 0..<n {
                coefficients[row, position] = root > 0 ? orderedVectors[row, position] / root : 0
                embedding[row, position] = orderedVectors[row, position] * root
            }
        }
        return Model(gamma: gamma, eigenvalues: eigenvalues, embedding: embedding, training: features,
                     coefficients: coefficients, columnMeans: columnMeans, grandMean: grandMean)
    }
}
