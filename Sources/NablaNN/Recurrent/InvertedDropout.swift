import Nabla

/// Zeroes each element with `probability` and scales the survivors by 1/(1 − probability), so the
/// expected value is unchanged and evaluation needs no rescaling (PyTorch's `F.dropout` in training).
///
/// Used inside the sequence models (between recurrent layers, on attention weights, in Transformer
/// blocks), which hold no Dropout sub-module because dropout has no state to save.
func invertedDropout(_ input: Tensor, probability: Float, generator: RandomGenerator) -> Tensor {
    if probability <= 0 { return input }
    if probability >= 1 { return input * 0 }
    let keep = 1 - probability
    return input * (generator.bernoulli(input.shape, probability: keep) * (1 / keep))
}
