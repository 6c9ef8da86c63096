import Foundation
import Nabla
import NablaGenerative
import NablaTestSupport
import Testing

// The ELBO's terms against their closed forms, computed here in double precision, and the
// reparameterised sample's gradients against ∂z/∂μ = 1 and ∂z/∂log σ² = ½·σ·ε.
@Suite struct VariationalLossTests {
    let means: [Double] = [0.5, -1.0, 0.0, 2.0, 0.3, -0.7]
    let logVariances: [Double] = [0.0, -0.5, 1.0, 0.2, -2.0, 0.4]

    @Test func klDivergenceMatchesClosedForm() {
        let kl = gaussianKLDivergence(mean: Tensor(means.map(Float.init), shape: [2, 3]),
                                      logVariance: Tensor(logVariances.map(Float.init), shape: [2, 3]))
        // KL(N(μ, σ²) ‖ N(0, 1)) = ½(μ² + σ² − log σ² − 1) per dimension, summed per row, averaged over rows.
        let total = zip(means, logVariances).reduce(0) { $0 + 0.5 * ($1.0 * $1.0 + exp($1.1) - $1.1 - 1) }
        expectClose(kl.item, total / 2, "KL divergence", tolerance: .exact)
        let zero = gaussianKLDivergence(mean: Tensor.zeros([4, 5]), logVariance: Tensor.zeros([4, 5]))
        expectClose(zero.item, 0, "KL of the prior with itself", tolerance: .exact)
    }

    @Test func bernoulliNegativeLogLikelihoodMatchesClosedForm() {
        let logits: [Double] = [2.0, -1.0, 0.5, -3.0], targets: [Double] = [1, 0, 0.25, 1]
        let loss = bernoulliNegativeLogLikelihood(logits: Tensor(logits.map(Float.init), shape: [2, 2]),
                                                  target: Tensor(targets.map(Float.init), shape: [2, 2]))
        let total = zip(logits, targets).reduce(0.0) { sum, pair in
            let p = 1 / (1 + exp(-pair.0))
            return sum - (pair.1 * log(p) + (1 - pair.1) * log(1 - p))
        }
        expectClose(loss.item, total / 2, "Bernoulli −log p(x | z)", tolerance: .exact)
    }

    @Test func gaussianNegativeLogLikelihoodMatchesClosedForm() {
        let mean: [Double] = [0.1, 0.4, -0.2, 0.9], target: [Double] = [0.0, 1.0, 0.0, 1.0], variance = 0.5
        let loss = gaussianNegativeLogLikelihood(mean: Tensor(mean.map(Float.init), shape: [2, 2]),
                                                 target: Tensor(target.map(Float.init), shape: [2, 2]), variance: Float(variance))
        // Per sample: Σ (x − m)²/(2v) + ½·D·log(2πv), D = 2.
        let squares = zip(mean, target).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let expected = squares / (2 * variance) / 2 + log(2 * Double.pi * variance)
        expectClose(loss.item, expected, "Gaussian −log p(x | z)", tolerance: .exact)
    }

    @Test func betaWeighsTheKLTerm() {
        let bound = EvidenceLowerBound(reconstruction: Tensor(scalar: 3), klDivergence: Tensor(scalar: 2), beta: 4)
        expectClose(bound.loss.item, 11, "reconstruction + β·KL", tolerance: .exact)
    }

    @Test func reparameterisationGradient() {
        let mean = Tensor([0.5, -1, 2], requiresGrad: true)
        let logVariance = Tensor([0, 1, -1], requiresGrad: true)
        let noise = Tensor([1.5, -0.5, 0.25])
        let z = reparameterize(mean: mean, logVariance: logVariance, noise: noise)
        let expectedZ = (0..<3).map { Double(mean.scalars[$0]) + exp(0.5 * Double(logVariance.scalars[$0])) * Double(noise.scalars[$0]) }
        expectClose(z, expectedZ, "z = μ + σ·ε")
        let grads = gradients(of: z.sum(), withRespectTo: [mean, logVariance])
        expectClose(grads[0], [1, 1, 1], "∂z/∂μ")
        let expectedLogVariance = (0..<3).map { 0.5 * exp(0.5 * Double(logVariance.scalars[$0])) * Double(noise.scalars[$0]) }
        expectClose(grads[1], expectedLogVariance, "∂z/∂log σ² = ½·σ·ε")
    }
}
