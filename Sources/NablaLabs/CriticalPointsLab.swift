import Foundation
import Nabla
import NablaNN
import NablaOptim
import NablaTrain
import NablaViz

/// Critical points: when training stalls because the gradient is small, is it at a local minimum or at a
/// saddle point? (Lecture: optimisation when gradients are small; homework 2-2's "minimum ratio".)
///
/// Near a critical point θ₀ (∇L = 0) the Taylor series is L(θ) ≈ L(θ₀) + ½ (θ − θ₀)ᵀ H (θ − θ₀), so the
/// Hessian H decides: every eigenvalue positive → a local minimum; some negative → a saddle point, and
/// each eigenvector with λ < 0 is a way downhill. The **minimum ratio** is the share of positive
/// eigenvalues: 1 at a true minimum. The lecture's empirical picture: critical points a network finds are
/// rarely true minima, their minimum ratio lies mostly between 0.5 and 1, and lower loss goes with a
/// higher ratio.
///
/// Each run: a small tanh network fits sin(5πx)/(5πx) on [−1, 1] with Adam; then the objective changes to
/// the squared gradient norm ‖∇L‖², which pulls the parameters onto the nearest critical point; there the
/// full Hessian (a few hundred parameters) is computed by gradients of gradients and its eigenvalues by
/// LAPACK. All runs' networks train side by side, so the lab's run has two stages (two checkpoints). Many runs from different initialisations give the histogram of minimum ratios and the scatter
/// of loss against minimum ratio.
public struct CriticalPointsLab: Lab {
    public init() {}

    public struct Settings: Equatable, Sendable {
        /// Independent trainings (each from its own initialisation), one critical point each.
        public var runs = 100
        /// Units in each of the two tanh layers: the network has hidden² + 4·hidden + 1 parameters.
        public var hiddenUnits = 8
        /// Points of the target function, evenly spaced on [−1, 1].
        public var samples = 64
        /// Adam steps on the squared error before the search for a critical point.
        public var trainingSteps = 2000
        public var learningRate = 0.01
        /// Adam steps on ‖∇L‖².
        public var gradientNormSteps = 1000
        public var gradientNormLearningRate = 1e-3

        public init() {}

        /// The setting of the report: enough runs for a histogram.
        public static let full = Settings()
        /// A smoke test: a few small runs.
        public static var quick: Settings {
            var settings = Settings()
            settings.runs = 6
            settings.hiddenUnits = 6
            settings.samples = 32
            settings.trainingSteps = 300
            settings.gradientNormSteps = 150
            return settings
        }

        public func validate() throws {
            try requireSetting("runs", runs, in: 1...10_000)
            try requireSetting("hidden_units", hiddenUnits, in: 1...40)
            try requireSetting("samples", samples, in: 2...10_000)
            try requireSetting("training_steps", trainingSteps, in: 0...1_000_000)
            try requireSetting("learning_rate", learningRate, in: 1e-8...10)
            try requireSetting("gradient_norm_steps", gradientNormSteps, in: 0...1_000_000)
            try requireSetting("gradient_norm_learning_rate", gradientNormLearningRate, in: 1e-8...10)
        }
    }

    /// One critical point.
    public struct Run: Sendable {
        /// Mean squared error at the critical point.
        public let loss: Double
        /// ‖∇L‖ after the ordinary training, and at the critical point.
        public let gradientNormAfterTraining: Double
        public let gradientNorm: Double
        /// The Hessian's eigenvalues, ascending.
        public let eigenvalues: [Double]
        /// Share of strictly positive eigenvalues (the lecture's definition).
        public var minimumRatio: Double { Double(eigenvalues.filter { $0 > 0 }.count) / Double(eigenvalues.count) }
    }

