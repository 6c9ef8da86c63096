import Foundation
import Nabla
import NablaData
import NablaGenerative
import NablaNN
import NablaOptim
import NablaTrain
import NablaViz

/// The variational auto-encoder on Fashion-MNIST. (Lecture: auto-encoders and the VAE.)
///
/// An encoder maps an image to a Gaussian q(z | x) = N(μ(x), σ²(x)) over a small latent space, a
/// decoder maps a code z to Bernoulli pixel probabilities p(x | z), and both are trained together on
/// the evidence lower bound
///
///     log p(x) ≥ E_q[log p(x | z)] − KL(q(z | x) ‖ N(0, I)),
///
/// with z = μ + σ·ε so the gradient passes through the sampling (the reparameterisation trick). The KL
/// term packs the codes around the origin, so decoding any z drawn from N(0, I) gives an image: the
/// lab shows reconstructions, samples from the prior, where each class lands in a 2-D latent space, and
/// the images a grid of codes decodes to.
///
/// Baseline: the VAE's −ELBO per test image, an upper bound on its −log p(x), against the exact
/// −log p(x) of the simplest Bernoulli model, every pixel independent with the training set's mean
/// grey level (a "mean-image decoder" that ignores z). The headline is their ratio; below 1 means the
/// latent code carries real information about the image.
public struct VAELab: Lab {
    public init() {}

    public struct Settings: Equatable, Sendable {
        public var trainingExamples = 60_000
        public var testExamples = 10_000
        public var latentSize = 2
        public var batchSize = 128
        public var epochs = 20
        public var learningRate = 1e-3
        /// The KL weight: 1 is the VAE, other values a β-VAE.
        public var beta = 1.0

        public init() {}

        public static let full = Settings()
        public static var quick: Settings {
            var settings = Settings()
            settings.trainingExamples = 20_000
            settings.testExamples = 2_000
            settings.epochs = 5
            return settings
        }

        public func validate() throws {
            try requireSetting("training_examples", trainingExamples, in: 64...60_000)
            try requireSetting("test_examples", testExamples, in: 10...10_000)
            try requireSetting("latent", latentSize, in: 1...64)
            try requireSetting("batch_size", batchSize, in: 2...trainingExamples)
            try requireSetting("epochs", epochs, in: 1...1000)
            try requireSetting("learning_rate", learningRate, in: 1e-6...1)
            try requireSetting("beta", beta, in: 0...100)
        }
    }

    /// Images as flat rows of grey levels in [0, 1], with their classes.
    public struct Images {
        /// (count, 784).
        public let pixels: Tensor
        public let labels: [Int]
        public var count: Int { labels.count }

        public init(pixels: Tensor, labels: [Int]) {
            precondition(pixels.rank == 2 && pixels.shape[0] == labels.count,
                         "VAELab.Images: pixels \(pixels.shape) and \(labels.count) labels do not match")
            self.pixels = pixels
            self.labels = labels
        }

        /// `count` images drawn at random (from `generator`) out of one split of Fashion-MNIST.
        static func load(_ split: FashionMNIST.Split, count: Int, generator: RandomGenerator, folder: String?) throws -> Images {
            let data = try FashionMNIST(split, folder: folder)
            let picked = Array(generator.permutation(data.count).prefix(count))
            let (images, labels) = data.batch(at: picked)
            return Images(pixels: images.reshaped([picked.count, 784]).contiguous(), labels: labels.scalars.map { Int($0) })
        }
    }

    public struct Result {
        public let settings: Settings
        public let model: VariationalAutoEncoder
        /// −ELBO, its reconstruction term and its KL term, per test image (nats), after each epoch.
        public let testNegativeELBO: [Double]
        public let testReconstruction: [Double]
        public let testKL: [Double]
        /// −log p(x) per test image of independent Bernoulli pixels at the training mean (nats).
        public let meanImageNegativeLogLikelihood: Double

        public var finalNegativeELBO: Double { testNegativeELBO.last ?? .nan }
        /// The headline: −ELBO over the mean-image model's −log p(x); below 1 beats it.
        public var ratioToMeanImage: Double { finalNegativeELBO / meanImageNegativeLogLikelihood }
    }

    /// −log p(x) per image of `test` under independent Bernoulli pixels whose probabilities are the
    /// mean grey levels of `training` (clipped away from 0 and 1, where a pixel never lit would cost ∞).
    public static func meanImageNegativeLogLikelihood(training: Tensor, test: Tensor) -> Double {
        let width = training.shape[1]
        let trainingValues = training.scalars, testValues = test.scalars
        var means = [Double](repeating: 0, count: width)
        for row in 0..<training.shape[0] { for column in 0..<width { means[column] += Double(trainingValues[row * width + column]) } }
        let probabilities = means.map { min(max($0 / Double(training.shape[0]), 1e-4), 1 - 1e-4) }
        var total = 0.0
        for row in 0..<test.shape[0] {
            for column in 0..<width {
                let x = Double(testValues[row * width + column]), p = probabilities[column]
                total -= x * log(p) + (1 - x) * log(1 - p)
            }
        }
        return total / Double(test.shape[0])
    }

