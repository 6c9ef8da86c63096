extension RidgeRegression {
    /// Ridge regression with a weight per sample (scikit-learn's `Ridge(alpha=λ).fit(X, y, sample_weight=w)`):
    /// minimises Σ_i w_i (y_i − x_i·w − b)² + λ‖w‖². The data are centred on the weighted means and each row
    /// scaled by √w_i, which turns it into the unweighted closed form:
    ///
    ///     w = (XcᵀWXc + λ I)⁻¹ XcᵀW yc,   b = ȳ_w − x̄_w · w
    ///
    /// LIME and Kernel SHAP fit their local surrogate models this way.
    public func fit(_ features: Matrix, targets: [Double], sampleWeights: [Double]) throws -> LinearModel {
        let method = "weighted ridge regression"
        try require(penalty >= 0 && penalty.isFinite, method: method, "penalty must be a finite value ≥ 0, not \(penalty)")
        try validate(features, method: method)
        try checkTargets(targets, rowCount: features.rowCount, method: method)
        try require(sampleWeights.count == features.rowCount, method: method,
                    "\(sampleWeights.count) sample weights for \(features.rowCount) samples; give one weight per sample")
        try require(sampleWeights.allSatisfy { $0 >= 0 && $0.isFinite } && sampleWeights.contains { $0 > 0 }, method: method,
                    "sample weights must be finite, ≥ 0 and not all 0")
        let total = sampleWeights.reduce(0, +)
        let (rows, columns) = (features.rowCount, features.columnCount)
        var means = [Double](repeating: 0, count: columns)
        for row in 0..<rows { for column in 0..<columns { means[column] += sampleWeights[row] * features.values[row * columns + column] } }
        means = means.map { $0 / total }
        let targetMean = zip(sampleWeights, targets).reduce(0) { $0 + $1.0 * $1.1 } / total
        var scaled = [Double](repeating: 0, count: rows * columns)
        var scaledTargets = [Double](repeating: 0, count: rows)
        for row in 0..<rows {
            let root = sampleWeights[row].squareRoot()
            for column in 0..<columns { scaled[row * columns + column] = root * (features.values[row * columns + column] - means[column]) }
            scaledTargets[row] = root * (targets[row] - targetMean)
        }
        let centered = Matrix(rowCount: rows, columnCount: columns, values: scaled)
        var system = gram(centered)
        // A tiny ridge keeps λ = 0 solvable by Cholesky when a column is constant (a segment never switched off).
        for index in 0..<columns { system[index, index] += max(penalty, 1e-10) }
        let weights = try solvePositiveDefinite(system, multiply(centered, Matrix(column: scaledTargets), transposeA: true), method: method).values
        return LinearModel(weights: weights, intercept: targetMean - zip(means, weights).reduce(0) { $0 + $1.0 * $1.1 })
    }
}
