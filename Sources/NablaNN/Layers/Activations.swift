import Nabla

// Activation functions as layers, so they can sit in a `Sequential`. Each forwards to the tensor method
// of the same name (one fused kernel with its own backward rule); none has parameters, and all but
// Softmax and LogSoftmax accept any shape.

/// max(x, 0), like PyTorch's `nn.ReLU`. Shapes: any → the same.
///
/// ```swift
/// let model = Sequential(Linear(inputSize: 4, outputSize: 8, generator: generator), ReLU())
/// ```
public final class ReLU: Module, Layer {
    public override init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.relu() }
}

/// x for x > 0 and negativeSlope·x otherwise, like PyTorch's `nn.LeakyReLU` (default slope 0.01).
/// Shapes: any → the same.
///
/// ```swift
/// let activation = LeakyReLU(negativeSlope: 0.2)   // the usual choice in GAN discriminators
/// ```
public final class LeakyReLU: Module, Layer {
    public let negativeSlope: Float
    public init(negativeSlope: Float = 0.01) { self.negativeSlope = negativeSlope }
    public func callAsFunction(_ input: Tensor) -> Tensor { input.leakyRelu(negativeSlope: negativeSlope) }
}

/// 1 / (1 + e⁻ˣ), like PyTorch's `nn.Sigmoid`. Shapes: any → the same.
///
/// ```swift
/// let probability = Sigmoid()(Tensor([0]))   // [0.5]
/// ```
public final class Sigmoid: Module, Layer {
    public override init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.sigmoid() }
}

/// The hyperbolic tangent, like PyTorch's `nn.Tanh`. Shapes: any → the same.
///
/// ```swift
/// let y = Tanh()(Tensor([0, 1]))   // [0, 0.7616]
/// ```
public final class Tanh: Module, Layer {
    public override init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.tanh() }
}

/// x·Φ(x) with Φ the standard normal distribution function, like PyTorch's `nn.GELU`; with
/// `approximation: .tanh`, PyTorch's `approximate='tanh'` form 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).
/// Shapes: any → the same.
///
/// ```swift
/// let activation = GELU(approximation: .tanh)   // as in GPT-2
/// ```
public final class GELU: Module, Layer {
    public let approximation: Tensor.GELUApproximation
    public init(approximation: Tensor.GELUApproximation = .none) { self.approximation = approximation }
    public func callAsFunction(_ input: Tensor) -> Tensor { input.gelu(approximation: approximation) }
}

/// x·sigmoid(x) (also called swish), like PyTorch's `nn.SiLU`. Shapes: any → the same.
///
/// ```swift
/// let y = SiLU()(Tensor([0, 1]))   // [0, 0.7311]
/// ```
public final class SiLU: Module, Layer {
    public override init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.silu() }
}

/// exp(x) / Σ exp(x) along `axis`, like PyTorch's `nn.Softmax(dim=axis)`: the values along that axis
/// become probabilities. Shapes: any with the axis present → the same.
///
/// ```swift
/// let probabilities = Softmax(axis: -1)(logits)   // each row sums to 1
/// ```
public final class Softmax: Module, Layer {
    public let axis: Int
    public init(axis: Int) { self.axis = axis }
    public func callAsFunction(_ input: Tensor) -> Tensor {
        checkAxis("Softmax", axis, input)
        return input.softmax(axis: axis)
    }
}

/// x − log Σ exp(x) along `axis`, like PyTorch's `nn.LogSoftmax(dim=axis)`; computed directly, so it is
/// stable where log(softmax(x)) would underflow. Pair it with `nllLoss`. Shapes: any with the axis
/// present → the same.
///
/// ```swift
/// let loss = nllLoss(LogSoftmax(axis: 1)(logits), labels)   // the same as crossEntropy(logits, labels)
/// ```
public final class LogSoftmax: Module, Layer {
    public let axis: Int
    public init(axis: Int) { self.axis = axis }
    public func callAsFunction(_ input: Tensor) -> Tensor {
        checkAxis("LogSoftmax", axis, input)
        return input.logSoftmax(axis: axis)
    }
}

private func checkAxis(_ layer: String, _ axis: Int, _ input: Tensor) {
    precondition(input.rank > 0 && (-input.rank..<input.rank).contains(axis),
                 "\(layer): expected input with axis \(axis), got \(input.shape)")
}
