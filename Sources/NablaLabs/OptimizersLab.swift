import Foundation
import Nabla
import NablaNN
import NablaOptim
import NablaTrain
import NablaViz

/// Adaptive learning rates: eight optimisers on the same network, the same data and the same batches.
/// (Lecture: adaptive learning rate — from SGD to Adam and beyond.)
///
/// With gradient g = ∇L(θ) the rules differ only in how a step is made from it:
///
///     SGD        θ ← θ − η g
///     momentum   m ← μ m + g;                    θ ← θ − η m         (μ = 0.9)
///     Adagrad    s ← s + g²;                     θ ← θ − η g / (√s + ε)
///     RMSProp    v ← α v + (1 − α) g²;           θ ← θ − η g / (√v + ε)
///     Adam       m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;  θ ← θ − η m̂ / (√v̂ + ε)   (bias-corrected)
///     AdamW      Adam with the weight decay θ ← θ (1 − η λ) outside the adaptive step
///     RAdam      Adam whose adaptive step is switched on only when its variance is tractable (a built-in warm-up)
///     SWATS      Adam first, then SGD at the rate Adam was effectively using
///
/// Dividing by the root mean square of past gradients gives every parameter its own step size: large
/// where gradients are small (flat directions), small where they are large (steep ones). The lab trains
/// a multi-layer perceptron on a Fashion-MNIST subset with each rule and overlays their curves, then
/// follows each rule's path on two 2-D error surfaces: Rosenbrock's curved valley and a saddle point.
public struct OptimizersLab: Lab {
    public init() {}

    /// The eight update rules, each with the learning rate it commonly starts from.
    public enum Method: String, CaseIterable, Sendable {
        case sgd, momentum, adagrad, rmsprop, adam, adamw, radam, swats

        /// The name in figures.
        public var title: String {
            switch self {
            case .sgd: return "SGD"
            case .momentum: return "momentum"
            case .adagrad: return "Adagrad"
            case .rmsprop: return "RMSProp"
            case .adam: return "Adam"
            case .adamw: return "AdamW"
            case .radam: return "RAdam"
            case .swats: return "SWATS"
            }
        }

        /// Learning rates for the network: PyTorch's defaults where it has one (Adagrad 0.01, the Adam
        /// family 0.001); RMSProp at 0.001 (its PyTorch default 0.01 diverges on this network); SGD at 0.1
        /// and momentum at 0.01 with μ = 0.9, i.e. the same step along a steady gradient direction.
        public var networkLearningRate: Double {
            switch self {
            case .sgd: return 0.1
            case .momentum: return 0.01
            case .adagrad: return 0.01
            case .rmsprop, .adam, .adamw, .radam, .swats: return 1e-3
            }
        }

        /// A new optimiser of this kind over `parameters`.
        public func optimizer(_ parameters: [Tensor], learningRate: Double) -> any Optimizer {
            switch self {
            case .sgd: return SGD(parameters, configuration: .init(learningRate: learningRate))
            case .momentum: return SGD(parameters, configuration: .init(learningRate: learningRate, momentum: 0.9))
            case .adagrad: return Adagrad(parameters, configuration: .init(learningRate: learningRate))
            case .rmsprop: return RMSProp(parameters, configuration: .init(learningRate: learningRate))
            case .adam: return Adam(parameters, configuration: .init(learningRate: learningRate))
            case .adamw: return AdamW(parameters, configuration: .init(learningRate: learningRate))
            case .radam: return RAdam(parameters, configuration: .init(learningRate: learningRate))
            case .swats: return SWATS(parameters, configuration: .init(learningRate: learningRate))
            }
        }
    }

    public struct Settings: Equatable, Sendable {
        public var trainingExamples = 20_000
        public var validationExamples = 2_000
        public var hiddenUnits = 128
        public var batchSize = 64
        public var epochs = 10
        /// Steps of each path on the 2-D surfaces.
        public var surfaceSteps = 1000
        /// Multiplies every method's learning rate (network and surfaces), to see which rules are robust to it.
        public var learningRateScale = 1.0

