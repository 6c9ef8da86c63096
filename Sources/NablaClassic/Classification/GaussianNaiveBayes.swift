#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Gaussian naive Bayes: the generative classifier with the features assumed independent within
/// each class, so each class is a product of one-dimensional Gaussians (a diagonal covariance):
///
///     log p(k | x) = log πₖ − ½ Σⱼ [ log(2π σ²ₖⱼ) + (xⱼ − μₖⱼ)² / σ²ₖⱼ ] + const.
///
/// Variances get `varianceSmoothing` × the largest feature variance added (scikit-learn's
/// `var_smoothing`, default 10⁻⁹), so a feature constant within a class does not divide by zero.
///
/// ```swift
/// let model = try GaussianNaiveBayes().fit(features, labels: labels)
/// let probabilities = try model.predictProbabilities(features)
/// ```
public struct GaussianNaiveBayes: ClassifierTrainer {
    public var varianceSmoothing: Double

    public init(varianceSmoothing: Double = 1e-9) {
        self.varianceSmoothing = varianceSmoothing
    }

    public struct Model: ProbabilisticClassifier {
        public let classCount: Int
        /// `classCount × features`.
        public let means: Matrix
        public let variances: Matrix
        public let priors: [Double]

        public func logJoint(_ features: Matrix) throws -> Matrix {
            try checkFeatureCount(features, expected: means.columnCount, method: "Gaussian naive Bayes")
            try checkFinite(features.values, columns: features.columnCount, method: "Gaussian naive Bayes")
            let width = means.columnCount
            var constants = [Double](repeating: 0, count: classCount)
            for k in 0..<classCount {
                var sum = log(max(priors[k], Double.leastNormalMagnitude))
                for column in 0..<width { sum -= 0.5 * log(2 * Double.pi * variances[k, column]) }
                constants[k] = sum
            }
            var scores = Matrix(rowCount: features.rowCount, columnCount: classCount)
            for row in 0..<features.rowCount {
                for k in 0..<classCount {
                    var sum = constants[k]
                    for column in 0..<width {
                        let difference = features[row, column] - means[k, column]
                        sum -= 0.5 * difference * difference / variances[k, column]
                    }
                    scores[row, k] = priors[k] > 0 ? sum : -Double.infinity
                }
            }
            return scores
        }

        public func predictProbabilities(_ features: Matrix) throws -> Matrix {
            softmaxRows(try logJoint(features))
        }
    }

    public func fit(_ features: Matrix, labels: [Int]) throws -> Model {
        let method = "Gaussian naive Bayes"
        try require(varianceSmoothing >= 0, method: method, "variance smoothing must be ≥ 0, not \(varianceSmoothing)")
        try validate(features, method: method)
        let classCount = try validateLabels(labels, rowCount: features.rowCount, method: method)
        let width = features.columnCount
        var counts = [Double](repeating: 0, count: classCount)
        var means = Matrix(rowCount: classCount, columnCount: width)
        var variances = Matrix(rowCount: classCount, columnCount: width)
        for row in 0..<features.rowCount {
            counts[labels[row]] += 1
            for column in 0..<width { means[labels[row], column] += features[row, column] }
        }
        for k in 0..<classCount where counts[k] > 0 { for column in 0..<width { means[k, column] /= counts[k] } }
        for row in 0..<features.rowCount {
            for column in 0..<width {
                let difference = features[row, column] - means[labels[row], column]
                variances[labels[row], column] += difference * difference
            }
        }
        // The smoothing is relative to the largest variance of any feature over all the data.
        let overallMeans = features.columnMeans()
        var largestVariance = 0.0
        for column in 0..<width {
            var sum = 0.0
            for row in 0..<features.rowCount { let d = features[row, column] - overallMeans[column]; sum += d * d }
            largestVariance = max(largestVariance, sum / Double(features.rowCount))
        }
        let epsilon = max(varianceSmoothing * largestVariance, Double.leastNormalMagnitude)
        for k in 0..<classCount {
            for column in 0..<width { variances[k, column] = (counts[k] > 0 ? variances[k, column] / counts[k] : 1) + epsilon }
        }
        return Model(classCount: classCount, means: means, variances: variances,
                     priors: counts.map { $0 / Double(features.rowCount) })
    }
}
