#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Entropy regularisation (Grandvalet and Bengio, 2005): softmax regression trained on the labelled
/// samples while pushing its predictions on the unlabelled ones towards confidence, so the decision
/// boundary moves into low-density regions. It minimises
///
///     Σ_labelled −log p(yᵢ | xᵢ) + μ Σ_unlabelled H(p(· | xⱼ)) + (λ/2) ‖W‖²,   H(p) = −Σₖ pₖ log pₖ,
///
/// with `∂H/∂zₖ = −pₖ (log pₖ + H)`, by L-BFGS from the plain supervised solution. `nil` marks an
/// unlabelled sample.
///
/// ```swift
/// let model = try EntropyRegularization(entropyWeight: 0.5).fit(features, labels: partial)
/// try model.predict(features)
/// ```
public struct EntropyRegularization: Sendable {
    /// μ, the weight of the unlabelled entropy per sample relative to a labelled log-loss.
    public var entropyWeight: Double
    /// λ on the weights.
    public var regularizationStrength: Double
    public var maximumIterations: Int

    public init(entropyWeight: Double = 0.5, regularizationStrength: Double = 1, maximumIterations: Int = 200) {
        self.entropyWeight = entropyWeight
        self.regularizationStrength = regularizationStrength
        self.maximumIterations = maximumIterations
    }

    public func fit(_ features: Matrix, labels: [Int?]) throws -> LogisticRegression.Model {
        let method = "entropy regularisation"
        try require(entropyWeight >= 0, method: method, "entropy weight must be ≥ 0, not \(entropyWeight)")
        try require(regularizationStrength >= 0, method: method, "regularisation strength must be ≥ 0")
        try validate(features, method: method)
        try validatePartialLabels(labels, rowCount: features.rowCount, method: method)
        let known = labels.indices.filter { labels[$0] != nil }
        let knownLabels = known.map { labels[$0]! }
        let classCount = (knownLabels.max() ?? 0) + 1
        // Start from the supervised solution.
        let supervised = try LogisticRegression(regularizationStrength: regularizationStrength, maximumIterations: maximumIterations,
                                                alwaysSoftmax: true).fit(features.rows(known), labels: knownLabels)
        let width = features.columnCount, k = classCount, n = features.rowCount
        let start = supervised.weights.values + supervised.intercepts
        let weight = entropyWeight, penalty = regularizationStrength
        let result = LimitedMemoryBFGS(maximumIterations: maximumIterations, gradientTolerance: 1e-6).minimize(start: start) { parameters, gradient in
            let weights = Matrix(rowCount: k, columnCount: width, values: Array(parameters[0..<(k * width)]))
            var scores = multiply(features, weights, transposeB: true)
            var total = 0.0
            for row in 0..<n {
                var largest = -Double.infinity
                for column in 0..<k { scores[row, column] += parameters[k * width + column]; largest = max(largest, scores[row, column]) }
                var sum = 0.0
                for column in 0..<k { sum += exp(scores[row, column] - largest) }
                let logSum = largest + log(sum)
                if let label = labels[row] {
                    total += logSum - scores[row, label]
                    for column in 0..<k { scores[row, column] = exp(scores[row, column] - logSum) }
                    scores[row, label] -= 1
                } else {
                    var entropy = 0.0
                    var logProbabilities = [Double](repeating: 0, count: k)
                    for column in 0..<k {
                        logProbabilities[column] = scores[row, column] - logSum
                        entropy -= exp(logProbabilities[column]) * logProbabilities[column]
                    }
                    total += weight * entropy
                    for column in 0..<k {
                        let p = exp(logProbabilities[column])
                        scores[row, column] = -weight * p * (logProbabilities[column] + entropy)
                    }
                }
            }
            let weightGradient = multiply(scores, features, transposeA: true)
            for index in 0..<(k * width) {
                gradient[index] = weightGradient.values[index] + penalty * parameters[index]
                total += 0.5 * penalty * parameters[index] * parameters[index]
            }
            for column in 0..<k {
                var sum = 0.0
                for row in 0..<n { sum += scores[row, column] }
                gradient[k * width + column] = sum
            }
            return total
        }
        let weights = Matrix(rowCount: k, columnCount: width, values: Array(result.solution[0..<(k * width)]))
        return LogisticRegression.Model(classCount: k, weights: weights, intercepts: Array(result.solution[(k * width)...]),
                                        iterations: result.iterations, converged: result.converged, objective: result.value)
    }
}
