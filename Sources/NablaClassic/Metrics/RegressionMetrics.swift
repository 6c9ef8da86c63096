/// Scores for real-valued predictions. Each takes the true values first, as scikit-learn does.
///
/// ```swift
/// RegressionMetrics.rootMeanSquaredError([1, 2, 3], [1, 2, 5])   // √(4/3) ≈ 1.155
/// RegressionMetrics.rSquared([1, 2, 3], [1, 2, 3])              // 1
/// ```
public enum RegressionMetrics {
    /// `(1/n) Σ (yᵢ − ŷᵢ)²`.
    public static func meanSquaredError(_ truth: [Double], _ predictions: [Double]) -> Double {
        precondition(truth.count == predictions.count && !truth.isEmpty, "meanSquaredError: \(truth.count) true values against \(predictions.count) predictions")
        var sum = 0.0
        for index in truth.indices { let difference = truth[index] - predictions[index]; sum += difference * difference }
        return sum / Double(truth.count)
    }

    /// `√MSE`, in the target's units.
    public static func rootMeanSquaredError(_ truth: [Double], _ predictions: [Double]) -> Double {
        meanSquaredError(truth, predictions).squareRoot()
    }

    /// `(1/n) Σ |yᵢ − ŷᵢ|`.
    public static func meanAbsoluteError(_ truth: [Double], _ predictions: [Double]) -> Double {
        precondition(truth.count == predictions.count && !truth.isEmpty, "meanAbsoluteError: \(truth.count) true values against \(predictions.count) predictions")
        var sum = 0.0
        for index in truth.indices { sum += abs(truth[index] - predictions[index]) }
        return sum / Double(truth.count)
    }

    /// The coefficient of determination `R² = 1 − Σ(yᵢ − ŷᵢ)² / Σ(yᵢ − ȳ)²`: 1 for a perfect fit, 0 for
    /// predicting the mean, negative for worse. A constant truth gives 1 if matched exactly, else 0
    /// (scikit-learn's convention).
    public static func rSquared(_ truth: [Double], _ predictions: [Double]) -> Double {
        precondition(truth.count == predictions.count && !truth.isEmpty, "rSquared: \(truth.count) true values against \(predictions.count) predictions")
        let mean = truth.reduce(0, +) / Double(truth.count)
        var residual = 0.0, total = 0.0
        for index in truth.indices {
            residual += (truth[index] - predictions[index]) * (truth[index] - predictions[index])
            total += (truth[index] - mean) * (truth[index] - mean)
        }
        if total == 0 { return residual == 0 ? 1 : 0 }
        return 1 - residual / total
    }
}
