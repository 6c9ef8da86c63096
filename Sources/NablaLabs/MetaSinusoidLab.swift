import Foundation
import Nabla
import NablaNN
import NablaOptim
import NablaTrain
import NablaTransfer
import NablaViz

/// MAML on the sinusoid tasks of Finn et al. (2017). (Lecture: meta-learning.)
///
/// Every task is a sine wave y = A sin(x − φ) with its own amplitude and phase; a learner sees K = 5
/// points of a new wave and takes one gradient step. MAML learns the initial weights θ for that step:
/// the meta-loss is the query error after the inner step θ' = θ − α ∇L_support(θ), and its gradient
/// goes through the inner step (second order: a Hessian-vector product from Nabla's own autodiff).
/// First-order MAML drops that term. The reference is the paper's "pretrained" network: trained on all
/// tasks at once (it learns the mean curve, zero) and fine-tuned the same way at test time.
///
/// Baseline: MAML's test MSE after one step on 5 shots, 1.13 in the Meta-SGD paper's table for MAML
/// (Li et al., 2017), and it must also beat the pretrained-and-fine-tuned network (the report says).
public struct MetaSinusoidLab: Lab {
    public init() {}

    static let methods = ["maml", "fomaml", "pretrained"]

    public var name: String { "meta-sinusoid" }
    public var lecture: String { "Meta-learning" }
    public var summary: String { "MAML (second order), first-order MAML and a pretrained network fine-tuned on 5-shot sinusoid regression" }
    public var settings: [LabSetting] {
        [.text("methods", "maml,fomaml,pretrained", "comma-separated methods to train (maml, fomaml, pretrained)"),
         .integer("iterations", 20_000, quick: 1_500, in: 1...1_000_000, "meta-iterations (one meta-batch of tasks each) per method"),
         .integer("chunk", 1_000, quick: 500, in: 1...1_000_000, "meta-iterations between test evaluations (and checkpoints)"),
         .integer("meta_batch", 25, in: 1...1000, "tasks per meta-iteration"),
         .integer("shots", 5, in: 1...100, "K: support points a task is adapted on"),
         .integer("queries", 10, in: 1...1000, "query points per training task (the meta-loss)"),
         .integer("hidden", 40, in: 1...1000, "units in each of the two hidden layers"),
         .real("inner_learning_rate", 0.01, in: 1e-5...10, "alpha: the step size of the inner (adaptation) step"),
         .real("meta_learning_rate", 0.001, in: 1e-6...1, "Adam's learning rate on the initial weights"),
         .integer("test_tasks", 600, quick: 200, in: 1...100_000, "unseen tasks the test MSE is averaged over"),
         .integer("test_points", 100, in: 1...10_000, "query points per test task")]
    }
    public var tinySettings: [String] { ["iterations=6", "chunk=3", "meta_batch=4", "test_tasks=8", "test_points=20", "hidden=8"] }
    public var baseline: Baseline {
        Baseline(metric: "maml_test_mse", value: 1.13, higherIsBetter: false,
                 source: "MAML, 5-shot sinusoid regression after one gradient step, as reported in the Meta-SGD paper (Li et al., 2017, Table 1: 1.13 ± 0.18); "
                     + "it must also be below the pretrained-and-fine-tuned network's test MSE (reported beside it)",
                 quickValue: 2.5)
    }

    struct Configuration {
        var shots, queries, metaBatch, hidden, chunk: Int
        var innerLearningRate: Float
        var metaLearningRate: Double
    }