    /// Trains a VAE on `training` with Adam, one stage `vae` through `trainer` (a scratch one by
    /// default), and measures it on `test` after every epoch; nil when the training was interrupted.
    public static func run(settings: Settings, generator: RandomGenerator, training: Images, test: Images,
                           trainer: StageTrainer? = nil) throws -> Result? {
        try settings.validate()
        let trainer = try trainer ?? ScratchTrainer()
        let model = VariationalAutoEncoder(inputSize: training.pixels.shape[1], latentSize: settings.latentSize, generator: generator)
        let optimizer = Adam(model.parameters(), configuration: .init(learningRate: settings.learningRate))
        let task = VAETrainingTask(model: model, optimizer: optimizer, training: training.pixels, test: test.pixels,
                                   batchSize: settings.batchSize, beta: Float(settings.beta), generator: generator,
                                   evaluationSeed: generator.next())
        let outcome = try trainer.train(task, epochs: settings.epochs, stage: "vae")
        guard outcome.isOver else { return nil }
        let rows = outcome.state.metrics
        return Result(settings: settings, model: model, testNegativeELBO: rows.compactMap { $0["test_negative_elbo"] },
                      testReconstruction: rows.compactMap { $0["test_reconstruction"] }, testKL: rows.compactMap { $0["test_kl"] },
                      meanImageNegativeLogLikelihood: meanImageNegativeLogLikelihood(training: training.pixels, test: test.pixels))
    }

    // MARK: Figures

    static func canvases(_ rows: Tensor) -> [Canvas] {
        Canvas.images(fromBatch: rows.reshaped([rows.shape[0], 1, 28, 28]))
    }

    /// The first `count` test images (top of each pair of rows) and their reconstructions from the
    /// posterior mean (below), `columns` to a row.
    public static func reconstructions(_ result: Result, test: Images, count: Int = 20, columns: Int = 10) -> (images: [Canvas], columns: Int) {
        let shown = min(count, test.count)
        let inputs = test.pixels.sliced(axis: 0, start: 0, end: shown).contiguous()
        let outputs = withoutGradients { result.model(inputs).sigmoid() }
        let (inputImages, outputImages) = (canvases(inputs), canvases(outputs))
        var images: [Canvas] = []
        for start in stride(from: 0, to: shown, by: columns) {
            let end = min(start + columns, shown)
            images += inputImages[start..<end] + outputImages[start..<end]
        }
        return (images, min(columns, shown))
    }

    /// Decoded codes drawn from the prior N(0, I): the pixel probabilities (the mean image), not a
    /// Bernoulli draw, which would be speckled noise on grey-level data.
    public static func priorSamples(_ result: Result, count: Int, generator: RandomGenerator) -> [Canvas] {
        let codes = generator.normal([count, result.model.latentSize])
        return canvases(withoutGradients { result.model.decode(codes).sigmoid() })
    }

    /// The posterior means of the test images in the first two latent dimensions, coloured by class.
    public static func latentScatter(_ result: Result, test: Images) -> ScatterPlot {
        let means = withoutGradients { result.model.encode(test.pixels).mean }
        let values = means.scalars, width = means.shape[1]
        let second = width > 1 ? 1 : 0
        var plot = ScatterPlot(width: 640, height: 520, title: "Latent space (posterior means)",
                               xLabel: "z1", yLabel: width > 1 ? "z2" : "z1",
                               x: (0..<test.count).map { Double(values[$0 * width]) },
                               y: (0..<test.count).map { Double(values[$0 * width + second]) },
                               classes: test.labels, classNames: FashionMNIST.classNames)
        plot.markerSize = 4
        plot.opacity = 0.6
        return plot
    }

    /// Φ⁻¹(p), the standard normal quantile for p in (0, 1): Acklam's rational approximation (off by up
    /// to about 1e-5 in the tails) refined by one Halley step on Φ(x) − p, with Φ from `erfc`.
    static func normalQuantile(_ p: Double) -> Double {
        let x = roughNormalQuantile(p)
        let error = 0.5 * erfc(-x / 2.0.squareRoot()) - p
        let step = error * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        return x - step / (1 + x * step / 2)
    }

