import Foundation

/// A number in three significant digits for legends and tables: 0.001, 0.2, 2.85e+03, 1.36e-05.
func short(_ value: Double) -> String {
    String(format: "%.3g", value)
}

/// `mean ± standard deviation` of `values` (population deviation; just the mean for one value).
func meanAndSpread(_ values: [Double]) -> (mean: Double, spread: Double) {
    let mean = values.reduce(0, +) / Double(values.count)
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    return (mean, variance.squareRoot())
}
