import Nabla

// GAN losses on the discriminator's logits (sigmoid outputs are never formed, so no log(0)), and the
// Wasserstein critic's losses on its raw scores. Shapes: logits and scores (N, 1); results are scalars.

/// Which generator loss a GAN minimises.
public enum AdversarialLoss: String, CaseIterable, Sendable {
    /// min E[log(1 − D(G(z)))]: Goodfellow's minimax game; its gradient vanishes while D wins easily.
    case original
    /// min −E[log D(G(z))]: the same fixed point with strong gradients early in training.
    case nonsaturating
    /// Wasserstein critic with a gradient penalty (WGAN-GP).
    case wassersteinGradientPenalty = "wgan-gp"
}

/// −E[log D(x)] − E[log(1 − D(G(z)))]: the discriminator's binary cross-entropy, real labelled 1 and fake 0.
public func discriminatorLoss(realLogits: Tensor, fakeLogits: Tensor) -> Tensor {
    binaryCrossEntropyWithLogits(realLogits, Tensor.ones(realLogits.shape))
        + binaryCrossEntropyWithLogits(fakeLogits, Tensor.zeros(fakeLogits.shape))
}

/// The generator's loss for `kind` given the discriminator's (or critic's) output on generated samples.
public func generatorLoss(_ kind: AdversarialLoss, fakeLogits: Tensor) -> Tensor {
    switch kind {
    // log(1 − σ(l)) = −softplus(l), so E[log(1 − D)] = −E[softplus(l)].
    case .original: return -fakeLogits.softplus().mean()
    case .nonsaturating: return binaryCrossEntropyWithLogits(fakeLogits, Tensor.ones(fakeLogits.shape))
    case .wassersteinGradientPenalty: return -fakeLogits.mean()
    }
}

/// E[C(G(z))] − E[C(x)]: the critic's loss (the negated Wasserstein estimate), without its penalty.
public func criticLoss(realScores: Tensor, fakeScores: Tensor) -> Tensor {
    fakeScores.mean() - realScores.mean()
}
