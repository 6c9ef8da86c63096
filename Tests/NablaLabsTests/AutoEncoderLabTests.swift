import Foundation
import Nabla
import NablaOptim
import NablaTrain
import Testing
@testable import NablaLabs

@Suite struct AutoEncoderLabTests {
    /// PCA with as many components as the data has distinct directions reconstructs it exactly; with
    /// fewer, the error is positive and falls as components are added.
    @Test func pcaReconstructionErrorFallsWithComponents() throws {
        let images = VAELabTests.bandImages(count: 80, seed: 1).pixels
        let errors = try [1, 4, 16].map { try AutoEncoderLab.pcaReconstruction(training: images, test: images, components: $0).mse }
        #expect(errors[0] > errors[1] && errors[1] > errors[2] && errors[2] >= 0, "\(errors)")
        let rebuilt = try AutoEncoderLab.pcaReconstruction(training: images, test: images, components: 4).reconstructions
        #expect(rebuilt.shape == images.shape && rebuilt.scalars.allSatisfy { (0...1).contains($0) })
    }

    /// A few epochs on stand-in images lower the test error; the denoising variant corrupts inputs
    /// within [0, 1] and leaves them alone when its noise is 0.
    @Test func trainingLowersTheTestErrorAndNoiseStaysInRange() throws {
        let training = VAELabTests.bandImages(count: 128, seed: 2).pixels, test = VAELabTests.bandImages(count: 32, seed: 3).pixels
        let random = RandomGenerator(seed: 4)
        let model = AutoEncoderTask.makeModel(code: 4, generator: random)
        let task = AutoEncoderTask(model: model, optimizer: Adam(model.parameters(), configuration: .init(learningRate: 3e-3)),
                                   training: training, test: test, batchSize: 32, noise: 0.3, generator: random)
        let outcome = try ScratchTrainer().train(task, epochs: 3, stage: "autoencoder")
        let errors = outcome.state.metrics.compactMap { $0["test_mse"] }
        #expect(errors.count == 3 && errors.last! < errors.first!, "\(errors)")
        let noisy = task.corrupt(test, RandomGenerator(seed: 5))
        #expect(noisy.scalars.allSatisfy { (0...1).contains($0) } && noisy.scalars != test.scalars)
        let plain = AutoEncoderTask(model: model, optimizer: Adam(model.parameters()), training: training, test: test, batchSize: 32,
                                    noise: 0, generator: random)
        #expect(plain.corrupt(test, RandomGenerator(seed: 5)).scalars == test.scalars)
    }
}
