import Foundation
import Nabla
import NablaClassic
import NablaData
import NablaGenerative
import NablaNN
import NablaOptim
import NablaTrain
import NablaViz

/// One-class anomaly detection on Fashion-MNIST (lecture: anomaly detection; HW8). For each of the ten
/// classes in turn, the models see only that class's training images; every test image is then scored,
/// and the other nine classes are the anomalies. Four scores, higher meaning more anomalous:
///
///     pca          ‖x − x̂‖² of PCA with `components` components fitted on the class (the linear baseline)
///     autoencoder  ‖x − x̂‖² of an MLP auto-encoder  784 → 256 → code → 256 → 784 (sigmoid)
///     gaussian     (z − μ)ᵀ Σ⁻¹ (z − μ): a Gaussian fitted (maximum likelihood) to the auto-encoder's codes
///     deep-svdd    ‖f(x) − c‖²: Deep SVDD (Ruff et al., 2018), a bias-free encoder started from the
///                  auto-encoder's weights and trained to pull the class's images onto the centre c
///
/// Each is judged by the ROC-AUC (the chance that a random anomaly scores above a random normal image)
/// and the average precision, per class; the headline is the best method's mean ROC-AUC over the ten.
public struct AnomalyLab: Lab {
    public init() {}

    public var name: String { "anomaly" }
    public var lecture: String { "Anomaly detection" }
    public var summary: String { "one-class anomaly detection on Fashion-MNIST: PCA, auto-encoder, Gaussian on codes, Deep SVDD; ROC-AUC per class" }
    public var baseline: Baseline {
        Baseline(metric: "best_mean_roc_auc", value: 0.90, higherIsBetter: true,
                 source: "the issue's bar: the best method's ROC-AUC averaged over the ten one-class problems at least 0.90 (0.85 quick)",
                 quickValue: 0.85)
    }

    static let methods = ["pca", "autoencoder", "gaussian", "deep-svdd"]

    public var settings: [LabSetting] {
        [.integer("training_per_class", 6_000, quick: 600, in: 16...6_000, "training images of the normal class"),
         .integer("test_examples", 10_000, quick: 2_000, in: 20...10_000, "test images scored (about a tenth of them normal)"),
         .integer("code", 16, in: 1...256, "units of the auto-encoder's code"),
         .integer("components", 16, in: 1...256, "PCA components of the linear baseline"),
         .integer("epochs", 10, quick: 4, in: 1...1000, "auto-encoder epochs per class"),
         .integer("svdd_epochs", 5, quick: 2, in: 1...1000, "Deep SVDD epochs per class, after the auto-encoder"),
         .integer("batch_size", 64, in: 2...6_000, "images per mini-batch"),
         .real("learning_rate", 1e-3, in: 1e-6...1, "Adam's learning rate for the auto-encoder (Deep SVDD uses a tenth of it)")]
    }

    public var tinySettings: [String] {
        ["training_per_class=32", "test_examples=60", "epochs=2", "svdd_epochs=1", "batch_size=16", "components=4", "code=4"]
    }

    /// Scores of one class's detector on the test images, by method.
    struct ClassScores {
        var scores: [String: [Double]] = [:]
    }

    public func run(_ context: LabContext) throws -> LabResult {
        let values = context.settings
        let perClass = values.integer("training_per_class"), batchSize = values.integer("batch_size")
        let (code, epochs, svddEpochs) = (values.integer("code"), values.integer("epochs"), values.integer("svdd_epochs"))
        guard batchSize <= perClass else {
            throw LabError("batch_size \(batchSize) is larger than training_per_class \(perClass); lower batch_size or use more images")
        }
        let data = context.generator(stream: 0)
        let trainingSet = try FashionMNIST(.training, folder: context.dataFolder)
        let order = data.permutation(trainingSet.count), trainingLabels = trainingSet.labels.scalars.map { Int($0) }
        let test = try VAELab.Images.load(.test, count: values.integer("test_examples"), generator: data, folder: context.dataFolder)
        var results: [ClassScores] = []
        for normal in 0..<10 {
            let picked = Array(order.filter { trainingLabels[$0] == normal }.prefix(perClass))
            let training = trainingSet.batch(at: picked).inputs.reshaped([picked.count, 784]).contiguous()
            var result = ClassScores()
            result.scores["pca"] = try Self.pcaScores(training: training, test: test.pixels, components: values.integer("components"))

            let random = context.generator(stream: 10 + UInt64(normal))
            let model = Self.makeAutoEncoder(code: code, generator: random)
            let normalTest = Self.rows(test.pixels, where: test.labels.map { $0 == normal })
            let task = AutoEncoderTask(model: model, optimizer: Adam(model.parameters(), configuration: .init(learningRate: values.real("learning_rate"))),
                                       training: training, test: normalTest, batchSize: batchSize, noise: 0, generator: random)
            guard try context.train(task, epochs: epochs, stage: "autoencoder-\(normal)").isOver else { return .interrupted }
            result.scores["autoencoder"] = withoutGradients { Self.squaredDistances(model(test.pixels), test.pixels) }
            result.scores["gaussian"] = try Self.mahalanobisScores(training: withoutGradients { model.encoder(training) },
                                                                   test: withoutGradients { model.encoder(test.pixels) })

            let svdd = DeepSVDDTask(encoder: model.encoder, training: training, batchSize: batchSize, learningRate: values.real("learning_rate") / 10,
                                    generator: context.generator(stream: 30 + UInt64(normal)))
            guard try context.train(svdd, epochs: svddEpochs, stage: "deep-svdd-\(normal)").isOver else { return .interrupted }
            result.scores["deep-svdd"] = svdd.scores(test.pixels)
            results.append(result)
            let line = Self.methods.map { String(format: "%@ %.4f", $0, rocAUC(scores: result.scores[$0]!, anomalous: test.labels.map { $0 != normal })) }
            context.log("class \(normal) (\(FashionMNIST.classNames[normal])) normal: ROC-AUC " + line.joined(separator: ", "))
        }
        return Self.report(results, test: test)
    }