    public func run(_ context: LabContext) throws -> LabResult {
        let values = context.settings
        let methods = try LabMethodList.parse(values.text("methods"), allowed: Self.methods)
        let configuration = Configuration(shots: values.integer("shots"), queries: values.integer("queries"), metaBatch: values.integer("meta_batch"),
                                          hidden: values.integer("hidden"), chunk: values.integer("chunk"),
                                          innerLearningRate: Float(values.real("inner_learning_rate")), metaLearningRate: values.real("meta_learning_rate"))
        let epochs = max(1, values.integer("iterations") / configuration.chunk)
        let test = SinusoidTasks().sample(tasks: values.integer("test_tasks"), points: configuration.shots + values.integer("test_points"),
                                          generator: RandomGenerator(seed: context.seed &+ 1_000_003)).split(at: configuration.shots)
        var networks: [String: FastWeightMLP] = [:], curves: [LineChart.Series] = [], stepSeries: [LineChart.Series] = []
        var rows: [[String]] = [], summary: [(key: String, value: Any)] = [], afterOne: [String: Double] = [:]
        for (index, method) in methods.enumerated() {
            let network = FastWeightMLP(sizes: [1, configuration.hidden, configuration.hidden, 1], generator: context.generator(stream: 1))
            let task = MetaSinusoidTask(method: method, network: network, configuration: configuration, test: test,
                                        generator: context.generator(stream: 2 + UInt64(index)))
            let start = Date()
            let outcome = try context.train(task, epochs: epochs, stage: method)
            guard outcome.isOver else { return .interrupted }
            let seconds = Date().timeIntervalSince(start)
            let losses = task.testLosses(steps: 10)
            let means: [Double] = losses.map { (row: [Float]) -> Double in row.reduce(0.0) { $0 + Double($1) } / Double(row.count) }
            let (mean, halfWidth) = meanAndInterval(losses[1])
            afterOne[method] = mean
            context.log(String(format: "%@: test MSE %.3f ± %.3f after one step (%.3f before, %.3f after 10 steps), %.0f s",
                               method, mean, halfWidth, means[0], means[10], seconds))
            rows.append([method, String(format: "%.3f", means[0]), String(format: "%.3f ± %.3f", mean, halfWidth), String(format: "%.3f", means[10]),
                         String(format: "%.0f", seconds)])
            summary += [("\(method)_test_mse", mean), ("\(method)_test_mse_interval", halfWidth), ("\(method)_test_mse_10_steps", means[10]),
                        ("\(method)_seconds", seconds)]
            let rowsWithMSE = outcome.state.metrics.filter { $0["test_mse"] != nil }
            let iterations: [Double] = rowsWithMSE.map { ($0["epoch"] ?? 0) * Double(configuration.chunk) }
            curves.append(.init(name: method, x: iterations, y: rowsWithMSE.map { $0["test_mse"]! }))
            stepSeries.append(.init(name: method, x: (0...10).map(Double.init), y: means))
            networks[method] = network
        }
        if let maml = afterOne["maml"], let pretrained = afterOne["pretrained"] {
            summary.append(("maml_below_pretrained", maml < pretrained))
            context.log(String(format: "MAML %.3f against pretrained-and-fine-tuned %.3f: %@", maml, pretrained, maml < pretrained ? "below" : "NOT below"))
        }
        var sections: [ReportSection] = [ReportSection(title: "Fitted curves after 0, 1 and 10 steps",
            caption: "One unseen task: the true curve, its \(configuration.shots) support points, and each method's prediction before and after "
                + "1 and 10 gradient steps (step size \(format(Double(configuration.innerLearningRate)))) on those points, as in the MAML paper's figure 2.",
            content: .figures(fitCharts(networks, methods: methods, test: test, configuration: configuration).map { ($0, "fitted curves of \($0.title)") }))]
        sections.append(.lineChart("Test MSE after k gradient steps", xLabel: "gradient steps on the support points", yLabel: "test MSE", series: stepSeries,
                                   caption: "Mean over \(test.support.taskCount) unseen tasks. MAML is trained for one step and keeps improving with more; "
                                       + "the pretrained network starts at the mean curve and one small step barely moves it."))
        sections.append(.lineChart("Test MSE during meta-training", xLabel: "meta-iteration", yLabel: "test MSE after one step", series: curves,
                                   caption: "Measured every \(configuration.chunk) meta-iterations on the same unseen tasks."))
        sections.append(.table("Test MSE (\(configuration.shots)-shot)", headers: ["method", "before adapting", "after 1 step (95% interval)", "after 10 steps", "seconds"],
                               rows: rows, caption: "Bar: MAML ≤ 1.13 after one step (Meta-SGD paper, Table 1) and below the pretrained network."))
        return LabResult(headline: afterOne["maml"] ?? .nan, summary: summary, sections: sections)
    }

    func meanAndInterval(_ values: [Float]) -> (Double, Double) {
        let n = Double(values.count), mean = values.reduce(0) { $0 + Double($1) } / n
        let variance = values.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / max(n - 1, 1)
        return (mean, 1.96 * (variance / n).squareRoot())
    }

