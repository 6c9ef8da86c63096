import Foundation
import Nabla
import NablaClassic
import NablaData
import NablaNN
import NablaOptim
import NablaTrain
import NablaViz

/// An auto-encoder on Fashion-MNIST against PCA with as many components as the code has units.
/// (Lecture: auto-encoders.)
///
///     encoder  x (N, 784) → Linear 512 → ReLU → Linear 256 → ReLU → Linear code
///     decoder  code → Linear 256 → ReLU → Linear 512 → ReLU → Linear 784 → sigmoid
///
/// trained with Adam on the mean squared reconstruction error. With `noise` > 0 it is a denoising
/// auto-encoder: the encoder sees x + N(0, noise²) (clipped to [0, 1]) and the loss compares with the
/// clean x. PCA is the best *linear* code of the same size (the auto-encoder without its ReLUs reaches
/// at best the same error), so the ratio of the two test errors says what the non-linear layers buy.
public struct AutoEncoderLab: Lab {
    public init() {}

    public var name: String { "autoencoder" }
    public var lecture: String { "Auto-encoders" }
    public var summary: String { "an MLP auto-encoder (optionally denoising) on Fashion-MNIST against PCA with the same code size" }
    public var baseline: Baseline {
        Baseline(metric: "mse_ratio_to_pca", value: 0.85, higherIsBetter: false,
                 source: "test reconstruction MSE over that of PCA with as many components as the code, fitted in the same run on the "
                     + "same training images: at most 0.85 (1.0 quick)", quickValue: 1.0)
    }

    public var settings: [LabSetting] {
        [.integer("training_examples", 60_000, quick: 10_000, in: 64...60_000, "Fashion-MNIST training images"),
         .integer("test_examples", 10_000, quick: 2_000, in: 10...10_000, "test images the error is measured on"),
         .integer("code", 16, in: 1...256, "units of the code (and PCA components)"),
         .real("noise", 0, in: 0...1, "standard deviation of the Gaussian noise added to the encoder's input (0: a plain auto-encoder)"),
         .integer("batch_size", 128, quick: 64, in: 2...60_000, "images per mini-batch"),
         .integer("epochs", 20, quick: 12, in: 1...1000, "passes over the training images"),
         .real("learning_rate", 1e-3, in: 1e-6...1, "Adam's learning rate")]
    }

    public var tinySettings: [String] { ["training_examples=128", "test_examples=64", "epochs=2", "batch_size=64"] }

    /// Test MSE per pixel of PCA with `components` components fitted on `training` (rows in [0, 1]),
    /// and its reconstructions of `test`.
    static func pcaReconstruction(training: Tensor, test: Tensor, components: Int) throws -> (mse: Double, reconstructions: Tensor) {
        let model = try PrincipalComponentAnalysis(componentCount: min(components, training.shape[0], training.shape[1])).fit(Matrix(training))
        let rebuilt = model.inverseTransform(try model.transform(Matrix(test)))
        let values = test.scalars
        let error = zip(rebuilt.values, values).reduce(0.0) { $0 + ($1.0 - Double($1.1)) * ($1.0 - Double($1.1)) } / Double(values.count)
        return (error, Tensor(rebuilt.values.map { Float(min(max($0, 0), 1)) }, shape: test.shape))
    }

