#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNablaBLAS
import Nabla

/// Logistic regression: a discriminative linear classifier trained by maximum likelihood with an L2
/// penalty. For two classes it is binary (one weight vector, `p(y=1|x) = σ(w·x + b)`); for more it is
/// softmax (multinomial) regression, `p(y=k|x) = exp(zₖ) / Σⱼ exp(zⱼ)` with `zₖ = wₖ·x + bₖ`. It minimises
///
///     Σᵢ −log p(yᵢ | xᵢ) + (λ/2) ‖W‖²
///
/// (intercepts unpenalised), which is scikit-learn's objective with `C = 1/λ`. Solvers:
///
/// - `.limitedMemoryBFGS`: quasi-Newton (`LimitedMemoryBFGS`), scikit-learn's default `lbfgs`, stopping
///   at `maximumIterations` or when the largest gradient component of the mean objective is below
///   `tolerance` (as scikit-learn scales it).
/// - `.gradientDescent`: full-batch steps of `learningRate` on the mean objective, plain or Adagrad.
///
/// Both evaluate the loss with two matrix products per step (`Z = X Wᵀ`, `∇W = (P − Y)ᵀ X`).
///
/// ```swift
/// let model = try LogisticRegression(regularizationStrength: 1).fit(training, labels: trainingLabels)
/// let accuracy = ClassificationMetrics.accuracy(testLabels, try model.predict(test))
/// ```
public struct LogisticRegression: ClassifierTrainer {
    public enum Solver: String, Sendable, CaseIterable {
        case limitedMemoryBFGS = "lbfgs"
        case gradientDescent = "gradient-descent"
    }

    /// λ in the objective; scikit-learn's `C` is `1/λ`. Zero fits without penalty.
    public var regularizationStrength: Double
    public var solver: Solver
    public var maximumIterations: Int
    /// Stop when the largest gradient component of the mean objective falls below this.
    public var tolerance: Double
    /// Step size for `.gradientDescent` (on the mean objective).
    public var learningRate: Double
    /// Step rule for `.gradientDescent`.
    public var stepRule: GradientStepRule
    /// Use softmax even for two classes (two weight vectors instead of one).
    public var alwaysSoftmax: Bool

    public init(regularizationStrength: Double = 1, solver: Solver = .limitedMemoryBFGS, maximumIterations: Int = 100,
                tolerance: Double = 1e-4, learningRate: Double = 0.5, stepRule: GradientStepRule = .plain,
                alwaysSoftmax: Bool = false) {
        self.regularizationStrength = regularizationStrength
        self.solver = solver
        self.maximumIterations = maximumIterations
        self.tolerance = tolerance
        self.learningRate = learningRate
        self.stepRule = stepRule
        self.alwaysSoftmax = alwaysSoftmax
    }

    /// A fitted logistic regression.
    public struct Model: ProbabilisticClassifier {
        public let classCount: Int
        /// One row of weights per class (softmax), or a single row for class 1 (binary).
        public let weights: Matrix
        public let intercepts: [Double]
        /// Iterations the solver ran, objective evaluations it used, and whether it met its tolerance.
        public let iterations: Int
        public var evaluations: Int = 0
        public let converged: Bool
        /// The objective `Σ −log p + (λ/2)‖W‖²` at the solution.
        public let objective: Double

        public var isBinary: Bool { weights.rowCount == 1 }

        /// The linear scores `z` (`samples × rows of weights`).
        public func decisionFunction(_ features: Matrix) throws -> Matrix {
            try checkFeatureCount(features, expected: weights.columnCount, method: "logistic regression")
            try checkFinite(features.values, columns: features.columnCount, method: "logistic regression")
            var scores = multiply(features, weights, transposeB: true)
            for row in 0..<scores.rowCount { for column in 0..<scores.columnCount { scores[row, column] += intercepts[column] } }
            return scores
        }

        public func predictProbabilities(_ features: Matrix) throws -> Matrix {
            let scores = try decisionFunction(features)
            if isBinary {
                return Matrix(rowCount: scores.rowCount, columnCount: 2) { output in
                    for row in 0..<scores.rowCount {
                        let positive = sigmoid(scores.values[row])
                        output[2 * row] = 1 - positive
                        output[2 * row + 1] = positive
                    }
                }
            }
            return softmaxRows(scores)
        }
    }

