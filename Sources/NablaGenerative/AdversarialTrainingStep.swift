import Nabla
import NablaNN
import NablaOptim

/// The losses of one adversarial step.
public struct AdversarialStepLosses: Sendable {
    /// The discriminator's (or critic's, penalty included) loss.
    public let discriminator: Float
    public let generator: Float

    public init(discriminator: Float, generator: Float) {
        self.discriminator = discriminator
        self.generator = generator
    }
}

/// One GAN step on a batch: one discriminator (critic) update, then one generator update, as DCGAN and
/// the speed bar do (WGAN-GP papers use five critic steps per generator step; call `updateCritic` more).
public final class AdversarialTrainingStep {
    public let generatorNetwork: DCGANGenerator
    public let discriminatorNetwork: DCGANDiscriminator
    public let loss: AdversarialLoss
    public let generatorOptimizer: Adam
    public let discriminatorOptimizer: Adam
    /// λ of WGAN-GP's penalty.
    public var penaltyWeight: Float = 10

    /// Adam(2e-4, β = (0.5, 0.999)) for both networks (DCGAN's setting); WGAN-GP's paper uses (0, 0.9).
    public init(generator: DCGANGenerator, discriminator: DCGANDiscriminator, loss: AdversarialLoss,
                learningRate: Double = 2e-4, beta1: Double = 0.5, beta2: Double = 0.999) {
        generatorNetwork = generator
        discriminatorNetwork = discriminator
        self.loss = loss
        let configuration = AdamConfiguration(learningRate: learningRate, beta1: beta1, beta2: beta2)
        generatorOptimizer = Adam(generator.parameters(), configuration: configuration)
        discriminatorOptimizer = Adam(discriminator.parameters(), configuration: configuration)
    }

    /// Updates the discriminator on `real` (N, 1, 28, 28) in [−1, 1] against samples from `noise`
    /// (N, latent); `mixing` (N) is WGAN-GP's interpolation ε (ignored by the other losses).
    @discardableResult
    public func updateDiscriminator(real: Tensor, noise: Tensor, mixing: Tensor) -> Float {
        let fake = withoutGradients { generatorNetwork(noise) }
        discriminatorOptimizer.zeroGradients()
        let realScores = discriminatorNetwork(real), fakeScores = discriminatorNetwork(fake)
        var value: Tensor
        if loss == .wassersteinGradientPenalty {
            value = criticLoss(realScores: realScores, fakeScores: fakeScores)
            value = value + gradientPenalty(critic: { self.discriminatorNetwork($0) }, real: real, fake: fake, mixing: mixing) * penaltyWeight
        } else {
            value = discriminatorLoss(realLogits: realScores, fakeLogits: fakeScores)
        }
        value.backward()
        discriminatorOptimizer.step()
        return value.item
    }

    /// Updates the generator on fresh samples from `noise` (N, latent).
    @discardableResult
    public func updateGenerator(noise: Tensor) -> Float {
        generatorOptimizer.zeroGradients()
        let value = generatorLoss(loss, fakeLogits: discriminatorNetwork(generatorNetwork(noise)))
        value.backward()
        generatorOptimizer.step()
        // The generator's backward also filled the discriminator's gradients; its next update clears them.
        return value.item
    }

    /// One discriminator and one generator update on a batch.
    public func callAsFunction(real: Tensor, discriminatorNoise: Tensor, generatorNoise: Tensor, mixing: Tensor) -> AdversarialStepLosses {
        let discriminator = updateDiscriminator(real: real, noise: discriminatorNoise, mixing: mixing)
        return AdversarialStepLosses(discriminator: discriminator, generator: updateGenerator(noise: generatorNoise))
    }
}
