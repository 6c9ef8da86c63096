import Nabla

/// Returns its input unchanged, like PyTorch's `nn.Identity`: a placeholder where a layer is optional
/// (a skip connection without projection, a removed classification head) that keeps the model's
/// structure and state-dictionary keys.
///
/// Shapes: any → the same tensor. No parameters.
///
/// ```swift
/// let head: any Layer = replaceHead ? Identity() : Linear(inputSize: 512, outputSize: 10, generator: generator)
/// ```
public final class Identity: Module, Layer {
    public override init() {}

    public func callAsFunction(_ input: Tensor) -> Tensor { input }
}
