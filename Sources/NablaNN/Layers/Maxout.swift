import Nabla

/// A maxout unit (Goodfellow et al., 2013): an affine map to `pieceCount` candidates per output feature
/// and the largest of them, so the layer learns a convex piecewise-linear activation of its own.
///
///     z = x·Wᵀ + b              (…, outputSize·pieceCount)
///     y[…, j] = max over p of z[…, j·pieceCount + p]
///
/// PyTorch has no `nn.Maxout`; this follows the common PyTorch recipe (a `Linear` named `linear` whose
/// outputs are grouped feature-major, `z.view(…, out, pieces).max(-1)`), so checkpoints carry over.
///
/// Shapes: input (…, inputSize) → output (…, outputSize). Parameters `linear.weight`
/// (outputSize·pieceCount, inputSize) and `linear.bias` (outputSize·pieceCount), initialised as `Linear`'s:
/// U(−1/√inputSize, 1/√inputSize). The gradient flows to the winning piece of each output.
///
/// ```swift
/// let maxout = Maxout(inputSize: 784, outputSize: 240, pieceCount: 5, generator: RandomGenerator(seed: 0))
/// let y = maxout(Tensor.zeros([32, 784]))   // shape [32, 240]
/// ```
public final class Maxout: Module, Layer {
    public let linear: Linear
    public let pieceCount: Int

    public init(inputSize: Int, outputSize: Int, pieceCount: Int, bias: Bool = true, generator: RandomGenerator) {
        precondition(inputSize > 0 && outputSize > 0 && pieceCount > 0,
                     "Maxout: inputSize \(inputSize), outputSize \(outputSize) and pieceCount \(pieceCount) must be positive")
        linear = Linear(inputSize: inputSize, outputSize: outputSize * pieceCount, bias: bias, generator: generator)
        self.pieceCount = pieceCount
    }

    public var inputSize: Int { linear.inputSize }
    public var outputSize: Int { linear.outputSize / pieceCount }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank >= 1 && input.shape.last == inputSize,
                     "Maxout: expected input (…, \(inputSize)), got \(input.shape)")
        let pieces = linear(input)
        return pieces.reshaped(Array(input.shape.dropLast()) + [outputSize, pieceCount]).max(axis: -1).values
    }
}
