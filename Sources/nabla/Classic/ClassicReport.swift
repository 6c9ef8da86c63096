import Foundation

/// The figures a `nabla classic` run prints: named values in the order they were added, shown as
/// aligned `name: value` lines or as one JSON object.
struct ClassicReport {
    enum Value {
        case number(Double)
        case integer(Int)
        case text(String)

        var display: String {
            switch self {
            case .number(let value): value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(format: "%.4f", value)
            case .integer(let value): String(value)
            case .text(let value): value
            }
        }

        var json: any JSONScalar {
            switch self {
            case .number(let value): value
            case .integer(let value): value
            case .text(let value): value
            }
        }
    }

    private(set) var entries: [(key: String, value: Value)] = []
    /// Extra lines printed after the figures in text mode (a confusion matrix).
    private(set) var notes: [String] = []

    mutating func add(_ key: String, _ value: Double) { entries.append((key, .number(value))) }
    mutating func add(_ key: String, _ value: Int) { entries.append((key, .integer(value))) }
    mutating func add(_ key: String, _ value: String) { entries.append((key, .text(value))) }
    mutating func note(_ line: String) { notes.append(line) }

    /// `validation roc auc` → `validation_roc_auc`, `trustworthiness (5 neighbours)` → `trustworthiness_5_neighbours`.
    static func jsonKey(_ key: String) -> String {
        var result = ""
        for character in key.lowercased() {
            if character.isLetter || character.isNumber { result.append(character) } else if !result.hasSuffix("_") && !result.isEmpty { result.append("_") }
        }
        while result.hasSuffix("_") { result.removeLast() }
        return result
    }

    /// Prints the report to standard output.
    func print(json: Bool) {
        if json {
            let body = entries.map { Self.jsonKey($0.key).jsonText + ":" + $0.value.json.jsonText }.joined(separator: ",")
            Swift.print("{" + body + "}")
        } else {
            let width = entries.map(\.key.count).max() ?? 0
            for (key, value) in entries {
                Swift.print(key + ":" + String(repeating: " ", count: width - key.count + 1) + value.display)
            }
            for line in notes { Swift.print(line) }
        }
        fflush(stdout)
    }
}
