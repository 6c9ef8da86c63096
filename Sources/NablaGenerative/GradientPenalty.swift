import Nabla

/// WGAN-GP's penalty E[(‖∇ₓ̂ C(x̂)‖₂ − 1)²] at x̂ = ε·real + (1 − ε)·fake, one ε ~ U(0, 1) per sample.
///
/// The input gradient is recorded (`createGraph`), so the penalty's gradient reaches the critic's
/// parameters through it: a gradient of a gradient.
///
/// Shapes: `real` and `fake` (N, …); `mixing` (N) holds each sample's ε; `critic` maps (N, …) to (N, 1).
/// The result is a scalar; multiply by λ (10 in the paper) before adding it to the critic's loss.
public func gradientPenalty(critic: (Tensor) -> Tensor, real: Tensor, fake: Tensor, mixing: Tensor) -> Tensor {
    precondition(real.shape == fake.shape, "gradientPenalty: real \(real.shape) and fake \(fake.shape) differ")
    precondition(mixing.shape == [real.shape[0]], "gradientPenalty: mixing must be (\(real.shape[0])), got \(mixing.shape)")
    let epsilon = mixing.detached().reshaped([real.shape[0]] + Array(repeating: 1, count: real.rank - 1))
    let interpolated = (epsilon * real.detached() + (1 - epsilon) * fake.detached()).detached()
    interpolated.requiresGrad = true
    let scores = critic(interpolated)
    let inputGradient = gradients(of: scores.sum(), withRespectTo: [interpolated], createGraph: true)[0]
    let perSample = inputGradient.reshaped([real.shape[0], -1]).norm(axes: [1])
    return (perSample - 1).pow(2).mean()
}
