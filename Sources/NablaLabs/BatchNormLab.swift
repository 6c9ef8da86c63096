import Foundation
import Nabla
import NablaNN
import NablaOptim
import NablaTrain
import NablaViz

/// Batch normalisation: the same network with and without it, on inputs whose features have wildly
/// different scales. (Lecture: batch normalisation — "changing the landscape".)
///
/// When one input feature is 100 times larger than another, the loss changes 100 times faster along
/// its weights: the error surface is a narrow valley, steep across and flat along. Gradient descent
/// must then take a step small enough for the steepest direction — below 2/λ_max, with λ_max the
/// Hessian's largest eigenvalue — and crawls along the flat ones. Batch normalisation standardises each
/// hidden unit over the batch,
///
///     ẑᵢ = (zᵢ − μ_B) / √(σ²_B + ε),   then   γ ẑᵢ + β,
///
/// so the next layer sees well-scaled inputs whatever the scale of the features and weights before it.
/// The lab measures both sides of that claim: λ_max at initialisation by power iteration with
/// Hessian-vector products (no Hessian is formed), and training curves at a few learning rates, with
/// plain SGD so that nothing else adapts the step.
public struct BatchNormLab: Lab {
    public init() {}

    public struct Settings: Equatable, Sendable {
        public var trainingExamples = 6_000
        public var validationExamples = 2_000
        public var hiddenUnits = 100
        public var batchSize = 64
        public var epochs = 5
        /// Plain SGD learning rates, each tried with and without batch normalisation.
        public var learningRates: [Double] = [0.001, 0.01, 0.1, 1]
        /// Feature j is multiplied by 10^(spread·u), u uniform in [−1, 1]: spread 2 gives scales 0.01…100.
        public var scaleSpread = 2.0
        /// Examples in the batch whose loss the curvature is measured on.
        public var curvatureExamples = 512
        public var powerIterations = 30

        public init() {}

        public static let full = Settings()
        public static var quick: Settings {
            var settings = Settings()
            settings.trainingExamples = 1_500
            settings.validationExamples = 500
            settings.hiddenUnits = 32
            settings.epochs = 2
            settings.learningRates = [0.01, 1]
            settings.curvatureExamples = 128
            settings.powerIterations = 10
            return settings
        }

        public func validate() throws {
            try requireSetting("training_examples", trainingExamples, in: 64...60_000)
            try requireSetting("validation_examples", validationExamples, in: 1...10_000)
            try requireSetting("hidden_units", hiddenUnits, in: 1...4096)
            try requireSetting("batch_size", batchSize, in: 2...trainingExamples)
            try requireSetting("epochs", epochs, in: 1...1000)
            guard !learningRates.isEmpty else { throw LabError("setting 'learning_rates' is empty: it needs at least one learning rate") }
            for rate in learningRates { try requireSetting("learning_rates", rate, in: 1e-8...100) }
            // Each rate is a stage of the run with its own checkpoint, so a rate may appear only once.
            guard Set(learningRates).count == learningRates.count else {
                throw LabError("setting 'learning_rates' lists a rate twice (\(learningRates.map { String($0) }.joined(separator: ","))): give each rate once")
            }
            try requireSetting("scale_spread", scaleSpread, in: 0...6)
            try requireSetting("curvature_examples", curvatureExamples, in: 2...trainingExamples)
            try requireSetting("power_iterations", powerIterations, in: 1...1000)
        }
    }

    /// One training: with or without batch normalisation, at one learning rate.
    public struct Training: Sendable {
        public let batchNorm: Bool
        public let learningRate: Double
        public let curve: TrainingCurve
        public var label: String { "\(batchNorm ? "BN" : "plain") lr \(learningRate)" }
    }