    public func run(_ context: LabContext) throws -> LabResult {
        let values = context.settings
        let code = values.integer("code"), noise = Float(values.real("noise"))
        let trainingCount = values.integer("training_examples"), batchSize = values.integer("batch_size")
        guard batchSize <= trainingCount else { throw LabError("batch_size \(batchSize) is larger than training_examples \(trainingCount)") }
        let data = context.generator(stream: 0)
        let training = try VAELab.Images.load(.training, count: trainingCount, generator: data, folder: context.dataFolder)
        let test = try VAELab.Images.load(.test, count: values.integer("test_examples"), generator: data, folder: context.dataFolder)
        let random = context.generator(stream: 1)
        let model = AutoEncoderTask.makeModel(code: code, generator: random)
        let task = AutoEncoderTask(model: model, optimizer: Adam(model.parameters(), configuration: .init(learningRate: values.real("learning_rate"))),
                                   training: training.pixels, test: test.pixels, batchSize: batchSize, noise: noise, generator: random)
        let outcome = try context.train(task, epochs: values.integer("epochs"), stage: "autoencoder")
        guard outcome.isOver else { return .interrupted }
        let errors = outcome.state.metrics.compactMap { $0["test_mse"] }
        let mse = errors.last ?? .nan
        let pca = try Self.pcaReconstruction(training: training.pixels, test: test.pixels, components: code)
        let ratio = mse / pca.mse
        context.log(String(format: "test MSE per pixel: auto-encoder %.5f, PCA (%d components) %.5f; ratio %.4f", mse, code, pca.mse, ratio))

        let shown = min(10, test.count)
        let inputs = test.pixels.sliced(axis: 0, start: 0, end: shown).contiguous()
        let noisy = task.corrupt(inputs, RandomGenerator(seed: context.seed &+ 5))
        let outputs = withoutGradients { model(noisy) }
        var rows = [inputs] + (noise > 0 ? [noisy] : []) + [outputs, pca.reconstructions.sliced(axis: 0, start: 0, end: shown).contiguous()]
        rows = rows.map { $0.reshaped([shown, 1, 28, 28]) }
        let images = rows.flatMap { Canvas.images(fromBatch: $0) }
        let epochs = (1...max(errors.count, 1)).map(Double.init).prefix(errors.count)
        let codes = withoutGradients { model.encoder(test.pixels) }
        let embedding = try PrincipalComponentAnalysis(componentCount: min(2, code)).fit(Matrix(codes)).transform(Matrix(codes))
        let sections: [ReportSection] = [
            .imageGrid("Reconstructions", images: images, columns: shown, upscale: 2,
                       caption: "Rows: test images" + (noise > 0 ? ", the noisy input the encoder sees" : "")
                           + ", the auto-encoder's reconstruction, PCA's with \(code) components."),
            .lineChart("Test reconstruction error per epoch", xLabel: "epoch", yLabel: "MSE per pixel",
                       series: [.init(name: "auto-encoder", x: Array(epochs), y: errors),
                                .init(name: "PCA (\(code) components)", x: Array(epochs), y: epochs.map { _ in pca.mse })],
                       caption: "PCA is the best linear code of the same size; the auto-encoder must beat it with its non-linear layers."),
            .scatter("Codes of the test images", x: (0..<test.count).map { embedding[$0, 0] },
                     y: (0..<test.count).map { embedding.columnCount > 1 ? embedding[$0, 1] : 0 }, classes: test.labels,
                     classNames: FashionMNIST.classNames, xLabel: "PC 1 of the codes", yLabel: "PC 2 of the codes",
                     caption: "The \(code)-unit codes of the test images projected on their first two principal components, coloured by class "
                         + "(the labels were never seen in training)."),
            .table("Result", headers: ["model", "test MSE per pixel"],
                   rows: [["auto-encoder (code \(code)\(noise > 0 ? String(format: ", denoising %.2f", noise) : ""))", String(format: "%.5f", mse)],
                          ["PCA (\(code) components)", String(format: "%.5f", pca.mse)]]),
        ]
        return LabResult(headline: ratio, summary: [("test_mse", mse), ("pca_test_mse", pca.mse)], sections: sections)
    }
}

/// Mini-batch training of an auto-encoder on flat images in [0, 1] with the mean squared error, the
/// batch order and input noise drawn from `generator`; after each epoch the test MSE on clean inputs.
final class AutoEncoderTask: TrainingTask {
    final class Model: Module, Layer {
        let encoder: Sequential
        let decoder: Sequential
        init(encoder: Sequential, decoder: Sequential) {
            self.encoder = encoder
            self.decoder = decoder
        }
        func callAsFunction(_ images: Tensor) -> Tensor { decoder(encoder(images)).sigmoid() }
    }

    static func makeModel(code: Int, generator: RandomGenerator) -> Model {
        Model(encoder: Sequential([Linear(inputSize: 784, outputSize: 512, generator: generator), ReLU(),
                                   Linear(inputSize: 512, outputSize: 256, generator: generator), ReLU(),
                                   Linear(inputSize: 256, outputSize: code, generator: generator)]),
              decoder: Sequential([Linear(inputSize: code, outputSize: 256, generator: generator), ReLU(),
                                   Linear(inputSize: 256, outputSize: 512, generator: generator), ReLU(),
                                   Linear(inputSize: 512, outputSize: 784, generator: generator)]))
    }

    let model: Model
    let optimizer: any Optimizer
    let training: Tensor
    let test: Tensor
    let batchSize: Int
    let noise: Float
    let generator: RandomGenerator

    init(model: Model, optimizer: any Optimizer, training: Tensor, test: Tensor, batchSize: Int, noise: Float, generator: RandomGenerator) {
        (self.model, self.optimizer, self.training, self.test) = (model, optimizer, training, test)
        (self.batchSize, self.noise, self.generator) = (batchSize, noise, generator)
    }

    var models: KeyValuePairs<String, Module> { ["autoencoder": model] }
    var optimizers: KeyValuePairs<String, any Optimizer> { ["optimizer": optimizer] }
    var generators: KeyValuePairs<String, RandomGenerator> { ["data": generator] }
    var batchesPerEpoch: Int { (training.shape[0] + batchSize - 1) / batchSize }

    /// `images` with N(0, noise²) added and clipped to [0, 1]; unchanged when `noise` is 0.
    func corrupt(_ images: Tensor, _ random: RandomGenerator) -> Tensor {
        noise > 0 ? (images + random.normal(images.shape, standardDeviation: noise)).clamped(min: 0, max: 1) : images
    }

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
        let loss = mseLoss(model(corrupt(batch, generator)), batch)
        minimize(loss, with: optimizer)
        return StepResult(loss: loss, count: batch.shape[0])
    }

    func evaluate(epoch: Int) throws -> [(key: String, value: Double)] {
        [("test_mse", Double(withoutGradients { mseLoss(model(test), test) }.item))]
    }
}
