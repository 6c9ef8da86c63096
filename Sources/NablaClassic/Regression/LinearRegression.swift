/// A fitted linear model `ŷ = x · weights + intercept`.
public struct LinearModel: Regressor, Equatable {
    public let weights: [Double]
    public let intercept: Double

    public init(weights: [Double], intercept: Double) {
        self.weights = weights
        self.intercept = intercept
    }

    public func predict(_ features: Matrix) throws -> [Double] {
        try checkFeatureCount(features, expected: weights.count, method: "linear model")
        try checkFinite(features.values, columns: features.columnCount, method: "linear model")
        return multiply(features, vector: weights).map { $0 + intercept }
    }
}

/// Ordinary least squares: the weights minimising `‖y − X w − b‖²`, found by a QR factorisation with
/// column pivoting (LAPACK `dgelsy`) of `[X 1]`. That is more accurate than solving the normal
/// equations `XᵀX w = Xᵀy`, whose condition number is the square of X's, and it returns the
/// minimum-norm solution when features are collinear.
///
/// ```swift
/// let model = try LinearRegression().fit(x, targets: y)
/// model.weights, model.intercept
/// RegressionMetrics.rootMeanSquaredError(y, try model.predict(x))
/// ```
public struct LinearRegression: RegressorTrainer {
    public var fitsIntercept: Bool

    public init(fitsIntercept: Bool = true) {
        self.fitsIntercept = fitsIntercept
    }

    public func fit(_ features: Matrix, targets: [Double]) throws -> LinearModel {
        let method = "linear regression"
        try validate(features, method: method)
        try checkTargets(targets, rowCount: features.rowCount, method: method)
        // Centering first makes the intercept exact and leaves the weights to the QR solve.
        if fitsIntercept {
            let means = features.columnMeans()
            let targetMean = targets.reduce(0, +) / Double(targets.count)
            let solution = try leastSquaresSolution(features.subtractingFromRows(means),
                                                    Matrix(column: targets.map { $0 - targetMean }), method: method).solution
            let weights = solution.values
            let intercept = targetMean - zip(means, weights).reduce(0) { $0 + $1.0 * $1.1 }
            return LinearModel(weights: weights, intercept: intercept)
        }
        let solution = try leastSquaresSolution(features, Matrix(column: targets), method: method).solution
        return LinearModel(weights: solution.values, intercept: 0)
    }
}

/// Ridge regression (L2-regularised least squares): minimises `‖y − X w − b‖² + λ‖w‖²`; the intercept
/// is not penalised (scikit-learn's `Ridge(alpha=λ)`). Closed form on centred data:
///
///     w = (XcᵀXc + λ I)⁻¹ Xcᵀ yc,   b = ȳ − x̄ · w
///
/// solved by Cholesky. Larger λ shrinks the weights: more bias, less variance.
///
/// ```swift
/// let model = try RidgeRegression(penalty: 1.0).fit(x, targets: y)
/// ```
public struct RidgeRegression: RegressorTrainer {
    public var penalty: Double

    public init(penalty: Double = 1) {
        self.penalty = penalty
    }

    public func fit(_ features: Matrix, targets: [Double]) throws -> LinearModel {
        let method = "ridge regression"
        try require(penalty >= 0 && penalty.isFinite, method: method, "penalty must be a finite value ≥ 0, not \(penalty)")
        try validate(features, method: method)
        try checkTargets(targets, rowCount: features.rowCount, method: method)
        let means = features.columnMeans()
        let targetMean = targets.reduce(0, +) / Double(targets.count)
        let centered = features.subtractingFromRows(means)
        var system = gram(centered)
        for index in 0..<system.rowCount { system[index, index] += penalty }
        let right = multiply(centered, Matrix(column: targets.map { $0 - targetMean }), transposeA: true)
        let weights: [Double]
        if penalty > 0 {
            weights = try solvePositiveDefinite(system, right, method: method).values
        } else {
            weights = try leastSquaresSolution(centered, Matrix(column: targets.map { $0 - targetMean }), method: method).solution.values
        }
        let intercept = targetMean - zip(means, weights).reduce(0) { $0 + $1.0 * $1.1 }
        return LinearModel(weights: weights, intercept: intercept)
    }
}

/// Throws unless there is one finite target per sample.
func checkTargets(_ targets: [Double], rowCount: Int, method: String) throws {
    if targets.count != rowCount {
        throw ClassicError(.shapeMismatch, method: method, "\(targets.count) targets for \(rowCount) samples; give one target per sample")
    }
    try checkFinite(targets, columns: 1, method: method, name: "the targets")
}
