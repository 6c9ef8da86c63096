import Foundation
import Nabla
import NablaGenerative
import NablaViz
import Testing
@testable import NablaLabs

@Suite struct GANLabTests {
    /// A feature network (untrained: any fixed map will do) gives distance ≈ 0 between a set and
    /// itself, and a clearly larger one to a different set.
    @Test func featureDistanceOfASetToItselfIsZero() throws {
        let network = FashionFeatureNetwork(generator: RandomGenerator(seed: 1))
        let images = VAELabTests.bandImages(count: 200, seed: 2)
        let statistics = try network.statistics(images.pixels, name: "bands")
        #expect(statistics.width == FashionFeatureNetwork.featureWidth)
        let same = try network.frechetDistance(images: images.pixels, to: statistics)
        #expect(abs(same) < 1e-6 * max(1, statistics.covariance.reduce(0) { $0 + abs($1) }), "\(same)")
        let noise = RandomGenerator(seed: 3).uniform([200, 784])
        #expect(try network.frechetDistance(images: noise, to: statistics) > 1e-2)
        #expect(network.predictions(images.pixels).count == 200)
    }

    /// Two epochs of DCGAN training on stand-in images through the scratch trainer: one frame before
    /// training and `framesPerEpoch` per epoch, a loss point between frames, a finite Fréchet distance
    /// per epoch, and the animation's frames and sample grids render.
    @Test func trainingKeepsFramesCurvesAndDistances() throws {
        let random = RandomGenerator(seed: 4)
        let images = VAELabTests.bandImages(count: 32, seed: 5)
        let features = FashionFeatureNetwork(generator: random)
        let statistics = try features.statistics(images.pixels, name: "bands")
        let step = AdversarialTrainingStep(generator: DCGANGenerator(generator: random), discriminator: DCGANDiscriminator(generator: random),
                                           loss: .nonsaturating)
        let task = GANTrainingTask(step: step, training: (images.pixels * 2 - 1).reshaped([32, 1, 28, 28]).contiguous(), batchSize: 16,
                                   generator: random, fixedNoise: RandomGenerator(seed: 6).normal([4, 100]), framesPerEpoch: 2,
                                   fidNoise: RandomGenerator(seed: 7).normal([8, 100]), features: features, testStatistics: statistics)
        let outcome = try ScratchTrainer().train(task, epochs: 2, stage: "gan")
        #expect(outcome.isOver)
        #expect(task.frames.count == 5 && task.frameSteps == [0, 1, 2, 3, 4])
        #expect(task.discriminatorCurve.count == 4 && task.generatorCurve.count == 4)
        #expect(task.discriminatorCurve.allSatisfy { $0.isFinite && $0 > 0 })
        let fids = outcome.state.metrics.compactMap { $0["fid"] }
        #expect(fids.count == 2 && fids.allSatisfy { $0.isFinite && $0 >= 0 }, "\(fids)")
        #expect(outcome.state.metrics.allSatisfy { $0["train_generator_loss"]?.isFinite == true })
        let frame = task.frame(4)
        #expect(frame.shape == [4, 1, 28, 28] && frame.scalars.allSatisfy { (0...1).contains($0) })
        // The last frame is the generator's current output for the fixed noise, quantised to bytes.
        let current = (task.samples(RandomGenerator(seed: 6).normal([4, 100])) + 1) * 0.5
        #expect(zip(frame.scalars, current.scalars).allSatisfy { abs($0 - $1) <= 0.5 / 255 + 1e-6 })
        let samples = GANLab.generate(count: 10, latentSize: 100, random: RandomGenerator(seed: 8), chunk: 4) { (task.samples($0) + 1) * 0.5 }
        #expect(samples.shape == [10, 1, 28, 28])
        let sections = GANLab.sections(task: task, outcome: outcome, loss: .nonsaturating, test: images, ganSamples: samples,
                                       vaeSamples: samples, features: features, distances: (1, 2, 0.5), featureAccuracy: 0.5)
        guard case .animation(let frames, _, _) = sections[0].content else { Issue.record("the first section is not the animation"); return }
        #expect(frames.count == 5 && frames[0].width > 0)
        #expect(sections.count == 6)
    }
}
