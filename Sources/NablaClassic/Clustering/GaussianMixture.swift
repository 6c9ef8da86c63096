#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Nabla

/// A Gaussian mixture `p(x) = Σₖ πₖ N(x; μₖ, Σₖ)` fitted by expectation–maximisation:
///
/// - E step: responsibilities `γᵢₖ = πₖ N(xᵢ; μₖ, Σₖ) / Σⱼ πⱼ N(xᵢ; μⱼ, Σⱼ)` (in log space)
/// - M step: `Nₖ = Σᵢ γᵢₖ`, `πₖ = Nₖ / n`, `μₖ = Σᵢ γᵢₖ xᵢ / Nₖ`, `Σₖ = Σᵢ γᵢₖ (xᵢ − μₖ)(xᵢ − μₖ)ᵀ / Nₖ + εI`
///
/// until the mean log-likelihood improves by less than `tolerance`. Responsibilities start from a
/// k-means clustering (scikit-learn's default); `covarianceRegularization` ε (10⁻⁶) keeps every Σₖ
/// invertible. The best of `restarts` runs (highest likelihood) is kept.
///
/// ```swift
/// let mixture = try GaussianMixture(componentCount: 3).fit(points)
/// mixture.labels, mixture.means, mixture.logLikelihood
/// ```
public struct GaussianMixture: Sendable {
    public var componentCount: Int
    public var maximumIterations: Int
    public var tolerance: Double
    public var covarianceRegularization: Double
    public var restarts: Int
    public var seed: UInt64

    public init(componentCount: Int, maximumIterations: Int = 100, tolerance: Double = 1e-3,
                covarianceRegularization: Double = 1e-6, restarts: Int = 1, seed: UInt64 = 0) {
        self.componentCount = componentCount
        self.maximumIterations = maximumIterations
        self.tolerance = tolerance
        self.covarianceRegularization = covarianceRegularization
        self.restarts = restarts
        self.seed = seed
    }

    public struct Model: Sendable {
        public let weights: [Double]
        /// `componentCount × features`.
        public let means: Matrix
        public let covariances: [Matrix]
        /// Mean log-likelihood per sample of the training data.
        public let logLikelihood: Double
        /// The most responsible component for each training sample.
        public let labels: [Int]
        public let iterations: Int
        public let converged: Bool
        let factors: [Matrix]

        /// `log πₖ + log N(x; μₖ, Σₖ)` for each sample and component.
        public func weightedLogDensities(_ features: Matrix) throws -> Matrix {
            try checkFeatureCount(features, expected: means.columnCount, method: "Gaussian mixture")
            try checkFinite(features.values, columns: features.columnCount, method: "Gaussian mixture")
            return GaussianMixture.weightedLogDensities(features, weights: weights, means: means, factors: factors)
        }

        /// Posterior component probabilities (responsibilities).
        public func predictProbabilities(_ features: Matrix) throws -> Matrix {
            softmaxRows(try weightedLogDensities(features))
        }

        public func predict(_ features: Matrix) throws -> [Int] {
            try weightedLogDensities(features).rowArgmax()
        }
    }

    public func fit(_ features: Matrix) throws -> Model {
        let method = "Gaussian mixture"
        try validate(features, method: method, minimumRows: 2)
        if componentCount < 1 || componentCount > features.rowCount {
            throw ClassicError(.tooManyComponents, method: method,
                               "asks for \(componentCount) components but there are \(features.rowCount) samples; choose 1...\(features.rowCount)")
        }
        try require(covarianceRegularization >= 0, method: method, "covariance regularisation must be ≥ 0")
        // One covariance and its Cholesky factor per component, plus the best model kept across restarts.
        try checkMatrixMemory(method: method, "the per-component covariance matrices", rows: features.columnCount,
                              columns: features.columnCount, copies: 3 * componentCount)
        try require(restarts >= 1 && maximumIterations >= 1, method: method, "restarts and iterations must be at least 1")
        var best: Model?
        for restart in 0..<restarts {
            let start = try KMeans(clusterCount: componentCount, seed: seed &+ UInt64(restart)).fit(features)
            var responsibilities = Matrix(rowCount: features.rowCount, columnCount: componentCount)
            for (row, label) in start.labels.enumerated() { responsibilities[row, label] = 1 }
            let model = try run(features, responsibilities: responsibilities, method: method)
            if best == nil || model.logLikelihood > best!.logLikelihood { best = model }
        }
        return best!
    }

