import Nabla

/// The non-linearity between the two linear maps of a Transformer layer's feed-forward block
/// (PyTorch's `activation="relu"` or `"gelu"`; GELU is the exact erf form, as `F.gelu`).
public enum TransformerActivation: Sendable {
    case relu, gelu

    func callAsFunction(_ input: Tensor) -> Tensor {
        switch self {
        case .relu: return input.relu()
        case .gelu: return input.gelu()
        }
    }
}

/// The check both Transformer layers make on their sequences, naming the layer.
func checkTransformerSequence(_ input: Tensor, _ name: String, layer: String, modelDimension: Int, batchFirst: Bool) {
    let layout = batchFirst ? "(batch, sequence, \(modelDimension))" : "(sequence, batch, \(modelDimension))"
    precondition((input.rank == 3 || input.rank == 2) && input.shape.last == modelDimension,
                 "\(layer): expected \(name) \(layout) or unbatched (sequence, \(modelDimension)), got \(input.shape)")
}
