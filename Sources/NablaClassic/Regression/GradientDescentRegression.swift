import Nabla

/// How a gradient becomes a step in NablaClassic's gradient-descent solvers.
public enum GradientStepRule: String, Sendable, CaseIterable {
    /// `θ ← θ − η g`.
    case plain
    /// `θ ← θ − η g / √(Σₜ gₜ² + ε)` (Duchi et al., 2011).
    case adagrad
}

/// Linear regression trained by gradient descent, as the course's first homework does it. Minimises
///
///     L(w, b) = (1/n) Σᵢ (xᵢ·w + b − yᵢ)² + λ ‖w‖²
///
/// with gradient `∂L/∂w = (2/n) Xᵀ(ŷ − y) + 2λw`, `∂L/∂b = (2/n) Σ(ŷ − y)`, by one of two step rules:
///
/// - plain: `θ ← θ − η g`
/// - Adagrad: `θ ← θ − η g / √(Σₜ gₜ² + ε)`, a per-parameter rate that shrinks where gradients have
///   been large, so one learning rate serves features of very different scales.
///
/// With `batchSize` set, each step uses a random mini-batch (stochastic gradient descent), reshuffled
/// every epoch. Scale features first (`StandardScaler`) or plain steps need a tiny learning rate.
///
/// ```swift
/// let trainer = GradientDescentRegression(learningRate: 1, steps: 1000, rule: .adagrad)
/// let (model, losses) = try trainer.fitWithHistory(x, targets: y)
/// ```
public struct GradientDescentRegression: RegressorTrainer {
    public typealias StepRule = GradientStepRule

    public var learningRate: Double
    /// Gradient steps (full-batch) or mini-batch steps.
    public var steps: Int
    public var rule: StepRule
    /// The L2 penalty λ on the weights (not the intercept).
    public var penalty: Double
    /// Samples per step; nil uses all of them.
    public var batchSize: Int?
    public var seed: UInt64
    /// When the loss turns non-finite: false throws (the safe default for fitting), true ends training
    /// there and returns the finite part of the history with the last model whose loss was finite, so
    /// a learning-rate lesson can draw the diverging curve instead of losing it.
    public var stopsOnDivergence: Bool

    public init(learningRate: Double = 0.1, steps: Int = 1000, rule: StepRule = .plain, penalty: Double = 0,
                batchSize: Int? = nil, seed: UInt64 = 0, stopsOnDivergence: Bool = false) {
        self.learningRate = learningRate
        self.steps = steps
        self.rule = rule
        self.penalty = penalty
        self.batchSize = batchSize
        self.seed = seed
        self.stopsOnDivergence = stopsOnDivergence
    }

    public func fit(_ features: Matrix, targets: [Double]) throws -> LinearModel {
        try fitWithHistory(features, targets: targets).model
    }

    /// The model and the full-data loss `L` after each step (fewer than `steps` losses only when
    /// `stopsOnDivergence` ended training early).
    public func fitWithHistory(_ features: Matrix, targets: [Double]) throws -> (model: LinearModel, losses: [Double]) {
        let method = "gradient-descent regression"
        try require(learningRate > 0 && learningRate.isFinite, method: method, "learning rate must be positive, not \(learningRate)")
        try require(steps >= 1, method: method, "needs at least one step, not \(steps)")
        try require(penalty >= 0, method: method, "penalty must be ≥ 0, not \(penalty)")
        try require(batchSize.map { $0 >= 1 } ?? true, method: method, "batch size must be at least 1")
        try validate(features, method: method)
        try checkTargets(targets, rowCount: features.rowCount, method: method)
        let n = features.rowCount, width = features.columnCount
        var weights = [Double](repeating: 0, count: width), intercept = 0.0
        var squaredGradientSums = [Double](repeating: 0, count: width + 1)
        let generator = RandomGenerator(seed: seed)
        var order = Array(0..<n), cursor = n
        var lastFinite = LinearModel(weights: weights, intercept: intercept)
        var losses: [Double] = []
        losses.reserveCapacity(steps)
        for _ in 0..<steps {
            let batch: [Int]
            if let batchSize, batchSize < n {
                if cursor + batchSize > n { order = generator.permutation(n); cursor = 0 }
                batch = Array(order[cursor..<cursor + batchSize])
                cursor += batchSize
            } else {
                batch = order
            }
            var gradient = [Double](repeating: 0, count: width + 1)
            for sample in batch {
                var residual = intercept - targets[sample]
                for feature in 0..<width { residual += features[sample, feature] * weights[feature] }
                for feature in 0..<width { gradient[feature] += residual * features[sample, feature] }
                gradient[width] += residual
            }
            let scale = 2 / Double(batch.count)
            for index in 0..<width { gradient[index] = gradient[index] * scale + 2 * penalty * weights[index] }
            gradient[width] *= scale
            for index in 0...width {
                var step = learningRate * gradient[index]
                if rule == .adagrad {
                    squaredGradientSums[index] += gradient[index] * gradient[index]
                    step /= (squaredGradientSums[index] + 1e-12).squareRoot()
                }
                if index < width { weights[index] -= step } else { intercept -= step }
            }
            let model = LinearModel(weights: weights, intercept: intercept)
            let predictions = try model.predict(features)
            var loss = RegressionMetrics.meanSquaredError(targets, predictions)
            loss += penalty * weights.reduce(0) { $0 + $1 * $1 }
            if !loss.isFinite {
                if stopsOnDivergence { return (lastFinite, losses) }
                throw ClassicError(.numericalFailure, method: method,
                                   "the loss diverged to \(loss) at step \(losses.count + 1); lower the learning rate (now \(learningRate)) or scale the features")
            }
            losses.append(loss)
            lastFinite = model
        }
        return (lastFinite, losses)
    }

    /// The extreme eigenvalues of the loss's Hessian `H = (2/n) [X 1]ᵀ[X 1] + 2λ diag(1, …, 1, 0)`
    /// (constant, since the loss is quadratic). A plain step converges from any start exactly when
    /// `η < 2 / largest`, and the number of steps it needs grows with `largest / smallest`, the
    /// condition number: unscaled features stretch the loss surface into a long narrow valley.
    ///
    /// ```swift
    /// let curvature = try GradientDescentRegression.lossCurvature(x)
    /// let largestStableRate = 2 / curvature.largest
    /// ```
    public static func lossCurvature(_ features: Matrix, penalty: Double = 0) throws -> (largest: Double, smallest: Double) {
        let method = "gradient-descent regression"
        try require(penalty >= 0 && penalty.isFinite, method: method, "penalty must be a finite value ≥ 0, not \(penalty)")
        try validate(features, method: method)
        let width = features.columnCount
        var hessian = gram(features.appendingColumns(Matrix(rowCount: features.rowCount, columnCount: 1, repeating: 1)),
                           alpha: 2 / Double(features.rowCount))
        for index in 0..<width { hessian[index, index] += 2 * penalty }
        let eigenvalues = try symmetricEigendecomposition(hessian, method: method).values
        return (eigenvalues.last!, max(eigenvalues.first!, 0))
    }
}