    static func roughNormalQuantile(_ p: Double) -> Double {
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549671010321255e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        if p < 0.02425 {
            let q = (-2 * log(p)).squareRoot()
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p > 1 - 0.02425 { return -roughNormalQuantile(1 - p) }
        let q = p - 0.5, r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }

    /// The decoded manifold of a 2-D latent space: codes at the prior's quantiles 0.05 … 0.95 on a
    /// `side` × `side` grid (z1 left to right, z2 bottom to top), as Kingma & Welling draw it.
    public static func manifold(_ result: Result, side: Int = 15) -> [Canvas] {
        precondition(result.model.latentSize == 2, "VAELab.manifold: needs a 2-D latent space, got \(result.model.latentSize)")
        let quantiles = (0..<side).map { normalQuantile(0.05 + 0.9 * Double($0) / Double(max(side - 1, 1))) }
        var codes: [Float] = []
        for row in 0..<side { for column in 0..<side { codes += [Float(quantiles[column]), Float(quantiles[side - 1 - row])] } }
        return canvases(withoutGradients { result.model.decode(Tensor(codes, shape: [side * side, 2])).sigmoid() })
    }

    /// −ELBO and its two terms per test image after each epoch.
    public static func boundChart(_ result: Result) -> LineChart {
        let epochs = (1...max(result.testNegativeELBO.count, 1)).map(Double.init).prefix(result.testNegativeELBO.count)
        let baseline = [Double](repeating: result.meanImageNegativeLogLikelihood, count: epochs.count)
        return LineChart(title: "Test bound per image", xLabel: "epoch", yLabel: "nats per image",
                         series: [.init(name: "-ELBO", x: Array(epochs), y: result.testNegativeELBO),
                                  .init(name: "reconstruction", x: Array(epochs), y: result.testReconstruction),
                                  .init(name: "KL", x: Array(epochs), y: result.testKL),
                                  .init(name: "mean-image model", x: Array(epochs), y: baseline)])
    }
}

/// Mini-batch training of a VAE on flat images: batches in a fresh random order each epoch and the
/// reparameterisation noise both drawn from `generator` (saved with the checkpoint, so a resumed run
/// draws the same), and after each epoch the test −ELBO with noise from a fixed seed.
final class VAETrainingTask: TrainingTask {
    let model: VariationalAutoEncoder
    let optimizer: any Optimizer
    let training: Tensor
    let test: Tensor
    let batchSize: Int
    let beta: Float
    let generator: RandomGenerator
    let evaluationSeed: UInt64

    init(model: VariationalAutoEncoder, optimizer: any Optimizer, training: Tensor, test: Tensor, batchSize: Int, beta: Float,
         generator: RandomGenerator, evaluationSeed: UInt64) {
        self.model = model
        self.optimizer = optimizer
        self.training = training
        self.test = test
        self.batchSize = batchSize
        self.beta = beta
        self.generator = generator
        self.evaluationSeed = evaluationSeed
    }

    var models: KeyValuePairs<String, Module> { ["vae": model] }
    var optimizers: KeyValuePairs<String, any Optimizer> { ["optimizer": optimizer] }
    var generators: KeyValuePairs<String, RandomGenerator> { ["data": generator] }
    var batchesPerEpoch: Int { (training.shape[0] + batchSize - 1) / batchSize }

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
        let noise = generator.normal([batch.shape[0], model.latentSize])
        let bound = model.negativeEvidenceLowerBound(batch, noise: noise, beta: beta)
        minimize(bound.loss, with: optimizer)
        return StepResult(loss: Double(bound.loss.item), count: batch.shape[0])
    }

    func evaluate(epoch: Int) throws -> [(key: String, value: Double)] {
        withoutGradients {
            let noise = RandomGenerator(seed: evaluationSeed).normal([test.shape[0], model.latentSize])
            let bound = model.negativeEvidenceLowerBound(test, noise: noise)
            return [("test_negative_elbo", Double(bound.reconstruction.item + bound.klDivergence.item)),
                    ("test_reconstruction", Double(bound.reconstruction.item)), ("test_kl", Double(bound.klDivergence.item))]
        }
    }
}

// MARK: The lab

extension VAELab {
    public var name: String { "vae" }
    public var lecture: String { "Auto-encoders and the VAE" }
    public var summary: String { "a VAE with a 2-D latent space on Fashion-MNIST: reconstructions, prior samples, latent map, manifold" }
    public var baseline: Baseline {
        Baseline(metric: "elbo_to_mean_image_ratio", value: 0.72, higherIsBetter: false,
                 source: "the test -ELBO per image over the exact -log p(x) of independent Bernoulli pixels at the training mean "
                     + "(a decoder that ignores z), at most 0.72 (0.8 quick)",
                 quickValue: 0.8)
    }

