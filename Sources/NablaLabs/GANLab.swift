import Foundation
import Nabla
import NablaData
import NablaGenerative
import NablaNN
import NablaOptim
import NablaTrain
import NablaViz

/// A DCGAN on Fashion-MNIST, judged by a Fréchet distance against a VAE trained in the same run.
/// (Lecture: generative adversarial networks.)
///
/// A generator maps noise z ~ N(0, I) to a 28×28 image and a discriminator tells real images from
/// generated ones; they are trained against each other, one discriminator and one generator Adam step
/// per batch (the issue's DCGAN: Linear → 128×7×7 → two transposed convolutions with batch norm; two
/// strided convolutions and a linear layer). `loss` picks the game: `nonsaturating` (the generator
/// maximises log D(G(z)), DCGAN's choice), `original` (it minimises log(1 − D(G(z))), Goodfellow's
/// minimax, whose gradient vanishes while D wins) or `wgan-gp` (a Wasserstein critic without batch norm
/// and a gradient penalty of weight 10).
///
/// Quality is the Fréchet distance between the features of generated and test images, the features
/// being the penultimate layer of a Fashion-MNIST classifier trained first in the same run
/// (`FashionFeatureNetwork`; not Inception, so the figures compare within this lab only). Baseline: a
/// VAE (784 → 512 → 256 → 20-D latent, Bernoulli decoder) trained in the same run; its prior samples'
/// Fréchet distance is what the GAN must beat. The headline is the ratio of the two.
public struct GANLab: Lab {
    public init() {}

    public var name: String { "gan" }
    public var lecture: String { "Generative adversarial networks" }
    public var summary: String { "DCGAN on Fashion-MNIST: fixed-noise samples as an animation, losses, Fréchet distance against a VAE" }
    public var baseline: Baseline {
        Baseline(metric: "fid_ratio_to_vae", value: 1, higherIsBetter: false,
                 source: "the Fréchet distance of the DCGAN's samples over that of a VAE (20-D latent) trained in the same run, "
                     + "both against the test images in the features of a Fashion-MNIST classifier trained in the same run: below 1 "
                     + "(quick: 1.5, a few hundred steps)",
                 quickValue: 1.5)
    }

    public var settings: [LabSetting] {
        [.integer("training_examples", 60_000, quick: 6_000, in: 64...60_000, "Fashion-MNIST training images"),
         .integer("test_examples", 10_000, quick: 2_000, in: 10...10_000, "test images the Fréchet distance compares with"),
         .integer("samples", 10_000, quick: 2_000, in: 10...100_000, "generated images for the final Fréchet distance"),
         .integer("epochs", 5, quick: 2, in: 1...1000, "GAN passes over the training images"),
         .choice("loss", AdversarialLoss.nonsaturating.rawValue, among: AdversarialLoss.allCases.map(\.rawValue),
                 "nonsaturating (DCGAN), original (minimax) or wgan-gp (critic without batch norm, penalty 10)"),
         .integer("batch_size", 64, quick: 32, in: 2...4096, "images per batch"),
         .real("learning_rate", 2e-4, quick: 5e-4, in: 1e-6...1, "Adam's learning rate for both networks (betas 0.5, 0.999)"),
         .integer("frames_per_epoch", 4, quick: 8, in: 1...100, "frames of the fixed-noise animation per epoch"),
         .integer("feature_epochs", 5, quick: 2, in: 1...100, "epochs of the feature classifier"),
         .integer("vae_epochs", 10, quick: 2, in: 1...1000, "epochs of the baseline VAE")]
    }

    public var tinySettings: [String] {
        ["training_examples=64", "test_examples=32", "samples=32", "epochs=1", "batch_size=32", "frames_per_epoch=2",
         "feature_epochs=1", "vae_epochs=1"]
    }

    /// Generated images for `count` noise vectors from `random`, as (count, 1, 28, 28) in [0, 1], made
    /// `chunk` at a time by `make` (noise (n, latent) → images in [0, 1]).
    static func generate(count: Int, latentSize: Int, random: RandomGenerator, chunk: Int = 500, _ make: (Tensor) -> Tensor) -> Tensor {
        var parts: [Tensor] = []
        for start in stride(from: 0, to: count, by: chunk) {
            parts.append(withoutGradients { make(random.normal([min(chunk, count - start), latentSize])) }.reshaped([-1, 1, 28, 28]))
        }
        return Tensor.concat(parts, axis: 0).contiguous()
    }