    public struct Result: Sendable {
        public let settings: Settings
        public let runs: [Run]
        public var parameterCount: Int { runs.first?.eigenvalues.count ?? 0 }
        public var medianMinimumRatio: Double { median(of: runs.map(\.minimumRatio)) }
        /// Spearman correlation of loss and minimum ratio: negative when lower loss goes with a higher ratio.
        public var lossRatioCorrelation: Double { rankCorrelation(runs.map(\.loss), runs.map(\.minimumRatio)) }
        /// Runs that are true minima (no negative eigenvalue).
        public var minimaCount: Int { runs.filter { $0.eigenvalues.first.map { $0 >= 0 } ?? false }.count }
    }

    /// The target: sin(5πx)/(5πx), the lecture's wiggly one-dimensional function.
    static func target(_ x: Double) -> Double {
        let angle = 5 * Double.pi * x
        return abs(angle) < 1e-12 ? 1 : sin(angle) / angle
    }

    /// Inputs (samples, 1) evenly spaced on [−1, 1] and the target at each.
    static func data(samples: Int) -> (inputs: Tensor, targets: Tensor) {
        let points = (0..<samples).map { -1 + 2 * Double($0) / Double(samples - 1) }
        return (Tensor(points.map(Float.init), shape: [samples, 1]), Tensor(points.map { Float(target($0)) }, shape: [samples, 1]))
    }

    /// 1 → hidden → hidden → 1 with tanh: smooth, so its Hessian is defined everywhere.
    static func model(hiddenUnits: Int, generator: RandomGenerator) -> Sequential {
        Sequential(Linear(inputSize: 1, outputSize: hiddenUnits, generator: generator), Tanh(),
                   Linear(inputSize: hiddenUnits, outputSize: hiddenUnits, generator: generator), Tanh(),
                   Linear(inputSize: hiddenUnits, outputSize: 1, generator: generator))
    }

    /// The mean squared error of `network` on the target.
    static func loss(_ network: Sequential, _ inputs: Tensor, _ targets: Tensor) -> Tensor { mseLoss(network(inputs), targets) }

    /// ‖∇L‖² of `network`; with `createGraph` differentiable again (its gradient is H·∇L).
    static func gradientNormSquared(_ network: Sequential, _ inputs: Tensor, _ targets: Tensor, createGraph: Bool) -> Tensor {
        gradients(of: loss(network, inputs, targets), withRespectTo: network.parameters(), createGraph: createGraph)
            .map { ($0 * $0).sum() }.reduce(Tensor(scalar: 0), +)
    }

    /// Every run of `settings`: the networks, drawn from `generator` one after another, are trained side
    /// by side in two stages of the run through `trainer` (a scratch one by default) — `fit`, Adam on the
    /// squared error, then `critical-point`, Adam on ‖∇L‖² — and then each one's Hessian is read. Nil
    /// when a stage was interrupted.
    public static func run(settings: Settings, generator: RandomGenerator, trainer: StageTrainer? = nil,
                           progress: (_ finished: Int, _ run: Run) -> Void = { _, _ in }) throws -> Result? {
        try settings.validate()
        let trainer = try trainer ?? ScratchTrainer()
        let (inputs, targets) = data(samples: settings.samples)
        let networks = (0..<settings.runs).map { _ in model(hiddenUnits: settings.hiddenUnits, generator: generator) }

        // 1. Ordinary training on the squared error.
        if settings.trainingSteps > 0 {
            let fit = CriticalPointTask(networks: networks, objective: .squaredError, learningRate: settings.learningRate,
                                        steps: settings.trainingSteps, inputs: inputs, targets: targets)
            guard try trainer.train(fit, epochs: fit.epochs, stage: "fit").isOver else { return nil }
        }
        let normsAfterTraining = networks.map { Double(gradientNormSquared($0, inputs, targets, createGraph: false).item).squareRoot() }

        // 2. Minimise ‖∇L‖², keeping each network's parameters where the norm was smallest, since Adam's
        //    last step need not be its best.
        let search = CriticalPointTask(networks: networks, objective: .gradientNorm, learningRate: settings.gradientNormLearningRate,
                                       steps: settings.gradientNormSteps, inputs: inputs, targets: targets, startNorms: normsAfterTraining)
        if settings.gradientNormSteps > 0 {
            guard try trainer.train(search, epochs: search.epochs, stage: "critical-point").isOver else { return nil }
        }

        // 3. At each network's best point, the Hessian, symmetrised against rounding, and its spectrum.
        var runs: [Run] = []
        for (index, network) in networks.enumerated() {
            let parameters = network.parameters()
            let finalNorm = Double(gradientNormSquared(network, inputs, targets, createGraph: false).item).squareRoot()
            if finalNorm >= search.bestNorms[index] {
                for (parameter, values) in zip(parameters, search.bestValues[index]) { parameter.assign(Tensor(values, shape: parameter.shape)) }
            }
            let h = hessian(of: loss(network, inputs, targets), withRespectTo: parameters)
            let eigenvalues = symmetricEigenvalues((h + h.T) * 0.5).scalars.map(Double.init)
            let found = Run(loss: Double(withoutGradients { loss(network, inputs, targets) }.item), gradientNormAfterTraining: normsAfterTraining[index],
                            gradientNorm: min(search.bestNorms[index], finalNorm), eigenvalues: eigenvalues)
            runs.append(found)
            progress(index + 1, found)
        }
        return Result(settings: settings, runs: runs)
    }

