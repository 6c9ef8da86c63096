import Nabla
import NablaNN

/// How many weights of each prunable layer are exactly zero.
public struct SparsityReport: CustomStringConvertible {
    public struct Row: Sendable {
        public let name: String
        public let zeros: Int
        public let total: Int
        public var sparsity: Double { total == 0 ? 0 : Double(zeros) / Double(total) }
    }

    public let rows: [Row]

    public init(_ module: Module) {
        rows = prunableParameters(of: module).map { parameter in
            Row(name: parameter.name, zeros: parameter.tensor.scalars.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }, total: parameter.tensor.count)
        }
    }

    public var zeros: Int { rows.reduce(0) { $0 + $1.zeros } }
    public var total: Int { rows.reduce(0) { $0 + $1.total } }
    public var sparsity: Double { total == 0 ? 0 : Double(zeros) / Double(total) }

    public var description: String {
        let width = max(5, rows.map(\.name.count).max() ?? 0)
        func line(_ name: String, _ zeros: Int, _ total: Int, _ sparsity: Double) -> String {
            name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + String(zeros).leftPadded(10) + "  "
                + String(total).leftPadded(10) + "  " + String(format: "%6.2f%%", sparsity * 100)
        }
        var lines = ["layer".padding(toLength: width, withPad: " ", startingAt: 0) + "  " + "zeros".leftPadded(10) + "  " + "weights".leftPadded(10) + "  sparsity"]
        lines += rows.map { line($0.name, $0.zeros, $0.total, $0.sparsity) }
        lines.append(line("total", zeros, total, sparsity))
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
