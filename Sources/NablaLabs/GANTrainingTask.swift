import Foundation
import Nabla
import NablaCheckpoint
import NablaData
import NablaGenerative
import NablaNN
import NablaOptim
import NablaTrain

/// DCGAN training as one stage of a lab: images in [−1, 1], one discriminator (critic) and one generator
/// update per batch (`AdversarialTrainingStep`), every noise vector and WGAN-GP mixing weight drawn from
/// `generator` (saved with the checkpoint, so a resumed run draws the same).
///
/// Along the way it keeps what the report shows: the generator's images for a fixed set of noise
/// vectors (`frames`, taken before training and `framesPerEpoch` times an epoch, in evaluation mode so
/// the batch-norm statistics are not touched), the mean discriminator and generator losses between two
/// frames (the trainer's metrics get them per epoch as `train_loss` and `train_generator_loss`), and after each epoch the Fréchet distance of `fidNoise`'s samples to the test features.
/// Frames and curves go into the checkpoint, so a resumed run draws the same animation.
final class GANTrainingTask: TrainingTask {
    let step: AdversarialTrainingStep
    /// (N, 1, 28, 28) in [−1, 1].
    let training: Tensor
    let batchSize: Int
    let generator: RandomGenerator
    let fixedNoise: Tensor
    let framesPerEpoch: Int
    /// Samples per epoch for the Fréchet distance curve, and the feature statistics they are compared to.
    let fidNoise: Tensor
    let features: FashionFeatureNetwork
    let testStatistics: GaussianStatistics

    /// The fixed-noise images at each frame, grey levels quantised to bytes (0 ↔ −1, 255 ↔ 1).
    private(set) var frames: [[UInt8]] = []
    /// Optimiser steps at which a frame was taken.
    private(set) var frameSteps: [Int] = []
    /// Mean losses over the steps since the previous frame, one point per frame after the first.
    private(set) var discriminatorCurve: [Double] = []
    private(set) var generatorCurve: [Double] = []
    private var pending = (discriminator: 0.0, generator: 0.0, count: 0)
    private var stepCount = 0
    /// Noise whose batch statistics the generator's batch norms take before evaluation-mode sampling
    /// (`standStatistics`), and the step at which they last did.
    private lazy var standingNoise = RandomGenerator(seed: 0x5EED).normal([500, latentSize])
    private var stoodAtStep: Int?

    init(step: AdversarialTrainingStep, training: Tensor, batchSize: Int, generator: RandomGenerator, fixedNoise: Tensor,
         framesPerEpoch: Int, fidNoise: Tensor, features: FashionFeatureNetwork, testStatistics: GaussianStatistics) {
        precondition(training.rank == 4 && Array(training.shape.dropFirst()) == [1, 28, 28],
                     "GANTrainingTask: training images must be (N, 1, 28, 28), got \(training.shape)")
        self.step = step
        self.training = training
        self.batchSize = batchSize
        self.generator = generator
        self.fixedNoise = fixedNoise
        self.framesPerEpoch = framesPerEpoch
        self.fidNoise = fidNoise
        self.features = features
        self.testStatistics = testStatistics
        takeFrame()
    }

    var models: KeyValuePairs<String, Module> { ["generator": step.generatorNetwork, "discriminator": step.discriminatorNetwork] }
    var optimizers: KeyValuePairs<String, any Optimizer> {
        ["generator_adam": step.generatorOptimizer, "discriminator_adam": step.discriminatorOptimizer]
    }
    var generators: KeyValuePairs<String, RandomGenerator> { ["noise": generator] }
    var batchesPerEpoch: Int { (training.shape[0] + batchSize - 1) / batchSize }
    var latentSize: Int { step.generatorNetwork.latentSize }

    func epochBatches(epoch: Int) -> AnyIterator<Tensor> {
        let order = generator.permutation(training.shape[0])
        var start = 0
        return AnyIterator { [training, batchSize] in
            guard start < order.count else { return nil }
            defer { start += batchSize }
            return gatherRows(training, Array(order[start..<min(order.count, start + batchSize)]))
        }
    }

