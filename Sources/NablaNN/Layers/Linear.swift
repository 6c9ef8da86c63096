import Nabla

/// A fully connected layer: `y = x·Wᵀ + b`, like PyTorch's `nn.Linear`.
///
/// Shapes: input (…, inputSize) → output (…, outputSize). Parameters `weight` (outputSize, inputSize)
/// and `bias` (outputSize), both initialised U(−1/√inputSize, 1/√inputSize) as in PyTorch.
///
/// ```swift
/// let layer = Linear(inputSize: 4, outputSize: 3, generator: RandomGenerator(seed: 0))
/// let y = layer(Tensor.ones([2, 4]))   // shape [2, 3]
/// ```
public final class Linear: Module, Layer {
    public let weight: Tensor
    public let bias: Tensor?

    public init(inputSize: Int, outputSize: Int, bias: Bool = true, generator: RandomGenerator) {
        let bound = 1 / Float(inputSize).squareRoot()
        weight = Initialization.uniform([outputSize, inputSize], bound: bound, generator: generator)
        self.bias = bias ? Initialization.uniform([outputSize], bound: bound, generator: generator) : nil
        super.init()
    }

    public var inputSize: Int { weight.shape[1] }
    public var outputSize: Int { weight.shape[0] }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank >= 1 && input.shape.last == inputSize,
                     "Linear: expected input (…, \(inputSize)), got \(input.shape)")
        return linear(input, weight: weight, bias: bias)
    }
}
