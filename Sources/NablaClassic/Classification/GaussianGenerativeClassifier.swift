#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNablaBLAS
import Nabla

/// The probabilistic generative classifier of the course: each class `k` is a Gaussian
/// `N(μₖ, Σₖ)` with prior `πₖ` (its share of the training samples), and Bayes' rule gives
///
///     p(k | x) ∝ πₖ N(x; μₖ, Σₖ).
///
/// - `.shared` covariance (one Σ for all classes, pooled within-class) makes the log-odds linear in
///   `x`: this is linear discriminant analysis, and it matches scikit-learn's
///   `LinearDiscriminantAnalysis()`: Σ is inverted on the subspace where the within-class spread of
///   the standardised features exceeds 10⁻⁸ (scikit-learn's rank tolerance), so constant or collinear
///   features (blank image borders) are ignored instead of making Σ singular. The covariance comes
///   from one `dsyrk` and one `dsyevd`, so 60,000 × 784 takes about a second.
/// - `.separate` covariance (one Σₖ per class, maximum likelihood) gives quadratic boundaries (QDA);
///   `regularization` r shrinks each Σₖ towards the identity, `(1 − r) Σₖ + r I`, which singular
///   classes need.
///
/// ```swift
/// let iris = try ClassicDataset.builtIn(.iris)
/// let model = try GaussianGenerativeClassifier(covariance: .shared).fit(iris.features, labels: iris.labels!)
/// ClassificationMetrics.accuracy(iris.labels!, try model.predict(iris.features))   // 0.98
/// ```
public struct GaussianGenerativeClassifier: ClassifierTrainer {
    public enum Covariance: String, Sendable, CaseIterable {
        /// One covariance for all classes: linear discriminant analysis.
        case shared
        /// One covariance per class: quadratic discriminant analysis.
        case separate
    }

    public var covariance: Covariance
    /// Shrinkage towards the identity for `.separate` (0...1).
    public var regularization: Double

    public init(covariance: Covariance = .shared, regularization: Double = 0) {
        self.covariance = covariance
        self.regularization = regularization
    }

    /// A fitted Gaussian generative classifier.
    public struct Model: ProbabilisticClassifier {
        public let classCount: Int
        public let covariance: Covariance
        /// `classCount × features`.
        public let means: Matrix
        public let priors: [Double]
        /// Shared covariance: the linear discriminant `δₖ(x) = x · coefficientsₖ + interceptsₖ`.
        let coefficients: Matrix?
        let intercepts: [Double]
        /// Separate covariance: per class the lower Cholesky factor of Σₖ and `log |Σₖ|`.
        let factors: [Matrix]
        let logDeterminants: [Double]

        /// The log joint `log πₖ + log N(x; μₖ, Σₖ)` up to a constant shared by all classes
        /// (`samples × classes`).
        public func logJoint(_ features: Matrix) throws -> Matrix {
            let method = covariance == .shared ? "linear discriminant analysis" : "quadratic discriminant analysis"
            try checkFeatureCount(features, expected: means.columnCount, method: method)
            try checkFinite(features.values, columns: features.columnCount, method: method)
            if let coefficients {
                var scores = multiply(features, coefficients, transposeB: true)
                for row in 0..<scores.rowCount { for k in 0..<classCount { scores[row, k] += intercepts[k] } }
                return scores
            }
            var scores = Matrix(rowCount: features.rowCount, columnCount: classCount)
            for k in 0..<classCount {
                // Mahalanobis distance via the Cholesky factor: ‖L⁻¹(x − μ)‖².
                let whitened = solveLowerTriangularForRows(factors[k], features.subtractingFromRows(means.row(k)))
                let distances = whitened.rowSquaredNorms()
                for row in 0..<features.rowCount {
                    scores[row, k] = log(priors[k]) - 0.5 * logDeterminants[k] - 0.5 * distances[row]
                }
            }
            return scores
        }

        public func predictProbabilities(_ features: Matrix) throws -> Matrix {
            softmaxRows(try logJoint(features))
        }
    }

