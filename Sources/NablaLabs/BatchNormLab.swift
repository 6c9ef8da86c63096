import Foundation
import Nabla
import NablaNN
import NablaOptim
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
public enum BatchNormLab {
    public struct Settings: Equatable, Sendable {
        public var trainingExamples = 10_000
        public var validationExamples = 2_000
        public var hiddenUnits = 128
        public var batchSize = 64
        public var epochs = 6
        /// Plain SGD learning rates, each tried with and without batch normalisation.
        public var learningRates: [Double] = [0.001, 0.01, 0.1]
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
            settings.learningRates = [0.01, 0.1]
            settings.curvatureExamples = 128
            settings.powerIterations = 10
            return settings
        }

        public func validate() throws {
            try requireSetting("trainingExamples", trainingExamples, in: 64...60_000)
            try requireSetting("validationExamples", validationExamples, in: 1...10_000)
            try requireSetting("hiddenUnits", hiddenUnits, in: 1...4096)
            try requireSetting("batchSize", batchSize, in: 2...trainingExamples)
            try requireSetting("epochs", epochs, in: 1...1000)
            guard !learningRates.isEmpty else { throw LabSettingError(key: "learningRates", message: "needs at least one learning rate") }
            for rate in learningRates { try requireSetting("learningRates", rate, in: 1e-8...100) }
            try requireSetting("scaleSpread", scaleSpread, in: 0...6)
            try requireSetting("curvatureExamples", curvatureExamples, in: 2...trainingExamples)
            try requireSetting("powerIterations", powerIterations, in: 1...1000)
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
        /// The Hessian's eigenvalue of largest magnitude (power iteration).
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

        /// The baseline: on the badly scaled input, the best network with batch normalisation ends with a
        /// lower training loss than the best one without, after the same steps.
        public var batchNormTrainsBetter: Bool { bestFinalLoss(batchNorm: true) < bestFinalLoss(batchNorm: false) }
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

    /// The eigenvalue of largest magnitude of the Hessian of `loss` over `parameters`, by power iteration
    /// on Hessian-vector products: v ← Hv/‖Hv‖, λ ← vᵀHv.
    public static func topHessianEigenvalue(parameters: [Tensor], iterations: Int, generator: RandomGenerator,
                                            loss: () -> Tensor) -> Double {
        func normalized(_ vector: [Tensor]) -> [Tensor] {
            let norm = vector.reduce(0.0) { $0 + Double(($1 * $1).sum().item) }.squareRoot()
            return vector.map { $0 / Float(max(norm, 1e-30)) }
        }
        var vector = normalized(parameters.map { generator.normal($0.shape) })
        var eigenvalue = 0.0
        for _ in 0..<iterations {
            let product = hessianVectorProduct(of: loss(), withRespectTo: parameters, vector: vector)
            eigenvalue = zip(vector, product).reduce(0.0) { $0 + Double(($1.0 * $1.1).sum().item) }
            vector = normalized(product)
        }
        return eigenvalue
    }

    public static func run(settings: Settings, generator: RandomGenerator, data: FashionSubset? = nil,
                           progress: (_ training: String, _ epoch: Int, _ loss: Double) -> Void = { _, _, _ in }) throws -> Result {
        try settings.validate()
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
                let label = "\(batchNorm ? "BN" : "plain") lr \(learningRate)"
                let curve = trainClassifier(network, optimizer: optimizer, data: scaled, epochs: settings.epochs,
                                            batchSize: settings.batchSize, generator: generator) { progress(label, $0, $1) }
                trainings.append(Training(batchNorm: batchNorm, learningRate: learningRate, curve: curve))
            }
        }
        return Result(settings: settings, trainings: trainings, curvatures: curvatures)
    }

    // MARK: Figures

    /// The headline: training loss with (BN) and without (plain) batch normalisation at each learning
    /// rate; a line that stops early diverged.
    public static func lossCurves(_ result: Result) -> LineChart {
        LineChart(title: "Badly scaled input: training loss, plain SGD", xLabel: "optimizer step", yLabel: "cross-entropy",
                  yScale: .logarithmic,
                  series: result.trainings.map { training in
                      .init(name: training.label + (training.curve.diverged ? " (diverged)" : ""),
                            x: training.curve.steps, y: training.curve.trainingLoss)
                  })
    }

    /// λ_max at initialisation for each network and input.
    public static func curvatureChart(_ result: Result) -> BarChart {
        BarChart(title: "Sharpest curvature at initialisation", yLabel: "top Hessian eigenvalue",
                 categories: result.curvatures.map(\.label), values: result.curvatures.map(\.topEigenvalue),
                 colors: result.curvatures.map { Palette.color(forCategory: $0.batchNorm ? 1 : 0) }, showsValues: true)
    }
}