    /// The sharpest curvature of the loss at initialisation.
    public struct Curvature: Sendable {
        public let batchNorm: Bool
        public let badlyScaled: Bool
        /// The Hessian's largest eigenvalue (power iteration).
        public let topEigenvalue: Double
        /// 2/λ_max: gradient descent on the local quadratic diverges above this learning rate.
        public var largestStableLearningRate: Double { 2 / abs(topEigenvalue) }
        public var label: String { "\(batchNorm ? "BN" : "plain"), \(badlyScaled ? "scaled" : "standard") input" }
    }

    public struct Result: Sendable {
        public let settings: Settings
        public let trainings: [Training]
        public let curvatures: [Curvature]

        /// The lowest final training loss over the learning rates, with or without batch normalisation.
        public func bestFinalLoss(batchNorm: Bool) -> Double {
            trainings.filter { $0.batchNorm == batchNorm }.map(\.curve.finalTrainingLoss).min() ?? .nan
        }

        /// Whether a training learned: it did not diverge and ended below the loss of guessing, ln 10.
        static func learned(_ training: Training) -> Bool {
            !training.curve.diverged && training.curve.finalTrainingLoss < log(10.0)
        }

        /// The largest learning rate at which the network (with or without batch norm) learned; nil if none.
        public func largestWorkingLearningRate(batchNorm: Bool) -> Double? {
            trainings.filter { $0.batchNorm == batchNorm && Result.learned($0) }.map(\.learningRate).max()
        }

        /// The baseline: how many times larger a learning rate batch norm tolerates than the plain network.
        /// When the plain network learned at no rate tried, its rate counts as a tenth of the smallest one.
        public var toleratedLearningRateRatio: Double {
            guard let normalized = largestWorkingLearningRate(batchNorm: true) else { return 0 }
            let plain = largestWorkingLearningRate(batchNorm: false) ?? (settings.learningRates.min() ?? 1) / 10
            return normalized / plain
        }
    }

    /// Per-feature scales 10^(spread·u), u uniform in [−1, 1].
    static func featureScales(count: Int, spread: Double, generator: RandomGenerator) -> Tensor {
        (generator.uniform([count], low: -1, high: 1) * Float(spread * log(10.0))).exp()
    }

    /// 784 → hidden → hidden → 10 with ReLU; with `batchNorm`, BatchNorm1d after each hidden linear layer.
    /// Both variants draw the same linear weights from the same generator state.
    static func model(inputs: Int, hiddenUnits: Int, batchNorm: Bool, generator: RandomGenerator) -> Sequential {
        let first = Linear(inputSize: inputs, outputSize: hiddenUnits, generator: generator)
        let second = Linear(inputSize: hiddenUnits, outputSize: hiddenUnits, generator: generator)
        let output = Linear(inputSize: hiddenUnits, outputSize: 10, generator: generator)
        return batchNorm
            ? Sequential(first, BatchNorm1d(featureCount: hiddenUnits), ReLU(), second, BatchNorm1d(featureCount: hiddenUnits), ReLU(), output)
            : Sequential(first, ReLU(), second, ReLU(), output)
    }

    /// The largest (most positive) eigenvalue of the Hessian of `loss` over `parameters`, by power
    /// iteration on Hessian-vector products: v ← Hv/‖Hv‖, λ ← vᵀHv. Power iteration finds the eigenvalue
    /// of largest magnitude; when that one is negative (a network at initialisation can curve down more
    /// steeply than up), a second pass on H − λI, whose eigenvalues are all ≥ 0, finds the top one.
    public static func topHessianEigenvalue(parameters: [Tensor], iterations: Int, generator: RandomGenerator,
                                            loss: () -> Tensor) -> Double {
        func normalized(_ vector: [Tensor]) -> [Tensor] {
            let norm = vector.reduce(0.0) { $0 + Double(($1 * $1).sum().item) }.squareRoot()
            return vector.map { $0 / Float(max(norm, 1e-30)) }
        }
        func powerIteration(shift: Double) -> Double {
            var vector = normalized(parameters.map { generator.normal($0.shape) })
            var eigenvalue = 0.0
            for _ in 0..<iterations {
                let product = zip(hessianVectorProduct(of: loss(), withRespectTo: parameters, vector: vector), vector).map {
                    shift == 0 ? $0.0 : $0.0 - $0.1 * Float(shift)
                }
                eigenvalue = zip(vector, product).reduce(0.0) { $0 + Double(($1.0 * $1.1).sum().item) }
                vector = normalized(product)
            }
            return eigenvalue + shift
        }
        let largestMagnitude = powerIteration(shift: 0)
        return largestMagnitude >= 0 ? largestMagnitude : powerIteration(shift: largestMagnitude)
    }

