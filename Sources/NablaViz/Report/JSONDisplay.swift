import Foundation
import NablaData

extension JSONValue {
    /// The value as a person reads it in a table: strings without quotes, numbers short, containers as
    /// compact JSON.
    public var displayText: String {
        switch self {
        case .string(let text): text
        case .number: formatNumber(number ?? .nan)
        default: jsonText
        }
    }
}

/// A number for people: integers without decimals, others in up to six significant digits.
func formatNumber(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
    if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
    var text = String(format: "%.6g", value)
    if let exponent = text.range(of: "e") {
        var mantissa = String(text[..<exponent.lowerBound])
        if mantissa.contains(".") {
            while mantissa.hasSuffix("0") { mantissa.removeLast() }
            if mantissa.hasSuffix(".") { mantissa.removeLast() }
        }
        text = mantissa + "e" + text[exponent.upperBound...].replacingOccurrences(of: "+", with: "")
    } else if text.contains(".") {
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
    }
    return text
}