    public func fit(_ features: Matrix, labels: [Int]) throws -> Model {
        let method = "logistic regression"
        try require(regularizationStrength >= 0 && regularizationStrength.isFinite, method: method,
                    "regularisation strength must be a finite value ≥ 0, not \(regularizationStrength)")
        try require(maximumIterations >= 1, method: method, "needs at least one iteration, not \(maximumIterations)")
        try require(learningRate > 0, method: method, "learning rate must be positive, not \(learningRate)")
        try validate(features, method: method)
        let classCount = try validateLabels(labels, rowCount: features.rowCount, method: method)
        let objective = LogisticObjective(features: features, labels: labels, classCount: classCount,
                                          binary: classCount == 2 && !alwaysSoftmax, penalty: regularizationStrength)
        let start = [Double](repeating: 0, count: objective.parameterCount)
        var parameters: [Double], iterations: Int, converged: Bool, evaluations: Int, meanObjective: Double
        switch solver {
        case .limitedMemoryBFGS:
            let result = LimitedMemoryBFGS(maximumIterations: maximumIterations, gradientTolerance: tolerance)
                .minimize(start: start, objective: objective.evaluate)
            (parameters, iterations, converged, evaluations) = (result.solution, result.iterations, result.converged, result.evaluations)
            meanObjective = result.value
        case .gradientDescent:
            (parameters, iterations, converged) = gradientDescent(start: start, objective: objective.evaluate)
            var gradient = [Double](repeating: 0, count: parameters.count)
            meanObjective = objective.evaluate(parameters, &gradient)
            evaluations = iterations + 1
        }
        if !meanObjective.isFinite {
            throw ClassicError(.numericalFailure, method: method, "the objective diverged; lower the learning rate or scale the features")
        }
        let (weights, intercepts) = objective.split(parameters)
        return Model(classCount: classCount, weights: weights, intercepts: intercepts, iterations: iterations,
                     evaluations: evaluations, converged: converged, objective: meanObjective * Double(features.rowCount))
    }

    /// Full-batch gradient descent on the mean objective.
    func gradientDescent(start: [Double], objective: ([Double], inout [Double]) -> Double) -> ([Double], Int, Bool) {
        var parameters = start
        var gradient = [Double](repeating: 0, count: start.count)
        var squaredSums = [Double](repeating: 0, count: start.count)
        for iteration in 0..<maximumIterations {
            _ = objective(parameters, &gradient)
            if maxAbsolute(gradient) <= tolerance { return (parameters, iteration, true) }
            for index in parameters.indices {
                var step = learningRate * gradient[index]
                if stepRule == .adagrad {
                    squaredSums[index] += gradient[index] * gradient[index]
                    step /= (squaredSums[index] + 1e-12).squareRoot()
                }
                parameters[index] -= step
            }
        }
        return (parameters, maximumIterations, false)
    }
}

/// The mean penalised negative log-likelihood of logistic regression and its gradient, scaled by
/// `1/n` as scikit-learn scales it (the minimiser is the same; tolerances then mean the same).
///
/// Parameters are laid out as the weight matrix (`rows × features`, row-major) followed by one
/// intercept per row. Large data (over a million entries) runs its two products on a float32 copy
/// with `SinglePrecisionRows`, one pass over the data per evaluation, as scikit-learn does for
/// float32 input; the loss, the softmax and all sums over samples stay in float64.
final class LogisticObjective: @unchecked Sendable {
    let features: Matrix
    let labels: [Int]
    let rows: Int
    let binary: Bool
    let penalty: Double
    var parameterCount: Int { rows * (features.columnCount + 1) }
    private var scores: [Double]
    private let single: SinglePrecisionRows?
    /// Per-sample weights on the loss (1 by default); used by self-training.
    var sampleWeights: [Double]?