    private func run(_ features: Matrix, responsibilities start: Matrix, method: String) throws -> Model {
        var responsibilities = start
        var previous = -Double.infinity, logLikelihood = -Double.infinity
        var parameters = try maximization(features, responsibilities: responsibilities, method: method)
        var converged = false, iterations = 0
        for iteration in 1...maximumIterations {
            iterations = iteration
            let densities = GaussianMixture.weightedLogDensities(features, weights: parameters.weights, means: parameters.means,
                                                                 factors: parameters.factors)
            // E step: normalise in log space.
            var total = 0.0
            for row in 0..<features.rowCount {
                var largest = -Double.infinity
                for k in 0..<componentCount { largest = max(largest, densities[row, k]) }
                var sum = 0.0
                for k in 0..<componentCount { sum += exp(densities[row, k] - largest) }
                let logSum = largest + log(sum)
                total += logSum
                for k in 0..<componentCount { responsibilities[row, k] = exp(densities[row, k] - logSum) }
            }
            logLikelihood = total / Double(features.rowCount)
            if abs(logLikelihood - previous) < tolerance { converged = true; break }
            previous = logLikelihood
            parameters = try maximization(features, responsibilities: responsibilities, method: method)
        }
        return Model(weights: parameters.weights, means: parameters.means, covariances: parameters.covariances,
                     logLikelihood: logLikelihood, labels: responsibilities.rowArgmax(), iterations: iterations,
                     converged: converged, factors: parameters.factors)
    }

    /// The M step: weights, means, covariances (regularised) and their Cholesky factors.
    private func maximization(_ features: Matrix, responsibilities: Matrix, method: String)
        throws -> (weights: [Double], means: Matrix, covariances: [Matrix], factors: [Matrix]) {
        let n = features.rowCount, width = features.columnCount
        var totals = [Double](repeating: 0, count: componentCount)
        for row in 0..<n { for k in 0..<componentCount { totals[k] += responsibilities[row, k] } }
        totals = totals.map { $0 + 10 * Double.ulpOfOne }
        var means = multiply(responsibilities, features, transposeA: true)
        for k in 0..<componentCount { for column in 0..<width { means[k, column] /= totals[k] } }
        var covariances: [Matrix] = [], factors: [Matrix] = []
        for k in 0..<componentCount {
            // Σₖ = Σᵢ γᵢₖ (xᵢ − μₖ)(xᵢ − μₖ)ᵀ / Nₖ, via the rows scaled by √γ.
            var scaled = features.subtractingFromRows(means.row(k))
            for row in 0..<n {
                let factor = responsibilities[row, k].squareRoot()
                for column in 0..<width { scaled[row, column] *= factor }
            }
            var covariance = gram(scaled, alpha: 1 / totals[k])
            for index in 0..<width { covariance[index, index] += covarianceRegularization }
            let factor = try choleskyFactor(covariance, method: method)
            covariances.append(covariance)
            factors.append(factor)
        }
        return (totals.map { $0 / Double(n) }, means, covariances, factors)
    }

    static func weightedLogDensities(_ features: Matrix, weights: [Double], means: Matrix, factors: [Matrix]) -> Matrix {
        let n = features.rowCount, width = features.columnCount, count = weights.count
        var result = Matrix(rowCount: n, columnCount: count)
        let constant = -0.5 * Double(width) * log(2 * Double.pi)
        for k in 0..<count {
            let whitened = solveLowerTriangularForRows(factors[k], features.subtractingFromRows(means.row(k)))
            let distances = whitened.rowSquaredNorms()
            var logDeterminant = 0.0
            for index in 0..<width { logDeterminant += 2 * log(factors[k][index, index]) }
            for row in 0..<n {
                result[row, k] = log(max(weights[k], Double.leastNormalMagnitude)) + constant - 0.5 * logDeterminant - 0.5 * distances[row]
            }
        }
        return result
    }
}
