import Foundation
import Nabla

// The variational auto-encoder's pieces: the reparameterised sample and the two terms of the ELBO.
// Every term is summed over a sample's features and averaged over the batch, so the KL weight β of a
// β-VAE compares like with like whatever the image size.

/// z = μ + σ·ε with σ = exp(½·log σ²): a sample of N(μ, σ²) that gradients flow through to μ and
/// log σ² (the reparameterisation trick), with the noise ε drawn outside the graph.
///
/// Shapes: `mean`, `logVariance` and `noise` all (N, latent).
public func reparameterize(mean: Tensor, logVariance: Tensor, noise: Tensor) -> Tensor {
    precondition(mean.shape == logVariance.shape && mean.shape == noise.shape,
                 "reparameterize: mean \(mean.shape), logVariance \(logVariance.shape) and noise \(noise.shape) must have one shape")
    return mean + (logVariance * 0.5).exp() * noise.detached()
}

/// KL(N(μ, σ²) ‖ N(0, 1)) = ½·Σⱼ(μⱼ² + σⱼ² − log σⱼ² − 1), summed over the latent axis and averaged
/// over the batch. Shapes: `mean` and `logVariance` (N, latent); the result is a scalar.
public func gaussianKLDivergence(mean: Tensor, logVariance: Tensor) -> Tensor {
    precondition(mean.shape == logVariance.shape && mean.rank == 2,
                 "gaussianKLDivergence: mean \(mean.shape) and logVariance \(logVariance.shape) must both be (N, latent)")
    let perElement = (mean * mean + logVariance.exp() - logVariance - 1) * 0.5
    return perElement.sum(axis: 1).mean()
}

/// −log p(x | z) for a Bernoulli decoder with logits: binary cross-entropy summed over a sample's
/// features, averaged over the batch. Shapes: `logits` and `target` (N, …), targets in [0, 1].
public func bernoulliNegativeLogLikelihood(logits: Tensor, target: Tensor) -> Tensor {
    let losses = binaryCrossEntropyWithLogits(logits, target, reduction: .none)
    return losses.reshaped([losses.shape[0], -1]).sum(axis: 1).mean()
}

/// −log p(x | z) for a Gaussian decoder N(mean, variance·I) with a fixed variance:
/// Σ(x − mean)²/(2·variance) + ½·D·log(2π·variance), summed over a sample's D features, averaged over
/// the batch. Shapes: `mean` and `target` (N, …).
public func gaussianNegativeLogLikelihood(mean: Tensor, target: Tensor, variance: Float = 1) -> Tensor {
    precondition(mean.shape == target.shape, "gaussianNegativeLogLikelihood: mean \(mean.shape) and target \(target.shape) differ")
    precondition(variance > 0, "gaussianNegativeLogLikelihood: variance must be positive, got \(variance)")
    let features = mean.count / max(mean.shape[0], 1)
    let squared = (mean - target).pow(2).reshaped([mean.shape[0], -1]).sum(axis: 1).mean()
    let normaliser = Float(0.5 * Double(features) * log(2 * Double.pi * Double(variance)))
    return squared * (1 / (2 * variance)) + normaliser
}

/// The negative ELBO of a (β-)VAE and its two terms, each averaged over the batch.
public struct EvidenceLowerBound {
    /// −E[log p(x | z)], one sample of z.
    public let reconstruction: Tensor
    /// KL(q(z | x) ‖ p(z)).
    public let klDivergence: Tensor
    /// reconstruction + β·KL: the loss to minimise (β = 1 is the ELBO itself).
    public let loss: Tensor

    public init(reconstruction: Tensor, klDivergence: Tensor, beta: Float = 1) {
        self.reconstruction = reconstruction
        self.klDivergence = klDivergence
        self.loss = reconstruction + klDivergence * beta
    }
}
