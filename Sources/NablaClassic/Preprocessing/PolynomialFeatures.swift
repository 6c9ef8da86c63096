import NablaData

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

    /// The number of output columns for `featureCount` inputs, without listing them: the sum over degrees
    /// p of C(d + p − 1, p) (products with repetition) or C(d, p) (interactions only). Saturates at `Int.max`.
    public func termCount(featureCount: Int) -> Int {
        var total = 0
        for power in 1...max(degree, 1) {
            // C(n, p) built up as C(n, i) = C(n, i − 1) · (n − i + 1) / i, exact at each step.
            let top = interactionsOnly ? featureCount : featureCount + power - 1
            if power > top { break }
            var binomial = 1
            for index in 1...power {
                let product = binomial.multipliedReportingOverflow(by: top - index + 1)
                if product.overflow { return .max }
                binomial = product.partialValue / index
            }
            let sum = total.addingReportingOverflow(binomial)
            if sum.overflow { return .max }
            total = sum.partialValue
            if total > 1 << 40 { return total }   // far past any limit; stop before degree 10⁹ loops a while
        }
        return total
    }

    public func transform(_ features: Matrix) throws -> Matrix {
        let method = "polynomial features"
        try require(degree >= 1, method: method, "degree must be at least 1, not \(degree)")
        try validate(features, method: method)
        // Count the columns before listing them: degree 1000 on 10 features means about 10²³ terms, and listing
        // them is what once grew to 24 GB.
        let columnCount = termCount(featureCount: features.columnCount)
        if columnCount > 1_000_000 {
            throw ClassicError(.invalidParameter, method: method,
                               "degree \(degree) on \(features.columnCount) features makes \(columnCount == .max ? "more than 9×10¹⁸" : String(columnCount)) columns (at most 1,000,000); lower the degree (--degree)")
        }
        // The output plus the list of terms (one index per factor, `degree` at most per term).
        try MemoryBudget.check(bytes: MemoryBudget.doubles(features.rowCount + degree, columnCount),
                               for: "\(method): degree \(degree) on \(features.columnCount) features (\(features.rowCount)×\(columnCount) doubles)")
        let terms = terms(featureCount: features.columnCount)
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
