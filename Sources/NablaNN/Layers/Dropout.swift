import Nabla

/// Dropout, like PyTorch's `nn.Dropout`: in training mode each element is zeroed with probability
/// `probability` and the survivors are scaled by 1/(1 − probability) ("inverted" dropout), so the expected
/// value of every element is unchanged and evaluation needs no rescaling. In evaluation mode it is the
/// identity.
///
/// Shapes: any → the same shape. No parameters. The masks come from `generator`, so a run repeats exactly
/// with the same seed; the gradient flows through the kept elements with the same scale.
///
/// ```swift
/// let dropout = Dropout(probability: 0.5, generator: RandomGenerator(seed: 0))
/// let y = dropout(Tensor.ones([4, 8]))   // about half zeros, the rest 2
/// dropout.eval()
/// dropout(Tensor.ones([4, 8]))           // unchanged
/// ```
public final class Dropout: Module, Layer {
    public let probability: Float
    /// Draws the masks; advances by one value per element each training call.
    public let generator: RandomGenerator

    public init(probability: Float = 0.5, generator: RandomGenerator) {
        precondition((0...1).contains(probability), "Dropout: probability \(probability) must lie in [0, 1]")
        self.probability = probability
        self.generator = generator
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        guard isTraining, probability > 0 else { return input }
        // Everything dropped: PyTorch returns zeros (and zero gradients) rather than 0·∞.
        guard probability < 1 else { return input * 0 }
        let keep = 1 - probability
        let mask = generator.bernoulli(input.shape, probability: keep) * (1 / keep)
        return input * mask
    }
}