    /// Everything: the curvatures at initialisation, then one training per learning rate, without and with
    /// batch norm, each a stage of the run (`plain-lr0.01`, `bn-lr0.01`, ...) trained by `trainer` (a
    /// scratch one by default); nil when a training was interrupted.
    ///
    /// The curvatures are measured, not trained: a few dozen Hessian-vector products at the initial
    /// weights, from fixed seeds, so a resumed run recomputes the same numbers before its trainings.
    public static func run(settings: Settings, generator: RandomGenerator, data: FashionSubset? = nil, trainer: StageTrainer? = nil) throws -> Result? {
        try settings.validate()
        let trainer = try trainer ?? ScratchTrainer()
        let standard = try data ?? FashionSubset.load(training: settings.trainingExamples, validation: settings.validationExamples,
                                                      generator: generator)
        let scales = featureScales(count: standard.featureCount, spread: settings.scaleSpread, generator: generator)
        let scaled = FashionSubset(trainingInputs: (standard.trainingInputs * scales).contiguous(), trainingLabels: standard.trainingLabels,
                                   validationInputs: (standard.validationInputs * scales).contiguous(),
                                   validationLabels: standard.validationLabels)
        let seed = generator.next()

        // The landscape at initialisation: λ_max with and without batch norm, on standard and scaled input.
        var curvatures: [Curvature] = []
        for badlyScaled in [false, true] {
            let subset = badlyScaled ? scaled : standard
            let (inputs, labels) = subset.trainingBatch(Array(0..<min(settings.curvatureExamples, subset.trainingCount))[...])
            for batchNorm in [false, true] {
                let network = model(inputs: subset.featureCount, hiddenUnits: settings.hiddenUnits, batchNorm: batchNorm,
                                    generator: RandomGenerator(seed: seed))
                let top = topHessianEigenvalue(parameters: network.parameters(), iterations: settings.powerIterations,
                                               generator: RandomGenerator(seed: seed &+ 1)) { crossEntropy(network(inputs), labels) }
                curvatures.append(Curvature(batchNorm: batchNorm, badlyScaled: badlyScaled, topEigenvalue: top))
            }
        }

        // Training on the scaled input: same weights, same batches, plain SGD.
        var trainings: [Training] = []
        for learningRate in settings.learningRates {
            for batchNorm in [false, true] {
                let generator = RandomGenerator(seed: seed)
                let network = model(inputs: scaled.featureCount, hiddenUnits: settings.hiddenUnits, batchNorm: batchNorm, generator: generator)
                let optimizer = SGD(network.parameters(), configuration: .init(learningRate: learningRate))
                let task = SubsetClassifierTask(network: network, optimizer: optimizer, data: scaled, batchSize: settings.batchSize, generator: generator)
                let outcome = try trainer.train(task, epochs: settings.epochs, stage: "\(batchNorm ? "bn" : "plain")-lr\(learningRate)")
                guard outcome.isOver else { return nil }
                trainings.append(Training(batchNorm: batchNorm, learningRate: learningRate, curve: task.curve(outcome)))
            }
        }
        return Result(settings: settings, trainings: trainings, curvatures: curvatures)
    }

    // MARK: Figures

    /// Losses above this are left out of the curves (a blown-up loss of 10¹⁹ would flatten the rest).
    static let lossCeiling = 100.0