    func trainStep(_ batch: Tensor) throws -> StepResult {
        let count = batch.shape[0]
        let losses = step(real: batch, discriminatorNoise: generator.normal([count, latentSize]),
                          generatorNoise: generator.normal([count, latentSize]), mixing: generator.uniform([count]))
        let (discriminator, generatorLoss) = (Double(losses.discriminator), Double(losses.generator))
        let position = stepCount % batchesPerEpoch, frames = min(framesPerEpoch, batchesPerEpoch)
        stepCount += 1
        guard discriminator.isFinite && generatorLoss.isFinite else { return StepResult(loss: .nan, count: count) }
        pending = (pending.discriminator + discriminator, pending.generator + generatorLoss, pending.count + 1)
        // A frame at each 1/framesPerEpoch of the epoch, its last batch included.
        if (position + 1) * frames / batchesPerEpoch != position * frames / batchesPerEpoch {
            discriminatorCurve.append(pending.discriminator / Double(pending.count))
            generatorCurve.append(pending.generator / Double(pending.count))
            pending = (0, 0, 0)
            takeFrame()
        }
        return StepResult(loss: discriminator, count: count, metrics: [("generator_loss", generatorLoss)])
    }

    /// The generator's images for `noise`, in evaluation mode with standing statistics (the batch norms'
    /// statistics recomputed on 500 fixed noise vectors for the current weights), as (N, 1, 28, 28) in [−1, 1].
    func samples(_ noise: Tensor) -> Tensor {
        let network = step.generatorNetwork
        if stoodAtStep != stepCount {
            network.standStatistics(noise: standingNoise)
            stoodAtStep = stepCount
        }
        network.eval()
        defer { network.train() }
        return withoutGradients { network(noise) }
    }

    private func takeFrame() {
        frames.append(samples(fixedNoise).scalars.map { UInt8(((min(max($0, -1), 1) + 1) * 127.5).rounded()) })
        frameSteps.append(stepCount)
    }

    func evaluate(epoch: Int) throws -> [(key: String, value: Double)] {
        [("fid", try features.frechetDistance(images: (samples(fidNoise) + 1) * 0.5, to: testStatistics))]
    }

    /// Frame `index` as images (N, 1, 28, 28) in [0, 1].
    func frame(_ index: Int) -> Tensor {
        Tensor(frames[index].map { Float($0) / 255 }, shape: [fixedNoise.shape[0], 1, 28, 28])
    }

    /// Doubles are kept as their bits, so the curves come back exactly.
    private struct State: Codable {
        var frames: [[UInt8]], frameSteps: [Int], discriminatorCurve: [UInt64], generatorCurve: [UInt64]
        var pending: [UInt64], pendingCount: Int, stepCount: Int
    }

    func saveState(into checkpoint: inout TrainingCheckpoint) throws {
        try checkpoint.setRecord(State(frames: frames, frameSteps: frameSteps, discriminatorCurve: discriminatorCurve.map(\.bitPattern),
                                       generatorCurve: generatorCurve.map(\.bitPattern),
                                       pending: [pending.discriminator.bitPattern, pending.generator.bitPattern], pendingCount: pending.count, stepCount: stepCount), forKey: "gan")
    }

    func restoreState(from checkpoint: TrainingCheckpoint) throws {
        guard let state = try checkpoint.record(State.self, forKey: "gan"), state.pending.count == 2 else {
            throw RunFolderError("cannot resume: the checkpoint has no GAN training record ('gan') for this stage")
        }
        (frames, frameSteps, stepCount) = (state.frames, state.frameSteps, state.stepCount)
        discriminatorCurve = state.discriminatorCurve.map(Double.init(bitPattern:))
        generatorCurve = state.generatorCurve.map(Double.init(bitPattern:))
        pending = (Double(bitPattern: state.pending[0]), Double(bitPattern: state.pending[1]), state.pendingCount)
    }
}
