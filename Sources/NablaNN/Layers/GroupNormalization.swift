import Nabla

/// Group normalisation, like PyTorch's `nn.GroupNorm`: the channels are split into `groupCount`
/// consecutive groups and each sample's group is normalised by its own mean and biased variance (over the
/// group's channels and all positions), then scaled and shifted per channel. It does not depend on the
/// batch, so it works with batches of one; `groupCount == 1` normalises whole samples and
/// `groupCount == channelCount` is instance normalisation.
///
/// Shapes: input (N, channelCount, …) → the same shape. Parameters `weight` (ones) and `bias` (zeros) of
/// shape (channelCount), absent without `affine`.
///
/// ```swift
/// let norm = GroupNorm(groupCount: 8, channelCount: 32)
/// let y = norm(Tensor.zeros([2, 32, 16, 16]))   // shape [2, 32, 16, 16]
/// ```
public final class GroupNorm: Module, Layer {
    public let weight: Tensor?
    public let bias: Tensor?
    public let groupCount: Int
    public let channelCount: Int
    public let epsilon: Float

    public init(groupCount: Int, channelCount: Int, epsilon: Float = 1e-5, affine: Bool = true) {
        precondition(groupCount > 0 && channelCount > 0 && channelCount % groupCount == 0,
                     "GroupNorm: \(channelCount) channels cannot be split into \(groupCount) groups")
        weight = affine ? Tensor.ones([channelCount]) : nil
        bias = affine ? Tensor.zeros([channelCount]) : nil
        self.groupCount = groupCount
        self.channelCount = channelCount
        self.epsilon = epsilon
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank >= 2 && input.shape[1] == channelCount,
                     "GroupNorm: expected input (N, \(channelCount), …), got \(input.shape)")
        return groupNorm(input, groups: groupCount, weight: weight, bias: bias, epsilon: epsilon)
    }
}
