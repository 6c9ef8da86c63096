// Normalisation functions: batch, layer and group normalisation. Layer and group normalisation, and
// batch normalisation by running statistics, are composed from reductions and element-wise operations,
// so their gradients (and gradients of gradients) need no rules of their own; batch normalisation by
// the batch's statistics, the hot path of training, is one operation with fused kernels.

/// Batch normalisation over every axis but the channel axis 1, like `torch.nn.functional.batch_norm`:
///
///     y = (x − μ) / √(σ² + ε) · weight + bias
///
/// - Training (`training: true`): μ and σ² are the batch mean and the *biased* batch variance of each
///   channel. When running statistics are given they are updated in place, outside the recorded graph,
///   with PyTorch's rule `running = (1 − momentum)·running + momentum·batch`, where the batch variance
///   used for `runningVariance` is the *unbiased* one (n − 1 in the denominator).
/// - Evaluation (`training: false`): μ and σ² are `runningMean` and `runningVariance`. When either is nil
///   the batch statistics are used instead (PyTorch's `track_running_stats=False`).
///
/// Shapes: `input` (N, C) or (N, C, d₁, ...); `runningMean`, `runningVariance`, `weight`, `bias` (C).
/// The result has the input's shape.
///
/// ```swift
/// let mean = Tensor.zeros([3]), variance = Tensor.ones([3])
/// let y = batchNorm(x, runningMean: mean, runningVariance: variance, weight: gamma, bias: beta, training: true)
/// ```
public func batchNorm(_ input: Tensor, runningMean: Tensor?, runningVariance: Tensor?, weight: Tensor?,
                      bias: Tensor?, training: Bool, momentum: Float = 0.1, epsilon: Float = 1e-5) -> Tensor {
    precondition(input.rank >= 2, "batchNorm: input must be (N, C) or (N, C, ...), got shape \(describe(input.shape))")
    let channels = input.shape[1]
    for (name, tensor) in [("runningMean", runningMean), ("runningVariance", runningVariance),
                           ("weight", weight), ("bias", bias)] {
        if let tensor, tensor.shape != [channels] {
            fatalError("batchNorm: \(name) of shape \(describe(tensor.shape)) does not match \(channels) channels of input \(describe(input.shape))")
        }
    }
    // Shape that lines a per-channel vector up with axis 1.
    let channelShape = [1, channels] + [Int](repeating: 1, count: input.rank - 2)
    if training || runningMean == nil || runningVariance == nil {
        let perChannel = input.count / Swift.max(channels, 1)
        precondition(!training || perChannel > 1,
                     "batchNorm: expected more than 1 value per channel when training, got input of shape \(describe(input.shape))")
        let source = input.contiguous()
        let statistics = batchNormStatisticsKernel(source, epsilon: epsilon)
        if training, let runningMean, let runningVariance {
            withoutGradients {
                // The running variance tracks the unbiased estimate, as PyTorch's does.
                let unbiased = Tensor(statistics.variance, shape: [channels]) * (Float(perChannel) / Float(perChannel - 1))
                runningMean.assign(runningMean * (1 - momentum) + Tensor(statistics.mean, shape: [channels]) * momentum)
                runningVariance.assign(runningVariance * (1 - momentum) + unbiased * momentum)
            }
        }
        return batchNormWithBatchStatistics(source, weight: weight, bias: bias, statistics: statistics, epsilon: epsilon)
    }
    let mean = runningMean!.reshaped(channelShape)
    let variance = runningVariance!.reshaped(channelShape)
    var output = (input - mean) / (variance + epsilon).sqrt()
    if let weight { output = output * weight.reshaped(channelShape) }
    if let bias { output = output + bias.reshaped(channelShape) }
    return output
}

/// Batch normalisation by the batch's own statistics as one recorded operation: two passes over the
/// input forward and two backward (see `BatchNormKernels.swift`) instead of a dozen element-wise ones.
/// When the backward pass is itself recorded (gradients of gradients), the gradient is written with
/// differentiable tensor operations instead, from the same formula.
func batchNormWithBatchStatistics(_ input: Tensor, weight: Tensor?, bias: Tensor?, statistics: BatchNormStatistics,
                                  epsilon: Float) -> Tensor {
    let output = batchNormApplyKernel(input, mean: statistics.mean, inverseDeviation: statistics.inverseDeviation, weight: weight, bias: bias)
    let inputs = [input] + [weight, bias].compactMap { $0 }
    return record(output, "batchNorm", inputs) { outputGradient, _ in
        let gradients: (input: Tensor, weight: Tensor, bias: Tensor)
        if isRecordingGradients {
            gradients = batchNormGradients(input, outputGradient, weight: weight, epsilon: epsilon)
        } else {
            gradients = batchNormBackwardKernel(input, outputGradient.contiguous(), statistics: statistics, weight: weight)
        }
        return [gradients.input] + (weight == nil ? [] : [gradients.weight]) + (bias == nil ? [] : [gradients.bias])
    }
}

