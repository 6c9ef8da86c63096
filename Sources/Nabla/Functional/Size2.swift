/// A pair of sizes for the height and width axes of an image operation (kernel size, stride, padding,
/// dilation). An integer literal means the same size on both axes, as in PyTorch: `stride: 2`.
public struct Size2: Equatable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var height: Int
    public var width: Int

    public init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }

    public init(integerLiteral value: Int) { self.init(value, value) }

    public var description: String { "(\(height), \(width))" }
}

/// How much a reduction-type loss sums up its per-element values, as PyTorch's `reduction=`.
public enum LossReduction: Sendable {
    /// One value per element (or per sample), not reduced.
    case none
    /// The mean over elements (PyTorch's default).
    case mean
    /// The sum over elements.
    case sum
}
