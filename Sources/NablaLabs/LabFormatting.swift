import Foundation
import NablaViz

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

/// Throws the `LabError` a refused `--set` value gets, unless `condition` holds.
func requireSetting(_ condition: Bool, key: String, value: Any, allowed: String) throws {
    if !condition { throw LabError("setting '\(key)' = '\(value)' is not valid: it must be \(allowed)") }
}

/// A comma-separated list setting (`--set penalties=0.1,1,10`) read as numbers.
func numberList(_ values: LabValues, _ key: String) throws -> [Double] {
    let text = values.text(key)
    let numbers = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard !numbers.isEmpty, numbers.allSatisfy({ $0 != nil && $0!.isFinite }) else {
        throw LabError("setting '\(key)' = '\(text)' is not valid: it must be comma-separated numbers, e.g. 0.1,1,10")
    }
    return numbers.map { $0! }
}

/// A comma-separated list setting read as integers.
func integerList(_ values: LabValues, _ key: String) throws -> [Int] {
    let text = values.text(key)
    let numbers = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !numbers.isEmpty, numbers.allSatisfy({ $0 != nil }) else {
        throw LabError("setting '\(key)' = '\(text)' is not valid: it must be comma-separated integers, e.g. 10,30,100")
    }
    return numbers.map { $0! }
}

/// A list as a setting's text: `0.001,0.01,0.2`.
func listText(_ numbers: [Double]) -> String {
    numbers.map(format).joined(separator: ",")
}

/// A list as a setting's text: `10,30,100`.
func listText(_ numbers: [Int]) -> String {
    numbers.map(String.init).joined(separator: ",")
}

/// A table section whose first row holds the headers.
func tableSection(_ title: String, _ rows: [[String]], caption: String? = nil) -> ReportSection {
    .table(title, headers: rows[0], rows: Array(rows.dropFirst()), caption: caption)
}