    // MARK: Scores

    static func makeAutoEncoder(code: Int, generator: RandomGenerator) -> AutoEncoderTask.Model {
        AutoEncoderTask.Model(encoder: Sequential([Linear(inputSize: 784, outputSize: 256, generator: generator), ReLU(),
                                                   Linear(inputSize: 256, outputSize: code, generator: generator)]),
                              decoder: Sequential([Linear(inputSize: code, outputSize: 256, generator: generator), ReLU(),
                                                   Linear(inputSize: 256, outputSize: 784, generator: generator)]))
    }

    /// The rows of `matrix` (N, D) whose flag is set.
    static func rows(_ matrix: Tensor, where flags: [Bool]) -> Tensor {
        gatherRows(matrix, flags.indices.filter { flags[$0] })
    }

    /// ‖a_i − b_i‖² per row of two (N, D) tensors.
    static func squaredDistances(_ a: Tensor, _ b: Tensor) -> [Double] {
        ((a - b) * (a - b)).sum(axis: 1).scalars.map(Double.init)
    }

    /// PCA's squared reconstruction error of each test row, PCA fitted on `training`.
    static func pcaScores(training: Tensor, test: Tensor, components: Int) throws -> [Double] {
        let model = try PrincipalComponentAnalysis(componentCount: min(components, training.shape[0] - 1, 784)).fit(Matrix(training))
        let rebuilt = model.inverseTransform(try model.transform(Matrix(test))).values, pixels = test.scalars
        return (0..<test.shape[0]).map { row in
            (0..<784).reduce(0.0) { sum, column in
                let difference = rebuilt[row * 784 + column] - Double(pixels[row * 784 + column])
                return sum + difference * difference
            }
        }
    }

    /// The squared Mahalanobis distance of each test code to a Gaussian fitted to the training codes, the
    /// covariance's eigenvalues floored at 1e-6 of the largest (a code unit that never varies would give ∞).
    static func mahalanobisScores(training: Tensor, test: Tensor) throws -> [Double] {
        let count = Float(training.shape[0]), mean = training.mean(axis: 0, keepDims: true)
        let centered = training - mean
        let covariance = centered.transposed().matmul(centered) / count
        let (eigenvalues, eigenvectors) = symmetricEigen(covariance)
        let largest = eigenvalues.scalars.max() ?? 1
        let scales = Tensor(eigenvalues.scalars.map { 1 / max($0, largest * 1e-6, 1e-12).squareRoot() }, shape: [eigenvalues.count])
        let whitened = (test - mean).matmul(eigenvectors) * scales
        return (whitened * whitened).sum(axis: 1).scalars.map(Double.init)
    }

    // MARK: Report

    static func report(_ results: [ClassScores], test: VAELab.Images) -> LabResult {
        func flags(_ normal: Int) -> [Bool] { test.labels.map { $0 != normal } }
        var auc: [String: [Double]] = [:], precision: [String: [Double]] = [:]
        for method in methods {
            auc[method] = results.indices.map { rocAUC(scores: results[$0].scores[method]!, anomalous: flags($0)) }
            precision[method] = results.indices.map { averagePrecision(scores: results[$0].scores[method]!, anomalous: flags($0)) }
        }
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }
        let best = methods.max { mean(auc[$0]!) < mean(auc[$1]!) }!
        let headline = mean(auc[best]!)
        print(String(format: "mean ROC-AUC: %@; best %@ %.4f", methods.map { String(format: "%@ %.4f", $0, mean(auc[$0]!)) }.joined(separator: ", "),
                     best, headline))

