import Foundation
import Nabla
import NablaNN
import Testing
@testable import NablaGenerative

@Suite struct VariationalAutoEncoderTests {
    /// With zero noise the bound is the decoder's cross-entropy at the posterior mean plus the
    /// closed-form KL, and its loss is their β-weighted sum.
    @Test func boundIsReconstructionPlusKL() {
        let vae = VariationalAutoEncoder(inputSize: 12, hiddenSizes: (8, 6), latentSize: 3, generator: RandomGenerator(seed: 1))
        let images = RandomGenerator(seed: 2).uniform([5, 12], low: 0, high: 1)
        let bound = vae.negativeEvidenceLowerBound(images, noise: Tensor.zeros([5, 3]), beta: 2)
        let (mean, logVariance) = vae.encode(images)
        let logits = vae.decode(mean)
        let probabilities = logits.sigmoid().scalars, targets = images.scalars
        var crossEntropy = 0.0
        for (probability, target) in zip(probabilities, targets) {
            let (p, x) = (Double(probability), Double(target))
            crossEntropy -= x * log(p) + (1 - x) * log(1 - p)
        }
        var kl = 0.0
        for (meanValue, logVarianceValue) in zip(mean.scalars, logVariance.scalars) {
            let (m, v) = (Double(meanValue), Double(logVarianceValue))
            kl += 0.5 * (m * m + exp(v) - v - 1)
        }
        #expect(abs(Double(bound.reconstruction.item) - crossEntropy / 5) < 1e-4)
        #expect(abs(Double(bound.klDivergence.item) - kl / 5) < 1e-5)
        #expect(abs(Double(bound.loss.item) - (crossEntropy + 2 * kl) / 5) < 1e-4)
        #expect(vae(images).shape == [5, 12] && vae.latentSize == 3 && vae.inputSize == 12)
    }

    /// Gradients of the bound reach every parameter, the encoder's through the reparameterised sample.
    @Test func gradientsReachEncoderAndDecoder() {
        let vae = VariationalAutoEncoder(inputSize: 12, hiddenSizes: (8, 6), latentSize: 2, generator: RandomGenerator(seed: 1))
        let images = RandomGenerator(seed: 2).uniform([4, 12], low: 0, high: 1)
        vae.negativeEvidenceLowerBound(images, noise: RandomGenerator(seed: 3).normal([4, 2])).loss.backward()
        for (name, parameter) in vae.namedParameters() {
            #expect(parameter.grad.map { $0.abs().sum().item > 0 } == true, "\(name) has no gradient")
        }
    }
}
