import Nabla

/// Layer normalisation over the trailing axes of each sample, like PyTorch's `nn.LayerNorm`: the values
/// in the last `normalizedShape.count` axes are normalised by their own mean and biased variance,
///
///     y = (x − E[x]) / √(Var[x] + ε) · weight + bias
///
/// so, unlike batch normalisation, it behaves the same in training and evaluation and for any batch size
/// (the norm of Transformers).
///
/// Shapes: input (…, *normalizedShape*) → the same shape. Parameters `weight` (ones) and `bias` (zeros) of
/// shape `normalizedShape`; without `elementwiseAffine` there are none, and `bias: false` drops the bias.
///
/// ```swift
/// let norm = LayerNorm(normalizedShape: [512])
/// let y = norm(Tensor.zeros([8, 20, 512]))   // shape [8, 20, 512]
/// ```
public final class LayerNorm: Module, Layer {
    public let weight: Tensor?
    public let bias: Tensor?
    public let normalizedShape: [Int]
    public let epsilon: Float

    public init(normalizedShape: [Int], epsilon: Float = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) {
        precondition(!normalizedShape.isEmpty && normalizedShape.allSatisfy { $0 > 0 },
                     "LayerNorm: normalizedShape must be one or more positive sizes, got \(normalizedShape)")
        weight = elementwiseAffine ? Tensor.ones(normalizedShape) : nil
        self.bias = elementwiseAffine && bias ? Tensor.zeros(normalizedShape) : nil
        self.normalizedShape = normalizedShape
        self.epsilon = epsilon
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank >= normalizedShape.count && Array(input.shape.suffix(normalizedShape.count)) == normalizedShape,
                     "LayerNorm: expected input (…, \(normalizedShape.map(String.init).joined(separator: ", "))), got \(input.shape)")
        return layerNorm(input, normalizedShape: normalizedShape, weight: weight, bias: bias, epsilon: epsilon)
    }
}