    // MARK: Figures

    /// The headline: loss against minimum ratio, one point per critical point (the lecture's plot).
    public static func lossAgainstRatio(_ result: Result) -> ScatterPlot {
        ScatterPlot(title: "Loss at \(result.runs.count) critical points", xLabel: "minimum ratio (share of positive eigenvalues)",
                    yLabel: "training loss (MSE)", x: result.runs.map(\.minimumRatio), y: result.runs.map(\.loss))
    }

    public static func ratioHistogram(_ result: Result) -> Histogram {
        Histogram(title: "Minimum ratio over \(result.runs.count) runs", xLabel: "minimum ratio",
                  values: result.runs.map(\.minimumRatio), binCount: 20)
    }

    /// Sorted eigenvalues of the lowest-loss and the highest-loss run on a symmetric-log axis, so the
    /// few large positive curvatures and the many small ones of both signs show together.
    public static func spectra(_ result: Result) -> LineChart {
        let byLoss = result.runs.sorted { $0.loss < $1.loss }
        let scale = 1e-4
        var picked: [(String, Run)] = []
        if let lowest = byLoss.first { picked.append(("lowest loss", lowest)) }
        if byLoss.count > 1, let highest = byLoss.last { picked.append(("highest loss", highest)) }
        return LineChart(title: "Hessian eigenvalues at a critical point", xLabel: "eigenvalue index (ascending)",
                         yLabel: "sign(l) log10(1 + |l| / 1e-4)",
                         series: picked.map { name, run in
                             .init(name: "\(name) \(String(format: "%.2g", run.loss))",
                                   x: run.eigenvalues.indices.map(Double.init),
                                   y: run.eigenvalues.map { symmetricLog($0, scale: scale) })
                         })
    }
}

// MARK: The lab

extension CriticalPointsLab {
    public var name: String { "critical-points" }
    public var lecture: String { "Optimisation when gradients are small" }
    public var summary: String { "train small networks onto critical points; the Hessian's minimum ratio against the loss" }
    public var baseline: Baseline {
        Baseline(metric: "median_minimum_ratio", value: 0.5,
                 source: "the lecture: critical points that training finds are rarely maxima; most have a minimum ratio between 0.5 and 1")
    }

    public var settings: [LabSetting] {
        let (full, quick) = (Settings.full, Settings.quick)
        return [.integer("runs", full.runs, quick: quick.runs, in: 1...10_000, "trainings, one critical point each"),
                .integer("hidden_units", full.hiddenUnits, quick: quick.hiddenUnits, in: 1...40, "units in each of the two tanh layers"),
                .integer("samples", full.samples, quick: quick.samples, in: 2...10_000, "points of sin(5 pi x)/(5 pi x) on [-1, 1]"),
                .integer("training_steps", full.trainingSteps, quick: quick.trainingSteps, in: 0...1_000_000, "Adam steps on the squared error"),
                .real("learning_rate", full.learningRate, in: 1e-8...10, "Adam's rate on the squared error"),
                .integer("gradient_norm_steps", full.gradientNormSteps, quick: quick.gradientNormSteps, in: 0...1_000_000,
                         "Adam steps on the squared gradient norm"),
                .real("gradient_norm_learning_rate", full.gradientNormLearningRate, in: 1e-8...10, "Adam's rate on the gradient norm")]
    }