        public init() {}

        public static let full = Settings()
        public static var quick: Settings {
            var settings = Settings()
            settings.trainingExamples = 5_000
            settings.validationExamples = 500
            settings.hiddenUnits = 64
            settings.epochs = 3
            settings.surfaceSteps = 300
            return settings
        }

        public func validate() throws {
            try requireSetting("training_examples", trainingExamples, in: 64...60_000)
            try requireSetting("validation_examples", validationExamples, in: 1...10_000)
            try requireSetting("hidden_units", hiddenUnits, in: 1...4096)
            try requireSetting("batch_size", batchSize, in: 1...trainingExamples)
            try requireSetting("epochs", epochs, in: 1...1000)
            try requireSetting("surface_steps", surfaceSteps, in: 1...100_000)
            try requireSetting("learning_rate_scale", learningRateScale, in: 1e-4...1e4)
        }
    }

    /// One method's training on the network.
    public struct Curve: Sendable {
        public let method: Method
        public let training: TrainingCurve
    }

    public struct Result: Sendable {
        public let settings: Settings
        public let curves: [Curve]
        public let paths: [ErrorSurface: [Method: [(x: Double, y: Double)]]]

        public func curve(_ method: Method) -> Curve? { curves.first { $0.method == method } }
        /// The baseline: Adam ends with a lower training loss than plain SGD after the same steps.
        public var adamBeatsSGD: Bool {
            guard let adam = curve(.adam), let sgd = curve(.sgd) else { return false }
            return adam.training.finalTrainingLoss < sgd.training.finalTrainingLoss
        }
    }

    // MARK: The network

    /// Trains one network per method, each from the same initial weights on the same batches, each a
    /// stage of the run named by the method (its own checkpoint); nil when a stage was interrupted.
    public static func trainNetworks(data: FashionSubset, settings: Settings, seed: UInt64, trainer: StageTrainer) throws -> [Curve]? {
        var curves: [Curve] = []
        for method in Method.allCases {
            let generator = RandomGenerator(seed: seed)   // same weights and batch order for every method
            let network = Sequential(Linear(inputSize: data.featureCount, outputSize: settings.hiddenUnits, generator: generator), ReLU(),
                                     Linear(inputSize: settings.hiddenUnits, outputSize: 10, generator: generator))
            let optimizer = method.optimizer(network.parameters(), learningRate: method.networkLearningRate * settings.learningRateScale)
            let task = SubsetClassifierTask(network: network, optimizer: optimizer, data: data, batchSize: settings.batchSize, generator: generator)
            let outcome = try trainer.train(task, epochs: settings.epochs, stage: method.rawValue)
            guard outcome.isOver else { return nil }
            curves.append(Curve(method: method, training: task.curve(outcome)))
        }
        return curves
    }

    // MARK: The 2-D surfaces

    /// Follows `method` from the surface's start for `steps` steps; the first point is the start.
    public static func path(of method: Method, on surface: ErrorSurface, steps: Int, learningRateScale: Double = 1) -> [(x: Double, y: Double)] {
        let point = Tensor(surface.start.map(Float.init), requiresGrad: true)
        let optimizer = method.optimizer([point], learningRate: surface.learningRate(for: method) * learningRateScale)
        var visited = [(x: surface.start[0], y: surface.start[1])]
        for _ in 0..<steps {
            optimizer.zeroGradients()
            surface.value(point).backward()
            optimizer.step()
            let (x, y) = (Double(point[0]), Double(point[1]))
            visited.append((x, y))
            if !x.isFinite || !y.isFinite { break }
        }
        return visited
    }