    /// The headline: training loss with (BN) and without (plain) batch normalisation at each learning
    /// rate; a line that stops early diverged, a gap is a loss above `lossCeiling`.
    public static func lossCurves(_ result: Result) -> LineChart {
        LineChart(title: "Scaled input, plain SGD", xLabel: "optimizer step", yLabel: "cross-entropy",
                  yScale: .logarithmic,
                  series: result.trainings.map { training in
                      .init(name: training.label + (training.curve.diverged ? " (diverged)" : ""),
                            x: training.curve.steps, y: training.curve.trainingLoss.map { $0 > lossCeiling ? .nan : $0 })
                  })
    }

    /// λ_max at initialisation for each network and input.
    public static func curvatureChart(_ result: Result) -> BarChart {
        BarChart(title: "Sharpest curvature at initialisation", yLabel: "top Hessian eigenvalue",
                 categories: result.curvatures.map(\.label), values: result.curvatures.map(\.topEigenvalue),
                 colors: result.curvatures.map { Palette.color(forCategory: $0.batchNorm ? 1 : 0) }, showsValues: true)
    }
}

// MARK: The lab

extension BatchNormLab {
    public var name: String { "batch-norm" }
    public var lecture: String { "Batch normalization" }
    public var summary: String { "the same network with and without batch norm on badly scaled inputs: curves and curvature" }
    public var baseline: Baseline {
        Baseline(metric: "tolerated_learning_rate_ratio", value: 10,
                 source: "the lecture's claim: with batch norm a larger learning rate can be used (largest rate that learns, BN over plain, at least 10)")
    }

    public var settings: [LabSetting] {
        let (full, quick) = (Settings.full, Settings.quick)
        return [.integer("training_examples", full.trainingExamples, quick: quick.trainingExamples, in: 64...60_000, "Fashion-MNIST training images used"),
                .integer("validation_examples", full.validationExamples, quick: quick.validationExamples, in: 1...10_000, "test images used for validation"),
                .integer("hidden_units", full.hiddenUnits, quick: quick.hiddenUnits, in: 1...4096, "units of each of the two hidden layers"),
                .integer("batch_size", full.batchSize, in: 2...60_000, "examples per mini-batch"),
                .integer("epochs", full.epochs, quick: quick.epochs, in: 1...1000, "passes over the training images, for every training"),
                .text("learning_rates", full.learningRates.map { String($0) }.joined(separator: ","),
                      quick: quick.learningRates.map { String($0) }.joined(separator: ","),
                      "plain SGD learning rates, comma-separated, each tried with and without batch norm"),
                .real("scale_spread", full.scaleSpread, in: 0...6, "feature j is multiplied by 10^(spread u), u uniform in [-1, 1]"),
                .integer("curvature_examples", full.curvatureExamples, quick: quick.curvatureExamples, in: 2...60_000,
                         "examples in the batch whose Hessian is probed"),
                .integer("power_iterations", full.powerIterations, quick: quick.powerIterations, in: 1...1000, "Hessian-vector products per estimate")]
    }

    public var tinySettings: [String] {
        ["training_examples=256", "validation_examples=100", "hidden_units=16", "epochs=1", "learning_rates=0.01",
         "curvature_examples=64", "power_iterations=4"]
    }

    /// Reads the comma-separated learning rates; throws `LabError` naming the key.
    static func learningRates(_ text: String) throws -> [Double] {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let rates = parts.compactMap(Double.init)
        guard !parts.isEmpty, rates.count == parts.count else {
            throw LabError("setting 'learning_rates' = '\(text)' is not valid: it must be numbers separated by commas, e.g. 0.001,0.01,0.1")
        }
        return rates
    }