    init(features: Matrix, labels: [Int], classCount: Int, binary: Bool, penalty: Double) {
        self.features = features
        self.labels = labels
        self.rows = binary ? 1 : classCount
        self.binary = binary
        self.penalty = penalty
        let large = features.rowCount * features.columnCount >= 1 << 20
        self.single = large ? SinglePrecisionRows(features) : nil
        self.scores = large ? [] : [Double](repeating: 0, count: features.rowCount * (binary ? 1 : classCount))
    }

    func split(_ parameters: [Double]) -> (Matrix, [Double]) {
        let width = features.columnCount
        return (Matrix(rowCount: rows, columnCount: width, values: Array(parameters[0..<rows * width])),
                Array(parameters[(rows * width)...]))
    }

    func evaluate(_ parameters: [Double], _ gradient: inout [Double]) -> Double {
        let n = features.rowCount, width = features.columnCount, k = rows
        let loss = single == nil ? evaluateDouble(parameters, &gradient) : evaluateSingle(parameters, &gradient)
        // Scale by 1/n and add the penalty (λ/2)‖W‖² / n.
        let scale = 1 / Double(n)
        var penaltyTerm = 0.0
        for index in 0..<(k * width) {
            penaltyTerm += parameters[index] * parameters[index]
            gradient[index] = gradient[index] * scale + penalty * scale * parameters[index]
        }
        for index in (k * width)..<parameters.count { gradient[index] *= scale }
        return (loss + 0.5 * penalty * penaltyTerm) * scale
    }

    /// The loss for one sample from its scores `z` (with intercepts added); `z` is overwritten with
    /// the weighted gradient `w (p − y)` with respect to the scores.
    @inline(__always)
    private func sampleLoss(_ z: UnsafeMutablePointer<Double>, label: Int, weight: Double) -> Double {
        if binary {
            let value = z[0], target = Double(label)
            let signed = label == 1 ? value : -value
            z[0] = weight * (sigmoid(value) - target)
            // −log σ(s·z) with s = ±1, computed stably.
            return weight * (signed > 0 ? log1p(exp(-signed)) : -signed + log1p(exp(signed)))
        }
        let k = rows
        var largest = -Double.infinity
        for column in 0..<k { largest = max(largest, z[column]) }
        let shiftedLabelScore = z[label] - largest
        var total = 0.0
        for column in 0..<k { let e = exp(z[column] - largest); z[column] = e; total += e }
        let inverse = weight / total
        for column in 0..<k { z[column] *= inverse }
        z[label] -= weight
        return weight * (log(total) - shiftedLabelScore)
    }

