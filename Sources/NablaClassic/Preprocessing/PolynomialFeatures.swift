/// Polynomial features: every product of input features of total degree 1 through `degree`, in
/// scikit-learn's order (`PolynomialFeatures(include_bias=False)`): for features `a, b` and degree 2,
/// `[a, b, a², ab, b²]`. With `interactionsOnly`, no feature is repeated in a product (`[a, b, ab]`).
///
/// A linear model on these features fits a polynomial: the course's way of growing model capacity
/// (and of showing over-fitting as the degree rises).
///
/// ```swift
/// let expanded = try PolynomialFeatures(degree: 2).transform(Matrix(rows: [[2, 3]]))
/// // [[2, 3, 4, 6, 9]]
/// ```
public struct PolynomialFeatures: FeatureTransform {
    public var degree: Int
    public var interactionsOnly: Bool

    public init(degree: Int = 2, interactionsOnly: Bool = false) {
        self.degree = degree
        self.interactionsOnly = interactionsOnly
    }

    /// The feature indices multiplied in each output column, e.g. `[0, 1]` for `ab`.
    public func terms(featureCount: Int) -> [[Int]] {
        var result: [[Int]] = []
        func extend(_ term: [Int], start: Int, remaining: Int) {
            if remaining == 0 { result.append(term); return }
            for feature in start..<featureCount {
                extend(term + [feature], start: interactionsOnly ? feature + 1 : feature, remaining: remaining - 1)
            }
        }
        for power in 1...max(degree, 1) { extend([], start: 0, remaining: power) }
        return result
    }

    /// Names of the output columns built from input names, e.g. `["a", "b", "a^2", "a b", "b^2"]`.
    public func names(for inputNames: [String]) -> [String] {
        terms(featureCount: inputNames.count).map { term in
            var parts: [String] = []
            var index = 0
            while index < term.count {
                var power = 1
                while index + power < term.count && term[index + power] == term[index] { power += 1 }
                parts.append(power == 1 ? inputNames[term[index]] : "\(inputNames[term[index]])^\(power)")
                index += power
            }
            return parts.joined(separator: " ")
        }
    }

    public func transform(_ features: Matrix) throws -> Matrix {
        let method = "polynomial features"
        try require(degree >= 1, method: method, "degree must be at least 1, not \(degree)")
        try validate(features, method: method)
        let terms = terms(featureCount: features.columnCount)
        if terms.count > 1_000_000 {
            throw ClassicError(.invalidParameter, method: method, "degree \(degree) on \(features.columnCount) features makes \(terms.count) columns; lower the degree")
        }
        return Matrix(rowCount: features.rowCount, columnCount: terms.count) { output in
            for row in 0..<features.rowCount {
                for (column, term) in terms.enumerated() {
                    var product = 1.0
                    for feature in term { product *= features[row, feature] }
                    output[row * terms.count + column] = product
                }
            }
        }
    }
}