    public func run(_ context: LabContext) throws -> LabResult {
        let values = context.settings
        let (epochs, batchSize, sampleCount) = (values.integer("epochs"), values.integer("batch_size"), values.integer("samples"))
        let trainingCount = values.integer("training_examples")
        guard batchSize <= trainingCount else {
            throw LabError("batch_size \(batchSize) is larger than training_examples \(trainingCount); lower batch_size or use more images")
        }
        guard let loss = AdversarialLoss(rawValue: values.text("loss")) else { throw LabError("unknown loss '\(values.text("loss"))'") }
        let data = context.generator(stream: 0)
        let training = try VAELab.Images.load(.training, count: trainingCount, generator: data, folder: context.dataFolder)
        let test = try VAELab.Images.load(.test, count: values.integer("test_examples"), generator: data, folder: context.dataFolder)

        // 1. The feature network, and the test set's feature statistics.
        let features = FashionFeatureNetwork(generator: context.generator(stream: 1))
        guard let featureAccuracy = try features.train(training: training.pixels, trainingLabels: training.labels, test: test.pixels,
                                                       testLabels: test.labels, epochs: values.integer("feature_epochs"),
                                                       generator: context.generator(stream: 1), trainer: context) else { return .interrupted }
        let testStatistics = try features.statistics(test.pixels, name: "the test images")
        context.log(String(format: "feature classifier: test accuracy %.4f", featureAccuracy))

        // 2. The baseline: a VAE's prior samples.
        let vaeRandom = context.generator(stream: 2)
        let vae = VariationalAutoEncoder(latentSize: 20, generator: vaeRandom)
        let vaeTask = VAETrainingTask(model: vae, optimizer: Adam(vae.parameters(), configuration: .init(learningRate: 1e-3)),
                                      training: training.pixels, test: test.pixels, batchSize: 128, beta: 1, generator: vaeRandom,
                                      evaluationSeed: vaeRandom.next())
        guard try context.train(vaeTask, epochs: values.integer("vae_epochs"), stage: "vae").isOver else { return .interrupted }
        let vaeSamples = Self.generate(count: sampleCount, latentSize: 20, random: RandomGenerator(seed: context.seed &+ 101)) {
            vae.decode($0).sigmoid()
        }
        let vaeDistance = try features.frechetDistance(images: vaeSamples, to: testStatistics)

        // 3. The GAN.
        let ganRandom = context.generator(stream: 3)
        let step = AdversarialTrainingStep(generator: DCGANGenerator(generator: ganRandom),
                                           discriminator: DCGANDiscriminator(batchNormalization: loss != .wassersteinGradientPenalty, generator: ganRandom),
                                           loss: loss, learningRate: values.real("learning_rate"))
        let fidNoise = RandomGenerator(seed: context.seed &+ 102).normal([min(sampleCount, 1000), 100])
        let task = GANTrainingTask(step: step, training: (training.pixels * 2 - 1).reshaped([-1, 1, 28, 28]).contiguous(), batchSize: batchSize,
                                   generator: ganRandom, fixedNoise: RandomGenerator(seed: context.seed &+ 103).normal([64, 100]),
                                   framesPerEpoch: values.integer("frames_per_epoch"), fidNoise: fidNoise, features: features,
                                   testStatistics: testStatistics)
        let outcome = try context.train(task, epochs: epochs, stage: "gan")
        guard outcome.isOver else { return .interrupted }
        let ganSamples = Self.generate(count: sampleCount, latentSize: 100, random: RandomGenerator(seed: context.seed &+ 104)) {
            (task.samples($0) + 1) * 0.5
        }
        let ganDistance = try features.frechetDistance(images: ganSamples, to: testStatistics)
        let realCount = min(sampleCount, training.count)
        let realDistance = try features.frechetDistance(images: training.pixels.sliced(axis: 0, start: 0, end: realCount).contiguous(),
                                                        to: testStatistics)
        let ratio = ganDistance / vaeDistance
        context.log(String(format: "Fréchet distance to the test images: DCGAN %.3f, VAE %.3f (ratio %.4f); training images %.3f",
                           ganDistance, vaeDistance, ratio, realDistance))
        let sections = Self.sections(task: task, outcome: outcome, loss: loss, test: test, ganSamples: ganSamples, vaeSamples: vaeSamples,
                                     features: features, distances: (ganDistance, vaeDistance, realDistance), featureAccuracy: featureAccuracy)
        return LabResult(headline: ratio, summary: [("fid_gan", ganDistance), ("fid_vae", vaeDistance), ("fid_training_images", realDistance),
                                                    ("feature_classifier_accuracy", featureAccuracy), ("samples", sampleCount)],
                         sections: sections)
    }

