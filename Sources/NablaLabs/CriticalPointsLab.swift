import Foundation
import Nabla
import NablaNN
import NablaOptim
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
/// LAPACK. Many runs from different initialisations give the histogram of minimum ratios and the scatter
/// of loss against minimum ratio.
public enum CriticalPointsLab {
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
            try requireSetting("hiddenUnits", hiddenUnits, in: 1...40)
            try requireSetting("samples", samples, in: 2...10_000)
            try requireSetting("trainingSteps", trainingSteps, in: 0...1_000_000)
            try requireSetting("learningRate", learningRate, in: 1e-8...10)
            try requireSetting("gradientNormSteps", gradientNormSteps, in: 0...1_000_000)
            try requireSetting("gradientNormLearningRate", gradientNormLearningRate, in: 1e-8...10)
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

    /// Trains one network, moves it onto a critical point and reads the Hessian's eigenvalues there.
    public static func findCriticalPoint(settings: Settings, generator: RandomGenerator) -> Run {
        let (inputs, targets) = data(samples: settings.samples)
        let network = model(hiddenUnits: settings.hiddenUnits, generator: generator)
        let parameters = network.parameters()
        func loss() -> Tensor { mseLoss(network(inputs), targets) }
        func gradientNormSquared(createGraph: Bool) -> Tensor {
            gradients(of: loss(), withRespectTo: parameters, createGraph: createGraph)
                .map { ($0 * $0).sum() }.reduce(Tensor(scalar: 0), +)
        }

        // 1. Ordinary training on the squared error.
        let adam = Adam(parameters, configuration: .init(learningRate: settings.learningRate))
        for _ in 0..<settings.trainingSteps {
            adam.zeroGradients()
            loss().backward()
            adam.step()
        }
        let normAfterTraining = Double(gradientNormSquared(createGraph: false).item).squareRoot()

        // 2. Minimise ‖∇L‖² (its gradient is H·∇L, through gradients of gradients), keeping the
        //    parameters where the norm was smallest, since Adam's last step need not be its best.
        let search = Adam(parameters, configuration: .init(learningRate: settings.gradientNormLearningRate))
        var best = (norm: normAfterTraining, values: parameters.map(\.scalars))
        for _ in 0..<settings.gradientNormSteps {
            search.zeroGradients()
            let normSquared = gradientNormSquared(createGraph: true)
            let norm = Double(normSquared.item).squareRoot()
            if norm < best.norm { best = (norm, parameters.map(\.scalars)) }
            normSquared.backward()
            search.step()
        }
        let finalNorm = Double(gradientNormSquared(createGraph: false).item).squareRoot()
        if finalNorm >= best.norm {
            for (parameter, values) in zip(parameters, best.values) { parameter.assign(Tensor(values, shape: parameter.shape)) }
        }

        // 3. The Hessian there, symmetrised against rounding, and its spectrum.
        let h = hessian(of: loss(), withRespectTo: parameters)
        let eigenvalues = symmetricEigenvalues((h + h.T) * 0.5).scalars.map(Double.init)
        return Run(loss: Double(withoutGradients { loss() }.item), gradientNormAfterTraining: normAfterTraining,
                   gradientNorm: min(best.norm, finalNorm), eigenvalues: eigenvalues)
    }

    /// Every run of `settings`, each network drawn from `generator` in turn.
    public static func run(settings: Settings, generator: RandomGenerator,
                           progress: (_ finished: Int, _ run: Run) -> Void = { _, _ in }) throws -> Result {
        try settings.validate()
        var runs: [Run] = []
        for index in 0..<settings.runs {
            let found = findCriticalPoint(settings: settings, generator: generator)
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