    public var settings: [LabSetting] {
        let (full, quick) = (Settings.full, Settings.quick)
        return [.integer("training_examples", full.trainingExamples, quick: quick.trainingExamples, in: 64...60_000, "Fashion-MNIST training images used"),
                .integer("test_examples", full.testExamples, quick: quick.testExamples, in: 10...10_000, "test images the bound is measured on"),
                .integer("latent", full.latentSize, in: 1...64, "dimensions of the latent space (the scatter and manifold need 2)"),
                .integer("batch_size", full.batchSize, in: 2...60_000, "images per mini-batch"),
                .integer("epochs", full.epochs, quick: quick.epochs, in: 1...1000, "passes over the training images"),
                .real("learning_rate", full.learningRate, in: 1e-6...1, "Adam's learning rate"),
                .real("beta", full.beta, in: 0...100, "weight of the KL term (1: the VAE; other values: a beta-VAE)")]
    }

    public var tinySettings: [String] { ["training_examples=256", "test_examples=64", "epochs=2", "batch_size=64"] }

    public func run(_ context: LabContext) throws -> LabResult {
        let values = context.settings
        var settings = Settings()
        settings.trainingExamples = values.integer("training_examples")
        settings.testExamples = values.integer("test_examples")
        settings.latentSize = values.integer("latent")
        settings.batchSize = values.integer("batch_size")
        settings.epochs = values.integer("epochs")
        settings.learningRate = values.real("learning_rate")
        settings.beta = values.real("beta")
        try settings.validate()
        let generator = context.generator()
        let training = try Images.load(.training, count: settings.trainingExamples, generator: generator, folder: context.dataFolder)
        let test = try Images.load(.test, count: settings.testExamples, generator: generator, folder: context.dataFolder)
        guard let result = try Self.run(settings: settings, generator: generator, training: training, test: test, trainer: context) else {
            return .interrupted
        }
        let ratio = result.ratioToMeanImage
        context.log(String(format: "test -ELBO %.2f nats per image (reconstruction %.2f + KL %.2f); mean-image model -log p(x) %.2f; ratio %.4f",
                           result.finalNegativeELBO, result.testReconstruction.last ?? .nan, result.testKL.last ?? .nan,
                           result.meanImageNegativeLogLikelihood, ratio))
        let (pairs, columns) = Self.reconstructions(result, test: test)
        var sections: [ReportSection] = [
            .imageGrid("Reconstructions", images: pairs, columns: columns, upscale: 2,
                       caption: "Test images (odd rows) and the decoder's pixel probabilities at their posterior mean (the row below): "
                           + "with \(settings.latentSize) latent dimension(s) the VAE keeps the shape and grey level, not the fine texture."),
            .imageGrid("Samples from the prior", images: Self.priorSamples(result, count: 64, generator: RandomGenerator(seed: context.seed &+ 17)),
                       columns: 8, upscale: 2,
                       caption: "z drawn from N(0, I) and decoded (pixel probabilities shown): the KL term makes the whole prior decode to clothes."),
            .figure("Latent space", Self.latentScatter(result, test: test),
                    caption: "Posterior means of \(test.count) test images"
                        + (settings.latentSize == 2 ? "" : " (first two of \(settings.latentSize) dimensions)") + ", coloured by class: "
                        + "classes the model finds alike (shirts, pullovers, coats) overlap, footwear and trousers have their own regions."),
        ]
        if settings.latentSize == 2 {
            sections.append(.imageGrid("Decoded manifold", images: Self.manifold(result), columns: 15, upscale: 1,
                                       caption: "Codes on a 15 x 15 grid at the prior's quantiles 0.05 ... 0.95 (z1 left to right, z2 bottom to top), decoded."))
        } else {
            sections.append(.text("Decoded manifold", "The decoded manifold is drawn for a 2-D latent space only (this run has latent = \(settings.latentSize))."))
        }
        sections.append(.figure("Test bound per epoch", Self.boundChart(result),
                                caption: "-ELBO per test image and its two terms; the flat line is the mean-image model's exact -log p(x)."))
        sections.append(.table("Result", headers: ["model", "nats per test image"], rows: [
            ["VAE -ELBO (upper bound on -log p(x))", String(format: "%.2f", result.finalNegativeELBO)],
            ["  reconstruction term", String(format: "%.2f", result.testReconstruction.last ?? .nan)],
            ["  KL term", String(format: "%.2f", result.testKL.last ?? .nan)],
            ["mean-image Bernoulli model -log p(x)", String(format: "%.2f", result.meanImageNegativeLogLikelihood)],
        ]))
        return LabResult(headline: ratio, summary: [("test_negative_elbo", result.finalNegativeELBO),
                                                    ("test_reconstruction", result.testReconstruction.last ?? .nan),
                                                    ("test_kl", result.testKL.last ?? .nan),
                                                    ("mean_image_negative_log_likelihood", result.meanImageNegativeLogLikelihood)],
                         sections: sections)
    }
}