/// The gradients of batch normalisation by batch statistics, with differentiable operations: with
/// x̂ = (x − μ)/σ and g = ∂L/∂y·weight, ∂L/∂x = (g − mean(g) − x̂·mean(g·x̂)) / σ, ∂L/∂weight = Σ ∂L/∂y·x̂,
/// ∂L/∂bias = Σ ∂L/∂y, means and sums over every axis but 1.
func batchNormGradients(_ input: Tensor, _ outputGradient: Tensor, weight: Tensor?, epsilon: Float)
    -> (input: Tensor, weight: Tensor, bias: Tensor) {
    let channels = input.shape[1]
    let channelShape = [1, channels] + [Int](repeating: 1, count: input.rank - 2)
    let axes = [0] + Array(2..<input.rank)
    let centred = input - input.mean(axes: axes, keepDims: true)
    let deviation = (input.variance(axes: axes, unbiased: false, keepDims: true) + epsilon).sqrt()
    let normalized = centred / deviation
    let scaled = weight.map { outputGradient * $0.reshaped(channelShape) } ?? outputGradient
    let inputGradient = (scaled - scaled.mean(axes: axes, keepDims: true)
                         - normalized * (scaled * normalized).mean(axes: axes, keepDims: true)) / deviation
    return (inputGradient, (outputGradient * normalized).sum(axes: axes), outputGradient.sum(axes: axes))
}

/// Layer normalisation over the trailing axes given by `normalizedShape`, like
/// `torch.nn.functional.layer_norm`:
///
///     y = (x − E[x]) / √(Var[x] + ε) · weight + bias
///
/// with the mean and the biased variance taken over the last `normalizedShape.count` axes.
///
/// Shapes: `input` (..., *normalizedShape*); `weight` and `bias` have shape `normalizedShape`. The result
/// has the input's shape.
///
/// ```swift
/// let y = layerNorm(x, normalizedShape: [512], weight: gamma, bias: beta)   // x: (batch, tokens, 512)
/// ```
public func layerNorm(_ input: Tensor, normalizedShape: [Int], weight: Tensor?, bias: Tensor?,
                      epsilon: Float = 1e-5) -> Tensor {
    let count = normalizedShape.count
    guard count >= 1, count <= input.rank, Array(input.shape.suffix(count)) == normalizedShape else {
        fatalError("layerNorm: normalizedShape \(describe(normalizedShape)) does not match the trailing axes of input \(describe(input.shape))")
    }
    for (name, tensor) in [("weight", weight), ("bias", bias)] {
        if let tensor, tensor.shape != normalizedShape {
            fatalError("layerNorm: \(name) of shape \(describe(tensor.shape)) differs from normalizedShape \(describe(normalizedShape))")
        }
    }
    let axes = Array((input.rank - count)..<input.rank)
    let mean = input.mean(axes: axes, keepDims: true)
    let variance = input.variance(axes: axes, unbiased: false, keepDims: true)
    var output = (input - mean) / (variance + epsilon).sqrt()
    if let weight { output = output * weight }
    if let bias { output = output + bias }
    return output
}

/// Group normalisation, like `torch.nn.functional.group_norm`: the C channels are split into `groups`
/// consecutive groups, and each sample's group is normalised by its own mean and biased variance (over
/// the group's channels and all spatial positions); then a per-channel affine map is applied:
///
///     y = (x − E[x]) / √(Var[x] + ε) · weight + bias
///
/// Shapes: `input` (N, C) or (N, C, d₁, ...) with C divisible by `groups`; `weight`, `bias` (C). The
/// result has the input's shape.
///
/// ```swift
/// let y = groupNorm(images, groups: 8, weight: gamma, bias: beta)   // images: (N, 32, H, W)
/// ```
public func groupNorm(_ input: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, epsilon: Float = 1e-5) -> Tensor {
    precondition(input.rank >= 2, "groupNorm: input must be (N, C) or (N, C, ...), got shape \(describe(input.shape))")
    let batch = input.shape[0], channels = input.shape[1]
    precondition(groups > 0 && channels % groups == 0,
                 "groupNorm: \(channels) channels of input \(describe(input.shape)) cannot be split into \(groups) groups")
    for (name, tensor) in [("weight", weight), ("bias", bias)] {
        if let tensor, tensor.shape != [channels] {
            fatalError("groupNorm: \(name) of shape \(describe(tensor.shape)) does not match \(channels) channels of input \(describe(input.shape))")
        }
    }
    let grouped = input.reshaped([batch, groups, input.count / Swift.max(batch * groups, 1)])
    let mean = grouped.mean(axes: [2], keepDims: true)
    let variance = grouped.variance(axes: [2], unbiased: false, keepDims: true)
    var output = ((grouped - mean) / (variance + epsilon).sqrt()).reshaped(input.shape)
    let channelShape = [1, channels] + [Int](repeating: 1, count: input.rank - 2)
    if let weight { output = output * weight.reshaped(channelShape) }
    if let bias { output = output + bias.reshaped(channelShape) }
    return output
}