    /// Everything: the networks on a Fashion-MNIST subset (read from disk unless `data` is given), trained
    /// by `trainer` (a scratch one by default), and the paths; nil when a training was interrupted.
    ///
    /// The paths on the 2-D surfaces are not trained through the trainer and have no checkpoint: each is
    /// a few hundred steps on one point of two numbers (well under a second for all sixteen), drawing
    /// nothing at random, so a resumed run simply recomputes them, bit for bit, after the networks.
    public static func run(settings: Settings, generator: RandomGenerator, data: FashionSubset? = nil, trainer: StageTrainer? = nil) throws -> Result? {
        try settings.validate()
        let data = try data ?? FashionSubset.load(training: settings.trainingExamples, validation: settings.validationExamples, generator: generator)
        guard let curves = try trainNetworks(data: data, settings: settings, seed: generator.next(), trainer: trainer ?? ScratchTrainer()) else { return nil }
        var paths: [ErrorSurface: [Method: [(x: Double, y: Double)]]] = [:]
        for surface in ErrorSurface.allCases {
            paths[surface] = Dictionary(uniqueKeysWithValues: Method.allCases.map {
                ($0, path(of: $0, on: surface, steps: settings.surfaceSteps, learningRateScale: settings.learningRateScale))
            })
        }
        return Result(settings: settings, curves: curves, paths: paths)
    }

    // MARK: Figures

    /// The headline: training loss of every method against optimiser steps.
    public static func lossCurves(_ result: Result) -> LineChart {
        LineChart(title: "Training loss, same network and batches", xLabel: "optimizer step", yLabel: "cross-entropy",
                  yScale: .logarithmic,
                  series: result.curves.map { .init(name: $0.method.title, x: $0.training.steps, y: $0.training.trainingLoss) })
    }

    public static func accuracyCurves(_ result: Result) -> LineChart {
        LineChart(title: "Validation accuracy", xLabel: "epoch", yLabel: "accuracy",
                  series: result.curves.map { curve in
                      let accuracies = curve.training.validationAccuracy
                      return .init(name: curve.method.title, x: accuracies.indices.map { Double($0 + 1) }, y: accuracies)
                  })
    }

    /// Every method's path over the contours of `surface`.
    public static func pathFigure(_ result: Result, surface: ErrorSurface) -> ContourPlot {
        let paths = result.paths[surface] ?? [:]
        let trajectories: [ContourPlot.Trajectory] = Method.allCases.compactMap { method in
            guard let path = paths[method] else { return nil }
            return .init(name: method.title, x: path.map(\.x), y: path.map(\.y))
        }
        return ContourPlot(width: 720, height: 540, title: surface.title, xLabel: "x", yLabel: "y",
                           xRange: surface.plotRange.x, yRange: surface.plotRange.y, levels: surface.contourLevels,
                           trajectories: trajectories) { x, y in surface.value(x: x, y: y) }
    }
}

/// A 2-D error surface with known minima, for watching optimisers move.
public enum ErrorSurface: String, CaseIterable, Sendable {
    /// (1 − x)² + 100 (y − x²)²: a narrow curved valley, minimum at (1, 1).
    case rosenbrock
    /// x² + y⁴/4 − y²/2: a saddle point at the origin between minima at (0, ±1).
    case saddle

    public var title: String {
        switch self {
        case .rosenbrock: return "Rosenbrock: (1-x)^2 + 100(y-x^2)^2"
        case .saddle: return "Saddle: x^2 + y^4/4 - y^2/2"
        }
    }

    /// The value at a point of shape [2].
    public func value(_ point: Tensor) -> Tensor {
        let x = point.sliced(axis: 0, start: 0, end: 1), y = point.sliced(axis: 0, start: 1, end: 2)
        switch self {
        case .rosenbrock: return ((1 - x).pow(2) + 100 * (y - x * x).pow(2)).sum()
        case .saddle: return (x * x + y.pow(4) * 0.25 - y * y * 0.5).sum()
        }
    }