    public var tinySettings: [String] { ["runs=2", "hidden_units=3", "training_steps=50", "gradient_norm_steps=20"] }

    public func run(_ context: LabContext) throws -> LabResult {
        let values = context.settings
        var settings = Settings()
        settings.runs = values.integer("runs")
        settings.hiddenUnits = values.integer("hidden_units")
        settings.samples = values.integer("samples")
        settings.trainingSteps = values.integer("training_steps")
        settings.learningRate = values.real("learning_rate")
        settings.gradientNormSteps = values.integer("gradient_norm_steps")
        settings.gradientNormLearningRate = values.real("gradient_norm_learning_rate")
        let found = try Self.run(settings: settings, generator: context.generator(), trainer: context) { index, run in
            context.log(String(format: "run %d/%d: loss %.2e, gradient norm %.1e -> %.1e, minimum ratio %.3f", index, settings.runs,
                               run.loss, run.gradientNormAfterTraining, run.gradientNorm, run.minimumRatio))
        }
        guard let result = found else { return .interrupted }
        let median = result.medianMinimumRatio, correlation = result.lossRatioCorrelation
        let normalized = result.runs.map { $0.gradientNorm / max($0.gradientNormAfterTraining, 1e-30) }
        context.log(String(format: "%d parameters; median minimum ratio %.3f; Spearman(loss, ratio) %.3f; %d of %d true minima",
                           result.parameterCount, median, correlation, result.minimaCount, result.runs.count))
        let rows = result.runs.enumerated().sorted { $0.element.loss < $1.element.loss }.prefix(12).map { index, run in
            [String(index + 1), String(format: "%.3e", run.loss), String(format: "%.1e", run.gradientNorm),
             String(format: "%.3f", run.minimumRatio), String(format: "%.2e", run.eigenvalues.first ?? .nan),
             String(format: "%.2e", run.eigenvalues.last ?? .nan)]
        }
        return LabResult(headline: median, summary: [
            ("parameters", result.parameterCount), ("runs", result.runs.count),
            ("loss_ratio_spearman", correlation), ("true_minima", result.minimaCount),
            ("median_gradient_norm", CriticalPointsLab.medianOf(result.runs.map(\.gradientNorm))),
            ("median_gradient_norm_reduction", CriticalPointsLab.medianOf(normalized)),
        ], sections: [
            .figure("Loss against minimum ratio", Self.lossAgainstRatio(result),
                    caption: "One point per critical point. Spearman correlation of loss and ratio: \(String(format: "%.3f", correlation)) (negative: lower loss with a higher ratio)."),
            .figure("Minimum ratio over the runs", Self.ratioHistogram(result),
                    caption: "Share of the \(result.parameterCount) Hessian eigenvalues that are positive; 1 is a true minimum."),
            .figure("Spectra", Self.spectra(result), caption: "Eigenvalues of the lowest- and highest-loss runs, symmetric log scale."),
            .table("Lowest-loss critical points", headers: ["run", "loss", "gradient norm", "minimum ratio", "smallest eigenvalue", "largest eigenvalue"],
                   rows: Array(rows)),
            .text("What to look for", """
                A minimum ratio of 1 would be a true local minimum; below 1 some direction still goes downhill. \
                The eigenvalues nearest zero are the least certain (float32 gradients, a gradient norm that is small but not zero): \
                the ratio counts their signs as they come, as the lecture does.
                """),
        ])
    }

    static func medianOf(_ values: [Double]) -> Double { median(of: values) }
}
