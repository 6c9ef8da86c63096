import Nabla

/// Layers applied one after another; children are named `0`, `1`, … as in PyTorch's `nn.Sequential`.
///
/// ```swift
/// let model = Sequential(Flatten(), Linear(inputSize: 784, outputSize: 10, generator: generator))
/// let logits = model(images)    // parameters: "1.weight", "1.bias"
/// ```
public final class Sequential: Module, Layer {
    public let layers: [any Layer]

    public init(_ layers: [any Layer]) {
        self.layers = layers
    }

    public convenience init(_ layers: any Layer...) { self.init(layers) }

    public override class var stateKeyOverrides: [String: String] { ["layers": ""] }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        layers.reduce(input) { value, layer in layer(value) }
    }

    public subscript(index: Int) -> any Layer { layers[index] }
    public var count: Int { layers.count }
}