    /// The first test task: truth, support points and each method's fit after 0, 1 and 10 steps.
    func fitCharts(_ networks: [String: FastWeightMLP], methods: [String], test: (support: SinusoidTasks.Batch, query: SinusoidTasks.Batch),
                    configuration: Configuration) -> [LineChart] {
        let grid = (0...100).map { -5 + 10 * Float($0) / 100 }
        let (amplitude, phase) = (test.support.amplitudes[0], test.support.phases[0])
        let truth = grid.map { SinusoidTasks.value(amplitude: amplitude, phase: phase, at: $0) }
        let shotsX = test.support.x.sliced(axis: 0, start: 0, end: 1).contiguous(), shotsY = test.support.y.sliced(axis: 0, start: 0, end: 1).contiguous()
        // Isolated points (NaN between them) draw as dots.
        var pointsX: [Double] = [], pointsY: [Double] = []
        for (x, y) in zip(shotsX.scalars, shotsY.scalars) { pointsX += [Double(x), .nan]; pointsY += [Double(y), .nan] }
        let charts = methods.map { method -> LineChart in
            let network = networks[method]!
            var fast = network.perTask(tasks: 1).map { $0.detached() }
            var series: [LineChart.Series] = [.init(name: "truth", x: grid.map(Double.init), y: truth.map(Double.init)),
                                              .init(name: "\(configuration.shots) shots", x: pointsX, y: pointsY)]
            let input = Tensor(grid, shape: [1, grid.count, 1])
            for step in 0...10 {
                if [0, 1, 10].contains(step) {
                    let prediction = withoutGradients { network.forward(input, weights: fast) }.scalars
                    series.append(.init(name: "after \(step) step\(step == 1 ? "" : "s")", x: grid.map(Double.init), y: prediction.map(Double.init)))
                }
                fast = MAML.adapt(weights: fast, support: (shotsX, shotsY), steps: 1, learningRate: configuration.innerLearningRate, createGraph: false,
                                  forward: network.forward, loss: MAML.meanSquaredErrorPerTask).map { $0.detached() }
            }
            return LineChart(width: 480, height: 340, title: method, xLabel: "x", yLabel: "y", series: series)
        }
        return charts
    }
}

/// Meta-training of one method on sinusoid tasks: each batch is a meta-batch of tasks (drawn up front
/// for the epoch from the task generator), each step one Adam step on the meta-loss (MAML, first-order
/// MAML) or on the plain regression loss over all the tasks' points (the pretrained reference).
final class MetaSinusoidTask: TrainingTask {
    let method: String
    let network: FastWeightMLP
    let optimizer: Adam
    let configuration: MetaSinusoidLab.Configuration
    let test: (support: SinusoidTasks.Batch, query: SinusoidTasks.Batch)
    let generator: RandomGenerator

    init(method: String, network: FastWeightMLP, configuration: MetaSinusoidLab.Configuration,
         test: (support: SinusoidTasks.Batch, query: SinusoidTasks.Batch), generator: RandomGenerator) {
        self.method = method
        self.network = network
        self.optimizer = Adam(network.parameters(), configuration: .init(learningRate: configuration.metaLearningRate))
        self.configuration = configuration
        self.test = test
        self.generator = generator
    }

    var models: KeyValuePairs<String, Module> { ["network": network] }
    var optimizers: KeyValuePairs<String, any Optimizer> { ["adam": optimizer] }
    var generators: KeyValuePairs<String, RandomGenerator> { ["tasks": generator] }
    var batchesPerEpoch: Int { configuration.chunk }

    func epochBatches(epoch: Int) -> AnyIterator<UInt64> {
        let seeds = (0..<configuration.chunk).map { _ in generator.next() }
        return AnyIterator(seeds.makeIterator())
    }

    func trainStep(_ seed: UInt64) throws -> StepResult {
        let tasks = SinusoidTasks().sample(tasks: configuration.metaBatch, points: configuration.shots + configuration.queries,
                                           generator: RandomGenerator(seed: seed))
        let weights = network.perTask(tasks: configuration.metaBatch)
        let loss: Tensor
        if method == "pretrained" {
            loss = MAML.meanSquaredErrorPerTask(network.forward(tasks.x, weights: weights), tasks.y).mean()
        } else {
            let (support, query) = tasks.split(at: configuration.shots)
            let maml = MAML(innerLearningRate: configuration.innerLearningRate, innerSteps: 1, order: method == "maml" ? .second : .first)
            loss = maml.metaLoss(weights: weights, support: (support.x, support.y), query: (query.x, query.y),
                                 forward: network.forward, loss: MAML.meanSquaredErrorPerTask)
        }
        minimize(loss, with: optimizer)
        return StepResult(loss: loss, count: configuration.metaBatch)
    }

    /// Query losses per test task after 0…`steps` inner steps.
    func testLosses(steps: Int) -> [[Float]] {
        MAML.lossesAfterSteps(weights: network.perTask(tasks: test.support.taskCount), support: (test.support.x, test.support.y),
                              query: (test.query.x, test.query.y), steps: steps, learningRate: configuration.innerLearningRate,
                              forward: network.forward, loss: MAML.meanSquaredErrorPerTask)
    }

    func evaluate(epoch: Int) throws -> [(key: String, value: Double)] {
        let losses = testLosses(steps: 1)
        return [("test_mse", losses[1].reduce(0) { $0 + Double($1) } / Double(losses[1].count)),
                ("test_mse_before", losses[0].reduce(0) { $0 + Double($1) } / Double(losses[0].count))]
    }
}