        let names = FashionMNIST.classNames
        let curves: [LineChart.Series] = results.indices.map { normal in
            let curve = rocCurve(scores: results[normal].scores[best]!, anomalous: flags(normal))
            return .init(name: names[normal], x: curve.falsePositiveRate, y: curve.truePositiveRate)
        } + [.init(name: "chance", x: [0, 1], y: [0, 1])]
        // Per class: the five test images the best method finds most normal, then the five most anomalous.
        var images: [Canvas] = []
        let all = Canvas.images(fromBatch: test.pixels.reshaped([test.count, 1, 28, 28]))
        for result in results {
            let ranked = result.scores[best]!.indices.sorted { result.scores[best]![$0] < result.scores[best]![$1] }
            let shown = min(5, ranked.count)
            images += ranked.prefix(shown).map { all[$0] } + ranked.suffix(shown).map { all[$0] }
        }
        let table = results.indices.map { normal in [names[normal]] + methods.map { String(format: "%.4f", auc[$0]![normal]) } }
            + [["mean"] + methods.map { String(format: "%.4f", mean(auc[$0]!)) }]
        let sections: [ReportSection] = [
            .lineChart("ROC curves of \(best), one per normal class", xLabel: "false-positive rate (normal images flagged)",
                       yLabel: "true-positive rate (anomalies flagged)", series: curves,
                       caption: "Each curve: the class the detector was trained on is normal, the other nine anomalous; "
                           + "the area under it is the class's ROC-AUC."),
            .table("ROC-AUC per normal class and method", headers: ["normal class"] + methods, rows: table,
                   caption: "Trained on one class, scored on \(test.count) test images; 0.5 is chance, 1 a perfect ranking."),
            .table("Average precision per method", headers: ["method", "mean average precision", "worst class", "best class"],
                   rows: methods.map { [$0, String(format: "%.4f", mean(precision[$0]!)), String(format: "%.4f", precision[$0]!.min() ?? .nan),
                                        String(format: "%.4f", precision[$0]!.max() ?? .nan)] },
                   caption: "Anomalies are the positives and nine tenths of the test set, so chance is about 0.9."),
            .imageGrid("Most normal and most anomalous test images (\(best))", images: images, columns: 10, upscale: 2,
                       caption: "Row k: the detector trained on class k (T-shirt/top first); left, the five test images it scores most "
                           + "normal; right, the five it scores most anomalous."),
        ]
        var summary: [(key: String, value: Any)] = [("best_method", best)]
        for method in methods {
            summary.append(("mean_roc_auc_\(method)", mean(auc[method]!)))
            summary.append(("mean_average_precision_\(method)", mean(precision[method]!)))
        }
        return LabResult(headline: headline, summary: summary, sections: sections)
    }
}

/// Deep SVDD on flat images: `encoder`'s linear layers copied without their biases (a bias would let the
/// network map everything onto the centre and score nothing), the centre c the mean of the training
/// images' initial outputs (coordinates nearer 0 than 0.1 pushed to ±0.1, as Ruff et al.), and Adam
/// minimising the mean ‖f(x) − c‖² over the normal class.
final class DeepSVDDTask: TrainingTask {
    let network: Sequential
    let center: Tensor
    let optimizer: Adam
    let training: Tensor
    let batchSize: Int
    let generator: RandomGenerator

    init(encoder: Sequential, training: Tensor, batchSize: Int, learningRate: Double, generator: RandomGenerator) {
        let network = Sequential(encoder.layers.map { layer -> any Layer in
            guard let linear = layer as? Linear else { return layer }
            let copy = Linear(inputSize: linear.weight.shape[1], outputSize: linear.weight.shape[0], bias: false, generator: generator)
            copy.weight.assign(linear.weight.detached())
            return copy
        })
        self.network = network
        let initial = withoutGradients { network(training).mean(axis: 0) }.scalars
        center = Tensor(initial.map { abs($0) < 0.1 ? ($0 < 0 ? -0.1 : 0.1) : $0 }, shape: [initial.count])
        optimizer = Adam(network.parameters(), configuration: .init(learningRate: learningRate, weightDecay: 1e-6))
        (self.training, self.batchSize, self.generator) = (training, batchSize, generator)
    }

    var models: KeyValuePairs<String, Module> { ["deep_svdd": network] }
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
        let offset = network(batch) - center
        let loss = (offset * offset).sum(axis: 1).mean()
        minimize(loss, with: optimizer)
        return StepResult(loss: loss, count: batch.shape[0])
    }

    func evaluate(epoch: Int) throws -> [(key: String, value: Double)] {
        [("train_mean_distance", scores(training).reduce(0, +) / Double(training.shape[0]))]
    }

    /// ‖f(x) − c‖² of each row of `images` (N, 784).
    func scores(_ images: Tensor) -> [Double] {
        withoutGradients { AnomalyLab.squaredDistances(network(images), center.reshaped([1, center.count]).expanded(to: [images.shape[0], center.count])) }
    }
}