    static func sections(task: GANTrainingTask, outcome: TrainingOutcome, loss: AdversarialLoss, test: VAELab.Images, ganSamples: Tensor,
                         vaeSamples: Tensor, features: FashionFeatureNetwork, distances: (gan: Double, vae: Double, real: Double),
                         featureAccuracy: Double) -> [ReportSection] {
        let perEpoch = Double(task.batchesPerEpoch)
        let frames = (0..<task.frames.count).map { index in
            ImageGrid(batch: task.frame(index), columns: 8, upscale: 2,
                      title: String(format: "step %d (epoch %.2f)", task.frameSteps[index], Double(task.frameSteps[index]) / perEpoch)).rendered()
        }
        let shown = 64
        func grid(_ images: Tensor, _ title: String) -> ImageGrid {
            ImageGrid(batch: images.sliced(axis: 0, start: 0, end: min(shown, images.shape[0])).contiguous(), columns: 8, upscale: 2, title: title)
        }
        let real = test.pixels.sliced(axis: 0, start: 0, end: min(shown, test.count)).reshaped([-1, 1, 28, 28]).contiguous()
        let steps = task.frameSteps.dropFirst().map(Double.init)
        let epochs = (1...max(outcome.state.metrics.count, 1)).map(Double.init).prefix(outcome.state.metrics.count)
        let fids = outcome.state.metrics.compactMap { $0["fid"] }
        let lossName = loss == .wassersteinGradientPenalty ? "critic (penalty included)" : "discriminator"
        // The share of samples the classifier puts in each class: a collapsed generator fills few classes.
        let ganClasses = features.predictions(ganSamples), vaeClasses = features.predictions(vaeSamples), testClasses = features.predictions(test.pixels)
        func share(_ classes: [Int], _ label: Int) -> String {
            String(format: "%.3f", Double(classes.filter { $0 == label }.count) / Double(max(classes.count, 1)))
        }
        return [
            .animation("Fixed-noise samples during training", frames: frames, frameSeconds: 0.3,
                       caption: "The same 64 noise vectors through the generator (evaluation mode) before training and \(task.framesPerEpoch) "
                           + "times an epoch: blobs become outlines, then garments with grey levels."),
            ReportSection(title: "Test images, DCGAN samples and VAE samples",
                          caption: "Left: test images. Middle: the generator's final images for the fixed noise. Right: the baseline VAE's "
                              + "decoded prior samples (pixel probabilities), blurrier and greyer than either.",
                          content: .figures([(grid(real, "test images"), "test images"), (grid(task.frame(task.frames.count - 1), "DCGAN"), "DCGAN samples"),
                                             (grid(vaeSamples, "VAE"), "VAE samples")])),
            .lineChart("Losses between frames", xLabel: "step", yLabel: "loss",
                       series: [.init(name: lossName, x: steps, y: task.discriminatorCurve), .init(name: "generator", x: steps, y: task.generatorCurve)],
                       caption: "Mean losses over the steps between two frames. Neither falls to zero: each network's gain is the other's loss."),
            .lineChart("Fréchet distance per epoch", xLabel: "epoch", yLabel: "Fréchet distance",
                       series: [.init(name: "DCGAN (\(task.fidNoise.shape[0]) samples)", x: Array(epochs), y: fids),
                                .init(name: "VAE (final)", x: Array(epochs), y: epochs.map { _ in distances.vae })],
                       caption: "Between the features of generated and test images; lower is closer to the data."),
            .table("Result", headers: ["quantity", "value"], rows: [
                ["Fréchet distance, DCGAN samples (\(ganSamples.shape[0]))", String(format: "%.3f", distances.gan)],
                ["Fréchet distance, VAE samples (\(vaeSamples.shape[0]))", String(format: "%.3f", distances.vae)],
                ["Fréchet distance, training images (the floor)", String(format: "%.3f", distances.real)],
                ["feature classifier test accuracy", String(format: "%.4f", featureAccuracy)],
            ], caption: "Features: the penultimate 128 units of an MLP classifier trained on Fashion-MNIST in this run (not Inception)."),
            .table("Classes of the samples", headers: ["class", "test images", "DCGAN", "VAE"],
                   rows: FashionMNIST.classNames.indices.map {
                       [FashionMNIST.classNames[$0], share(testClasses, $0), share(ganClasses, $0), share(vaeClasses, $0)]
                   },
                   caption: "Share of images the feature classifier assigns to each class; a generator that collapsed onto a few modes leaves classes empty."),
        ]
    }
}