    /// Where every path starts: Rosenbrock's classic (−1.2, 1); just off the saddle's ridge for the saddle,
    /// where the gradient is tiny and only adaptive rules escape fast.
    public var start: [Double] {
        switch self {
        case .rosenbrock: return [-1.2, 1]
        case .saddle: return [1.5, 1e-3]
        }
    }

    /// The same function in double precision, for drawing.
    public func value(x: Double, y: Double) -> Double {
        switch self {
        case .rosenbrock: return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x)
        case .saddle: return x * x + y * y * y * y / 4 - y * y / 2
        }
    }

    /// The region drawn: the start, the minima and the paths' usual detours.
    public var plotRange: (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        switch self {
        case .rosenbrock: return (-1.6...1.6, -0.6...1.8)
        case .saddle: return (-1.0...2.0, -1.5...1.5)
        }
    }

    /// Rosenbrock's valley lies orders of magnitude below its walls: logarithmic levels show both.
    var contourLevels: ContourLevels {
        switch self {
        case .rosenbrock: return .logarithmic(count: 14)
        case .saddle: return .linear(count: 14)
        }
    }

    public var minima: [[Double]] {
        switch self {
        case .rosenbrock: return [[1, 1]]
        case .saddle: return [[0, -1], [0, 1]]
        }
    }

    /// Learning rates that keep each rule stable on this surface (plain SGD must stay below 2/λ_max of
    /// the Hessian, about 0.0015 at Rosenbrock's start; the adaptive rules take steps of about η).
    /// Momentum gets a tenth of SGD's rate, as on the network: the same step along a steady slope.
    /// RAdam's first five steps are plain momentum steps θ ← θ − η·m̂ (its warm-up), so on Rosenbrock it
    /// needs SGD's small rate, and then its adaptive steps are that small too.
    public func learningRate(for method: OptimizersLab.Method) -> Double {
        switch (self, method) {
        case (.rosenbrock, .sgd): return 1e-3
        case (.rosenbrock, .momentum): return 1e-4
        case (.rosenbrock, .adagrad): return 0.5
        case (.rosenbrock, .radam): return 1e-3
        case (.rosenbrock, _): return 0.05
        case (.saddle, .sgd): return 0.01
        case (.saddle, .momentum): return 0.001
        case (.saddle, .adagrad): return 0.1
        case (.saddle, _): return 0.02
        }
    }
}

// MARK: The lab

extension OptimizersLab {
    public var name: String { "optimizers" }
    public var lecture: String { "Adaptive learning rate" }
    public var summary: String { "SGD, momentum, Adagrad, RMSProp, Adam, AdamW, RAdam and SWATS on one network and on 2-D surfaces" }
    public var baseline: Baseline {
        Baseline(metric: "sgd_to_adam_loss_ratio", value: 1.0,
                 source: "the lecture's claim: Adam reaches a lower training loss than plain SGD in the same steps (ratio above 1)")
    }

    public var settings: [LabSetting] {
        let (full, quick) = (Settings.full, Settings.quick)
        return [.integer("training_examples", full.trainingExamples, quick: quick.trainingExamples, in: 64...60_000, "Fashion-MNIST training images used"),
                .integer("validation_examples", full.validationExamples, quick: quick.validationExamples, in: 1...10_000, "test images used for validation"),
                .integer("hidden_units", full.hiddenUnits, quick: quick.hiddenUnits, in: 1...4096, "units of the hidden layer"),
                .integer("batch_size", full.batchSize, in: 1...60_000, "examples per mini-batch"),
                .integer("epochs", full.epochs, quick: quick.epochs, in: 1...1000, "passes over the training images, for every optimiser"),
                .integer("surface_steps", full.surfaceSteps, quick: quick.surfaceSteps, in: 1...100_000, "steps of each path on the 2-D surfaces"),
                .real("learning_rate_scale", full.learningRateScale, in: 1e-4...1e4, "multiplies every optimiser's learning rate")]
    }

    public var tinySettings: [String] { ["training_examples=256", "validation_examples=100", "hidden_units=16", "epochs=1", "surface_steps=50"] }