    /// Unscaled loss and gradient with BLAS products in float64.
    private func evaluateDouble(_ parameters: [Double], _ gradient: inout [Double]) -> Double {
        let n = features.rowCount, width = features.columnCount, k = rows
        let labels = self.labels, sampleWeights = self.sampleWeights
        let intercepts = Array(parameters[(k * width)...])
        features.values.withUnsafeBufferPointer { x in
            parameters.withUnsafeBufferPointer { w in
                scores.withUnsafeMutableBufferPointer { z in
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(k), Int32(width), 1,
                                x.baseAddress, Int32(width), w.baseAddress, Int32(width), 0, z.baseAddress, Int32(k))
                }
            }
        }
        let loss = scores.withUnsafeMutableBufferPointer { z -> Double in
            let target = UncheckedPointer(z.baseAddress!)
            return parallelSum(n, minimumPerChunk: 2048) { range in
                var sum = 0.0
                for row in range {
                    let scores = target.pointer + row * k
                    for column in 0..<k { scores[column] += intercepts[column] }
                    sum += self.sampleLoss(scores, label: labels[row], weight: sampleWeights?[row] ?? 1)
                }
                return sum
            }
        }
        features.values.withUnsafeBufferPointer { x in
            scores.withUnsafeBufferPointer { z in
                gradient.withUnsafeMutableBufferPointer { g in
                    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(width), Int32(n), 1,
                                z.baseAddress, Int32(k), x.baseAddress, Int32(width), 0, g.baseAddress, Int32(width))
                    for column in 0..<k {
                        var sum = 0.0
                        for row in 0..<n { sum += z[row * k + column] }
                        g[k * width + column] = sum
                    }
                }
            }
        }
        return loss
    }

    /// Unscaled loss and gradient streaming the float32 copy once: per block of rows, scores, then
    /// per-sample gradients, then their product with the same rows while still in cache.
    private func evaluateSingle(_ parameters: [Double], _ gradient: inout [Double]) -> Double {
        let data = single!
        let n = features.rowCount, width = features.columnCount, k = rows, padded = paddedToFour(k)
        let labels = self.labels, sampleWeights = self.sampleWeights
        var weights = [Float](repeating: 0, count: padded * width)
        for index in 0..<(k * width) { weights[index] = Float(parameters[index]) }
        let intercepts = Array(parameters[(k * width)...])
        let chunks = max(1, min(Cores.count, n))
        var partialGradients = [[Double]](repeating: [], count: chunks)
        var partialLosses = [Double](repeating: 0, count: chunks)
        weights.withUnsafeBufferPointer { weights in
            partialGradients.withUnsafeMutableBufferPointer { gradientsOut in
                partialLosses.withUnsafeMutableBufferPointer { lossesOut in
                    let gradientsTarget = UncheckedPointer(gradientsOut.baseAddress!), lossesTarget = UncheckedPointer(lossesOut.baseAddress!)
                    parallelForEach(chunks) { chunk in
                        let block = 64
                        var total = [Double](repeating: 0, count: k * width + k)
                        let blockSums = UnsafeMutablePointer<Float>.allocate(capacity: padded * width)
                        let blockScores = UnsafeMutablePointer<Float>.allocate(capacity: block * padded)
                        let sampleScores = UnsafeMutablePointer<Double>.allocate(capacity: k)
                        defer { blockSums.deallocate(); blockScores.deallocate(); sampleScores.deallocate() }
                        var loss = 0.0
                        let chunkRows = chunkRange(chunk, of: chunks, count: n)
                        for start in stride(from: chunkRows.lowerBound, to: chunkRows.upperBound, by: block) {
                            let rows = start..<min(start + block, chunkRows.upperBound)
                            data.products(rows: rows, weights: weights.baseAddress!, paddedCount: padded, into: blockScores)
                            for row in rows {
                                let scores = blockScores + (row - start) * padded
                                for column in 0..<k { sampleScores[column] = Double(scores[column]) + intercepts[column] }
                                loss += self.sampleLoss(sampleScores, label: labels[row], weight: sampleWeights?[row] ?? 1)
                                for column in 0..<k {
                                    scores[column] = Float(sampleScores[column])
                                    total[k * width + column] += sampleScores[column]
                                }
                                for column in k..<padded { scores[column] = 0 }
                            }
                            blockSums.initialize(repeating: 0, count: padded * width)
                            data.accumulateTransposedProducts(rows: rows, coefficients: blockScores, paddedCount: padded, into: blockSums)
                            for index in 0..<(k * width) { total[index] += Double(blockSums[index]) }
                        }
                        gradientsTarget.pointer[chunk] = total
                        lossesTarget.pointer[chunk] = loss
                    }
                }
            }
        }
        for index in gradient.indices {
            var sum = 0.0
            for chunk in 0..<chunks where !partialGradients[chunk].isEmpty { sum += partialGradients[chunk][index] }
            gradient[index] = sum
        }
        return partialLosses.reduce(0, +)
    }
}

@inline(__always) func sigmoid(_ value: Double) -> Double {
    value >= 0 ? 1 / (1 + exp(-value)) : exp(value) / (1 + exp(value))
}

/// Each row of `scores` turned into probabilities by a numerically stable softmax.
func softmaxRows(_ scores: Matrix) -> Matrix {
    var result = scores
    let width = scores.columnCount
    for row in 0..<scores.rowCount {
        var largest = -Double.infinity
        for column in 0..<width { largest = max(largest, scores[row, column]) }
        var total = 0.0
        for column in 0..<width { let e = exp(scores[row, column] - largest); result[row, column] = e; total += e }
        for column in 0..<width { result[row, column] /= total }
    }
    return result
}
