import Nabla

/// Merges the axes `startAxis` through `endAxis` into one, like PyTorch's `nn.Flatten`; by default every
/// axis but the batch axis, which turns feature maps into vectors for a `Linear` head.
///
/// Shapes: (N, C, H, W) → (N, C·H·W) by default; in general the axes startAxis…endAxis (negative counts
/// from the end) become one axis holding their product. No parameters; a view when the memory allows.
///
/// ```swift
/// let flatten = Flatten()
/// let y = flatten(Tensor.zeros([8, 16, 4, 4]))   // shape [8, 256]
/// ```
public final class Flatten: Module, Layer {
    public let startAxis: Int
    public let endAxis: Int

    public init(startAxis: Int = 1, endAxis: Int = -1) {
        self.startAxis = startAxis
        self.endAxis = endAxis
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let start = startAxis < 0 ? startAxis + input.rank : startAxis
        let end = endAxis < 0 ? endAxis + input.rank : endAxis
        precondition(start >= 0 && end < input.rank && start <= end,
                     "Flatten: expected input with axes \(startAxis) through \(endAxis), got \(input.shape)")
        let shape = input.shape
        return input.reshaped(Array(shape[..<start]) + [shape[start...end].reduce(1, *)] + Array(shape[(end + 1)...]))
    }
}
