/// Standardisation: each feature shifted to mean 0 and scaled to standard deviation 1,
/// `z = (x − μ) / σ` with the population σ (scikit-learn's `StandardScaler`). Constant features keep
/// σ = 1 so they map to 0 instead of NaN. Fit on training data only, then transform both sets.
///
/// ```swift
/// let scaler = try StandardScaler.fit(training)
/// let scaledTraining = try scaler.transform(training), scaledTest = try scaler.transform(test)
/// ```
public struct StandardScaler: FeatureTransform {
    public let means: [Double]
    public let standardDeviations: [Double]

    public static func fit(_ features: Matrix) throws -> StandardScaler {
        try validate(features, method: "standard scaler")
        let means = features.columnMeans()
        var variances = [Double](repeating: 0, count: features.columnCount)
        for row in 0..<features.rowCount {
            for column in 0..<features.columnCount {
                let difference = features[row, column] - means[column]
                variances[column] += difference * difference
            }
        }
        let deviations = variances.map { variance -> Double in
            let deviation = (variance / Double(features.rowCount)).squareRoot()
            return deviation > 1e-12 * 1 ? deviation : 1
        }
        return StandardScaler(means: means, standardDeviations: deviations)
    }

    public func transform(_ features: Matrix) throws -> Matrix {
        try checkFeatureCount(features, expected: means.count, method: "standard scaler")
        var result = features
        for row in 0..<features.rowCount {
            for column in 0..<features.columnCount {
                result[row, column] = (features[row, column] - means[column]) / standardDeviations[column]
            }
        }
        return result
    }

    /// Undoes `transform`.
    public func inverseTransform(_ features: Matrix) -> Matrix {
        var result = features
        for row in 0..<features.rowCount {
            for column in 0..<features.columnCount {
                result[row, column] = features[row, column] * standardDeviations[column] + means[column]
            }
        }
        return result
    }
}

/// Min-max scaling: each feature mapped linearly so its training range becomes [0, 1],
/// `x' = (x − min) / (max − min)` (scikit-learn's `MinMaxScaler`). Constant features map to 0.
///
/// ```swift
/// let scaler = try MinMaxScaler.fit(Matrix(rows: [[1], [3], [5]]))
/// try scaler.transform(Matrix(rows: [[2]]))   // [[0.25]]
/// ```
public struct MinMaxScaler: FeatureTransform {
    public let minimums: [Double]
    public let ranges: [Double]

    public static func fit(_ features: Matrix) throws -> MinMaxScaler {
        try validate(features, method: "min-max scaler")
        var minimums = features.row(0), maximums = features.row(0)
        for row in 0..<features.rowCount {
            for column in 0..<features.columnCount {
                minimums[column] = min(minimums[column], features[row, column])
                maximums[column] = max(maximums[column], features[row, column])
            }
        }
        let ranges = zip(minimums, maximums).map { $1 - $0 > 0 ? $1 - $0 : 1 }
        return MinMaxScaler(minimums: minimums, ranges: ranges)
    }

    public func transform(_ features: Matrix) throws -> Matrix {
        try checkFeatureCount(features, expected: minimums.count, method: "min-max scaler")
        var result = features
        for row in 0..<features.rowCount {
            for column in 0..<features.columnCount {
                result[row, column] = (features[row, column] - minimums[column]) / ranges[column]
            }
        }
        return result
    }
}
