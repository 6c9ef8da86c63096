import Foundation
import Nabla
import NablaGenerative
import NablaNN
import NablaTestSupport
import Testing

// The DCGAN networks' shapes, the gradient penalty through convolutions (a second-order gradient the
// golden case, with linear layers only, does not cover) against finite differences, and training steps.
@Suite struct DCGANTests {
    @Test func networksHaveTheIssuesShapes() {
        let random = RandomGenerator(seed: 1)
        let generator = DCGANGenerator(generator: random)
        let images = generator(random.normal([3, 100]))
        #expect(images.shape == [3, 1, 28, 28])
        #expect(images.scalars.allSatisfy { abs($0) <= 1 }, "tanh output lies in [−1, 1]")
        let discriminator = DCGANDiscriminator(generator: random)
        #expect(discriminator(images).shape == [3, 1])
    }

    /// After standing statistics on a batch, evaluation mode on that batch gives the training-mode images
    /// (up to the unbiased variance the running statistics keep), and the mode it was in is kept.
    @Test func standingStatisticsMakeEvaluationModeMatchTheBatch() {
        let random = RandomGenerator(seed: 3)
        let generator = DCGANGenerator(generator: random)
        let noise = random.normal([400, 100])
        let batchImages = withoutGradients { generator(noise) }
        generator.standStatistics(noise: noise)
        #expect(generator.isTraining)
        generator.eval()
        let evaluated = withoutGradients { generator(noise) }
        let largest = zip(batchImages.scalars, evaluated.scalars).map { abs($0 - $1) }.max() ?? .infinity
        #expect(largest < 5e-3, "\(largest)")
    }

    /// ∂gp/∂w for every weight of a small convolutional critic (conv 4×4 stride 2 → tanh → linear), against
    /// central differences of gp. The critic is smooth (tanh): with DCGAN's leaky ReLU, a finite step flips
    /// units across the kink and the difference quotient measures that jump, not the derivative.
    @Test func gradientPenaltyThroughConvolutionsMatchesFiniteDifferences() {
        let random = RandomGenerator(seed: 2)
        let weight = random.normal([3, 1, 4, 4], standardDeviation: 0.5)
        weight.requiresGrad = true
        let readout = random.normal([1, 27], standardDeviation: 0.5)
        func critic(_ input: Tensor) -> Tensor {
            linear(conv2d(input, weight: weight, stride: 2, padding: 1).tanh().reshaped([input.shape[0], 27]), weight: readout)
        }
        let real = random.uniform([2, 1, 6, 6], low: -1, high: 1), fake = random.uniform([2, 1, 6, 6], low: -1, high: 1)
        let mixing = Tensor([0.3, 0.7])
        func penalty() -> Tensor { gradientPenalty(critic: critic, real: real, fake: fake, mixing: mixing) }
        let analytic = gradients(of: penalty(), withRespectTo: [weight])[0]
        var numeric: [Double] = []
        for index in 0..<weight.count {
            let original = weight.scalars[index], step: Float = 1e-2
            func shifted(_ delta: Float) -> Double {
                weight.withUnsafeMutableBufferPointer { $0[index] = original + delta }
                return Double(penalty().item)  // recorded: the penalty needs its input gradient
            }
            numeric.append((shifted(step) - shifted(-step)) / (2 * Double(step)))
            weight.withUnsafeMutableBufferPointer { $0[index] = original }
        }
        expectClose(analytic, numeric, "∂gp/∂conv weight", tolerance: Tolerance(absolute: 2e-3, relative: 2e-2))
    }

    /// A few steps of each loss run and give finite losses; the discriminator learns to separate a
    /// fixed real batch from the untrained generator's samples.
    @Test(arguments: AdversarialLoss.allCases)
    func trainingStepsRun(loss: AdversarialLoss) {
        let random = RandomGenerator(seed: 3)
        let step = AdversarialTrainingStep(generator: DCGANGenerator(generator: random),
                                           discriminator: DCGANDiscriminator(batchNormalization: loss != .wassersteinGradientPenalty, generator: random),
                                           loss: loss)
        let real = random.uniform([4, 1, 28, 28], low: 0.5, high: 1)
        var losses: [AdversarialStepLosses] = []
        for _ in 0..<3 {
            losses.append(step(real: real, discriminatorNoise: random.normal([4, 100]), generatorNoise: random.normal([4, 100]),
                               mixing: random.uniform([4])))
        }
        #expect(losses.allSatisfy { $0.discriminator.isFinite && $0.generator.isFinite }, "\(loss): \(losses)")
    }
}
