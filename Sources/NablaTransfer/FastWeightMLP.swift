import Nabla
import NablaNN

/// A multilayer perceptron (linear layers with ReLU between them) whose forward pass can run on weights
/// given from outside: the "fast weights" of a meta-learning inner loop, one copy per task, so an inner
/// loop adapts tensors instead of copying modules.
///
/// Shapes: `callAsFunction` takes (batch, input) → (batch, output) with the module's own weights;
/// `forward(_:weights:)` takes (tasks, batch, input) and weights as `perTask(_:)` gives them, each with
/// a leading task axis, → (tasks, batch, output). Weights follow `parameters()` order:
/// `layers.0.weight, layers.0.bias, layers.1.weight, …` (PyTorch's `nn.Linear` layout, initialised as
/// it initialises them).
///
/// ```swift
/// let net = FastWeightMLP(sizes: [1, 40, 40, 1], generator: RandomGenerator(seed: 0))
/// let weights = net.perTask(tasks: 25)                 // 25 views of the same weights
/// let y = net.forward(x, weights: weights)             // x: (25, 10, 1) → (25, 10, 1)
/// ```
public final class FastWeightMLP: Module, Layer {
    public let layers: [Linear]

    /// `sizes` lists the input size, every hidden width and the output size.
    public init(sizes: [Int], generator: RandomGenerator) {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "FastWeightMLP: sizes \(sizes) need an input and an output size, all positive")
        layers = zip(sizes, sizes.dropFirst()).map { Linear(inputSize: $0, outputSize: $1, generator: generator) }
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        var x = input
        for (index, layer) in layers.enumerated() {
            x = layer(x)
            if index < layers.count - 1 { x = x.relu() }
        }
        return x
    }

    /// The module's weights expanded along a new leading task axis (views: no copy). Gradients taken
    /// with respect to these are per task; through the expansion they sum back to the shared weights.
    public func perTask(tasks: Int) -> [Tensor] {
        parameters().map { $0.expanded(to: [tasks] + $0.shape) }
    }

    /// The forward pass of every task on its own weights: `input` (tasks, batch, in), `weights` in
    /// `parameters()` order with a leading task axis → (tasks, batch, out).
    public func forward(_ input: Tensor, weights: [Tensor]) -> Tensor {
        precondition(weights.count == 2 * layers.count, "FastWeightMLP.forward: \(weights.count) weights for \(layers.count) layers (weight and bias each)")
        precondition(input.rank == 3, "FastWeightMLP.forward: input \(input.shape) must be (tasks, batch, features)")
        var x = input
        for index in layers.indices {
            let weight = weights[2 * index], bias = weights[2 * index + 1]
            precondition(weight.rank == 3 && weight.shape[0] == input.shape[0] && weight.shape[2] == x.shape[2],
                         "FastWeightMLP.forward: layer \(index) weight \(weight.shape) does not fit input \(x.shape)")
            x = matmul(x, weight.transposed()) + bias.unsqueezed(axis: 1)
            if index < layers.count - 1 { x = x.relu() }
        }
        return x
    }
}