    public func fit(_ features: Matrix, labels: [Int]) throws -> Model {
        let method = covariance == .shared ? "linear discriminant analysis" : "quadratic discriminant analysis"
        try require((0...1).contains(regularization), method: method, "regularisation must be in [0, 1], not \(regularization)")
        try validate(features, method: method, minimumRows: 2)
        let classCount = try validateLabels(labels, rowCount: features.rowCount, method: method)
        let n = features.rowCount, width = features.columnCount
        // The shared covariance, its eigenvectors and a work copy; or one Cholesky factor kept per class
        // plus the covariance being factored.
        try checkMatrixMemory(method: method, "the \(width)×\(width) covariance matrices", rows: width, columns: width,
                              copies: covariance == .shared ? 3 : classCount + 2)
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels { counts[label] += 1 }
        var sums = Matrix(rowCount: classCount, columnCount: width)
        for row in 0..<n {
            let label = labels[row]
            for column in 0..<width { sums.values[label * width + column] += features.values[row * width + column] }
        }
        var means = sums
        for k in 0..<classCount where counts[k] > 0 {
            for column in 0..<width { means[k, column] /= Double(counts[k]) }
        }
        let priors = counts.map { Double($0) / Double(n) }
        switch covariance {
        case .shared:
            return try fitShared(features, labels: labels, means: means, priors: priors, counts: counts, method: method)
        case .separate:
            var factors: [Matrix] = [], logDeterminants: [Double] = []
            for k in 0..<classCount {
                let members = (0..<n).filter { labels[$0] == k }
                if members.count < 2 {
                    throw ClassicError(.invalidParameter, method: method,
                                       "class \(k) has \(members.count) sample\(members.count == 1 ? "" : "s"); a separate covariance needs at least 2 per class (use the shared covariance)")
                }
                let centered = features.rows(members).subtractingFromRows(means.row(k))
                var sigma = gram(centered, alpha: 1 / Double(members.count))
                // Shrink towards the identity, plus a jitter far below any real variance so a
                // degenerate direction does not stop the Cholesky factorisation.
                var trace = 0.0
                for index in 0..<width { trace += sigma[index, index] }
                let jitter = 1e-9 * max(trace / Double(width), 1e-300)
                for row in 0..<width {
                    for column in 0..<width { sigma[row, column] *= 1 - regularization }
                    sigma[row, row] += regularization + jitter
                }
                let factor = try choleskyFactor(sigma, method: method)
                var logDeterminant = 0.0
                for index in 0..<width { logDeterminant += 2 * log(factor[index, index]) }
                factors.append(factor)
                logDeterminants.append(logDeterminant)
            }
            return Model(classCount: classCount, covariance: .separate, means: means, priors: priors, coefficients: nil,
                         intercepts: [], factors: factors, logDeterminants: logDeterminants)
        }
    }

    /// Pooled within-class covariance of the standardised features, inverted on its numerical range.
    private func fitShared(_ features: Matrix, labels: [Int], means: Matrix, priors: [Double], counts: [Int],
                           method: String) throws -> Model {
        let n = features.rowCount, width = features.columnCount, classCount = means.rowCount
        // Each feature's within-class spread, for standardising (one pass, no copy).
        var scales = features.values.withUnsafeBufferPointer { x in
            means.values.withUnsafeBufferPointer { mu in
                let chunks = min(Cores.count, max(1, n / 1024))
                var partial = [[Double]](repeating: [], count: chunks)
                partial.withUnsafeMutableBufferPointer { partialOut in
                    let target = UncheckedPointer(partialOut.baseAddress!)
                    parallelForEach(chunks) { chunk in
                        var sums = [Double](repeating: 0, count: width)
                        for row in chunkRange(chunk, of: chunks, count: n) {
                            let mean = mu.baseAddress! + labels[row] * width, input = x.baseAddress! + row * width
                            for column in 0..<width { let d = input[column] - mean[column]; sums[column] += d * d }
                        }
                        target.pointer[chunk] = sums
                    }
                }
                return (0..<width).map { column in partial.reduce(0) { $0 + $1[column] } }
            }
        }
        scales = scales.map { let deviation = ($0 / Double(n)).squareRoot(); return deviation > 0 ? deviation : 1 }
        // Pooled covariance of the standardised within-class deviations, block by block.
        let degreesOfFreedom = Double(max(n - classCount, 1))
        let within = features.values.withUnsafeBufferPointer { x in
            means.values.withUnsafeBufferPointer { mu in
                blockedGram(rowCount: n, columnCount: width, alpha: 1 / degreesOfFreedom) { rows, buffer in
                    let target = UncheckedPointer(buffer)
                    parallelRanges(rows.count, minimumPerChunk: 256) { range in
                        for local in range {
                            let row = rows.lowerBound + local
                            let mean = mu.baseAddress! + labels[row] * width, input = x.baseAddress! + row * width
                            let output = target.pointer + local * width
                            for column in 0..<width { output[column] = (input[column] - mean[column]) / scales[column] }
                        }
                    }
                }
            }
        }
        let (eigenvalues, eigenvectors) = try symmetricEigendecomposition(within, method: method)
        // scikit-learn keeps singular values of the scaled deviations above 1e-4, i.e. eigenvalues above 1e-8.
        let kept = eigenvalues.indices.filter { eigenvalues[$0] > 1e-8 }
        if kept.isEmpty {
            throw ClassicError(.numericalFailure, method: method, "every feature is constant within every class; there is nothing to discriminate with")
        }
        // A = D⁻¹ V_r Λ_r^(-1/2), so Σ⁺ = A Aᵀ in the original units.
        var whitening = Matrix(rowCount: width, columnCount: kept.count)
        for (position, index) in kept.enumerated() {
            let scale = 1 / eigenvalues[index].squareRoot()
            for feature in 0..<width { whitening[feature, position] = eigenvectors[feature, index] * scale / scales[feature] }
        }
        let projectedMeans = multiply(means, whitening)               // K × r
        let coefficients = multiply(projectedMeans, whitening, transposeB: true)   // K × d = M Σ⁺
        var intercepts = [Double](repeating: 0, count: classCount)
        for k in 0..<classCount {
            var quadratic = 0.0
            for column in 0..<projectedMeans.columnCount { quadratic += projectedMeans[k, column] * projectedMeans[k, column] }
            intercepts[k] = counts[k] > 0 ? -0.5 * quadratic + log(priors[k]) : -Double.infinity
        }
        return Model(classCount: classCount, covariance: .shared, means: means, priors: priors, coefficients: coefficients,
                     intercepts: intercepts, factors: [], logDeterminants: [])
    }
}