    public func run(_ context: LabContext) throws -> LabResult {
        let values = context.settings
        var settings = Settings()
        settings.trainingExamples = values.integer("training_examples")
        settings.validationExamples = values.integer("validation_examples")
        settings.hiddenUnits = values.integer("hidden_units")
        settings.batchSize = values.integer("batch_size")
        settings.epochs = values.integer("epochs")
        settings.learningRates = try Self.learningRates(values.text("learning_rates"))
        settings.scaleSpread = values.real("scale_spread")
        settings.curvatureExamples = values.integer("curvature_examples")
        settings.powerIterations = values.integer("power_iterations")
        try settings.validate()
        let generator = context.generator()
        let data = try FashionSubset.load(training: settings.trainingExamples, validation: settings.validationExamples,
                                          generator: generator, folder: context.dataFolder)
        guard let result = try Self.run(settings: settings, generator: generator, data: data, trainer: context) else { return .interrupted }
        for curvature in result.curvatures {
            context.log(String(format: "%@: top Hessian eigenvalue %.4g (2/lambda = %.3g)", curvature.label, curvature.topEigenvalue,
                               curvature.largestStableLearningRate))
        }
        let ratio = result.toleratedLearningRateRatio
        let lossRatio = result.bestFinalLoss(batchNorm: false) / result.bestFinalLoss(batchNorm: true)
        context.log(String(format: "largest learning rate that learns: plain %@, BN %@; best final loss plain %.4f, BN %.4f",
                           result.largestWorkingLearningRate(batchNorm: false).map { "\($0)" } ?? "none",
                           result.largestWorkingLearningRate(batchNorm: true).map { "\($0)" } ?? "none",
                           result.bestFinalLoss(batchNorm: false), result.bestFinalLoss(batchNorm: true)))
        let trainingRows = result.trainings.map { training in
            [training.batchNorm ? "yes" : "no", String(format: "%g", training.learningRate),
             training.curve.diverged ? "diverged" : String(format: "%.4f", training.curve.finalTrainingLoss),
             training.curve.diverged ? "-" : String(format: "%.4f", training.curve.finalValidationAccuracy)]
        }
        let curvatureRows = result.curvatures.map { curvature in
            [curvature.batchNorm ? "yes" : "no", curvature.badlyScaled ? "scaled" : "standardised",
             String(format: "%.4g", curvature.topEigenvalue), String(format: "%.3g", curvature.largestStableLearningRate)]
        }
        var summary: [(key: String, value: Any)] = [("best_plain_loss", result.bestFinalLoss(batchNorm: false)),
                                                    ("best_bn_loss", result.bestFinalLoss(batchNorm: true)),
                                                    ("plain_to_bn_best_loss_ratio", lossRatio),
                                                    ("largest_working_rate_plain", result.largestWorkingLearningRate(batchNorm: false) ?? 0),
                                                    ("largest_working_rate_bn", result.largestWorkingLearningRate(batchNorm: true) ?? 0)]
        for curvature in result.curvatures {
            summary.append(("top_eigenvalue_\(curvature.batchNorm ? "bn" : "plain")_\(curvature.badlyScaled ? "scaled" : "standard")", curvature.topEigenvalue))
        }
        return LabResult(headline: ratio, summary: summary, sections: [
            .figure("Training loss with and without batch norm", Self.lossCurves(result),
                    caption: "Input features multiplied by scales from 10^-\(settings.scaleSpread) to 10^\(settings.scaleSpread); plain SGD; same weights and batches. A line that ends early diverged; losses above 100 are left out."),
            .figure("Curvature at initialisation", Self.curvatureChart(result),
                    caption: "Largest Hessian eigenvalue of the loss on \(settings.curvatureExamples) examples (power iteration on Hessian-vector products). Gradient descent is stable below 2/lambda."),
            .table("Trainings", headers: ["batch norm", "learning rate", "final training loss", "validation accuracy"], rows: trainingRows),
            .table("Curvature", headers: ["batch norm", "input", "top eigenvalue", "2 / top eigenvalue"], rows: curvatureRows),
        ])
    }
}
