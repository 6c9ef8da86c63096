import Foundation

/// What an environment accepts or returns, as Gymnasium's `spaces.Discrete` and `spaces.Box` describe it.
public enum Space: Equatable, Sendable, CustomStringConvertible {
    /// Whole numbers 0..<count.
    case discrete(count: Int)
    /// Real vectors bounded element-wise by `low` and `high` (same length; ±infinity where unbounded).
    case box(low: [Float], high: [Float])

    /// Values per observation or action: 1 for a discrete space, the vector length for a box.
    public var dimension: Int {
        switch self {
        case .discrete: return 1
        case .box(let low, _): return low.count
        }
    }

    public var isDiscrete: Bool { if case .discrete = self { return true } else { return false } }

    public var description: String {
        switch self {
        case .discrete(let count): return "Discrete(\(count))"
        case .box(let low, let high):
            let pairs = zip(low, high).map { "[\(Self.format($0)), \(Self.format($1))]" }
            return "Box(\(low.count): \(pairs.joined(separator: " ")))"
        }
    }

    private static func format(_ value: Float) -> String {
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return String(format: "%g", Double(value))
    }
}