    public func run(_ context: LabContext) throws -> LabResult {
        let values = context.settings
        var settings = Settings()
        settings.trainingExamples = values.integer("training_examples")
        settings.validationExamples = values.integer("validation_examples")
        settings.hiddenUnits = values.integer("hidden_units")
        settings.batchSize = values.integer("batch_size")
        settings.epochs = values.integer("epochs")
        settings.surfaceSteps = values.integer("surface_steps")
        settings.learningRateScale = values.real("learning_rate_scale")
        try settings.validate()
        let generator = context.generator()
        let data = try FashionSubset.load(training: settings.trainingExamples, validation: settings.validationExamples,
                                          generator: generator, folder: context.dataFolder)
        guard let result = try Self.run(settings: settings, generator: generator, data: data, trainer: context) else { return .interrupted }
        let rows = result.curves.map { curve -> [String] in
            let rate = curve.method.networkLearningRate * settings.learningRateScale
            let ends = ErrorSurface.allCases.map { surface -> String in
                guard let end = result.paths[surface]?[curve.method]?.last else { return "-" }
                return String(format: "%.3g", surface.distanceToNearestMinimum(x: end.x, y: end.y))
            }
            let leaving = result.paths[.saddle]?[curve.method].flatMap { $0.firstIndex { abs($0.y) > 0.5 } }
            return [curve.method.title, String(format: "%g", rate), String(format: "%.4f", curve.training.finalTrainingLoss),
                    String(format: "%.4f", curve.training.finalValidationAccuracy)] + ends + [leaving.map(String.init) ?? "never"]
        }
        guard let adam = result.curve(.adam), let sgd = result.curve(.sgd) else { throw LabError("optimizers: Adam or SGD did not run") }
        let ratio = sgd.training.finalTrainingLoss / adam.training.finalTrainingLoss
        context.log(String(format: "final training loss: SGD %.4f, Adam %.4f (ratio %.2f)", sgd.training.finalTrainingLoss,
                           adam.training.finalTrainingLoss, ratio))
        var summary: [(key: String, value: Any)] = []
        for curve in result.curves {
            summary.append(("\(curve.method.rawValue)_final_loss", curve.training.finalTrainingLoss))
            summary.append(("\(curve.method.rawValue)_validation_accuracy", curve.training.finalValidationAccuracy))
        }
        return LabResult(headline: ratio, summary: summary, sections: [
            .figure("Training loss by optimiser", Self.lossCurves(result),
                    caption: "Mean batch loss, four points an epoch; every optimiser starts from the same weights and sees the same batches."),
            .figure("Validation accuracy", Self.accuracyCurves(result)),
            .figure("Paths on Rosenbrock's valley", Self.pathFigure(result, surface: .rosenbrock),
                    caption: "From (-1.2, 1) towards the minimum at (1, 1), \(settings.surfaceSteps) steps each."),
            .figure("Paths near a saddle point", Self.pathFigure(result, surface: .saddle),
                    caption: "From (1.5, 0.001), just off the ridge y = 0: the gradient along y is tiny, so plain SGD and momentum linger near the saddle for hundreds of steps while the adaptive rules, which scale each coordinate's step by its own gradient history, leave at once (see the table)."),
            .table("Final figures", headers: ["optimiser", "learning rate (network)", "final training loss", "validation accuracy",
                                              "Rosenbrock: distance to minimum", "saddle: distance to a minimum",
                                              "saddle: steps until |y| > 0.5"], rows: rows),
        ])
    }
}

extension ErrorSurface {
    /// Euclidean distance from (x, y) to the closest minimum (infinite for a diverged path).
    public func distanceToNearestMinimum(x: Double, y: Double) -> Double {
        minima.map { ((x - $0[0]) * (x - $0[0]) + (y - $0[1]) * (y - $0[1])).squareRoot() }.min() ?? .nan
    }
}
