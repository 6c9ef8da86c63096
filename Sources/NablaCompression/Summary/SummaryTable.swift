import Foundation

/// The text form of a `ModelSummary`, laid out like torchinfo's.
enum SummaryTable {
    static func render(_ summary: ModelSummary) -> String {
        let header = ["Layer (type)", "Output shape", "Param #", "Mult-adds", "Output memory"]
        let body = summary.rows.map { row -> [String] in
            let indent = String(repeating: "  ", count: max(row.depth - 1, 0))
            let label = row.name.isEmpty ? row.kind : "\(row.name) (\(row.kind))"
            return [indent + label, row.outputShape.isEmpty ? "—" : "[" + row.outputShape.map(String.init).joined(separator: ", ") + "]",
                    grouped(row.parameters), grouped(row.multiplyAdds), bytes(row.outputBytes)]
        }
        var widths = header.map(\.count)
        for line in body { for (column, cell) in line.enumerated() { widths[column] = max(widths[column], cell.count) } }
        func format(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                column == 0 ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                            : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
        }
        let rule = String(repeating: "=", count: widths.reduce(0, +) + 2 * (widths.count - 1))
        var lines = [rule, format(header), rule]
        lines += body.map(format)
        lines += [rule,
                  "Total parameters: \(grouped(summary.totalParameters))",
                  "Trainable parameters: \(grouped(summary.trainableParameters))",
                  "Non-trainable parameters: \(grouped(summary.totalParameters - summary.trainableParameters))",
                  "Total mult-adds: \(grouped(summary.totalMultiplyAdds))",
                  rule,
                  "Input size: \(bytes(summary.inputBytes))",
                  "Forward pass outputs: \(bytes(summary.activationBytes))",
                  "Parameters size: \(bytes(summary.parameterBytes))",
                  "Estimated total size: \(bytes(summary.inputBytes + summary.activationBytes + summary.parameterBytes))",
                  rule]
        return lines.joined(separator: "\n")
    }

    /// 1234567 → "1,234,567".
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return value < 0 ? "-" + result : result
    }

    static func bytes(_ value: Int) -> String {
        if value < 1024 { return "\(value) B" }
        if value < 1024 * 1024 { return String(format: "%.2f KB", Double(value) / 1024) }
        return String(format: "%.2f MB", Double(value) / 1024 / 1024)
    }
}
