import Foundation
import Nabla
import NablaClassic
import NablaTrain
import NablaViz

/// **Generative vs discriminative** (lecture: classification), on scikit-learn's breast-cancer data:
/// 569 tumours, 30 cell-nucleus measurements, malignant or benign.
///
/// A *generative* classifier models how each class produces its data, `p(x | k) = N(x; μₖ, Σₖ)`
/// with prior `πₖ`, and classifies by Bayes' rule `p(k | x) ∝ πₖ N(x; μₖ, Σₖ)`. With one covariance
/// shared by both classes the log-odds are linear in x — the same form as logistic regression,
/// `p(malignant | x) = σ(w·x + b)` — yet the two fit different things: the generative model estimates
/// means and a covariance in closed form (it assumes Gaussian classes), logistic regression fits w
/// and b directly by maximum likelihood of the labels (it assumes nothing about x). The lecture's
/// claim: the generative model, with its extra assumption, needs less data and wins when data are
/// few; the discriminative one wins when there are more. Separate covariances (quadratic
/// boundaries) and naive Bayes (diagonal covariances) are the other two generative models compared.
///
/// The experiment: for each training-set size, draw many stratified training sets from the non-test
/// part, standardise with the draw's own statistics, fit all four models and score them on the test
/// set; the accuracy curves show mean ± spread over draws, against predicting the majority class.
/// It runs on all 30 features, on the first 10 (the mean measurements) and on the first 4 (mean
/// radius, texture, perimeter, area), since how many samples count as "few" depends on how many
/// parameters each model must estimate.
///
/// The baseline is always predicting the majority class (benign, 357 of 569 tumours); the headline
/// is logistic regression's test accuracy at the largest training size on the first feature set.
/// Whether the crossover appears is reported beside it, not assumed.
///
/// ```swift
/// let result = try GenerativeVsLogisticLab.run(.quick, generator: RandomGenerator(seed: 0))
/// result.crossovers.map(\.appears)
/// ```
/// or `nabla lab run generative-vs-logistic [--quick] [--set feature_counts=30,10,4]`.
public struct GenerativeVsLogisticLab: Lab {
    public init() {}
    public var name: String { "generative-vs-logistic" }
    public var lecture: String { "Classification" }
    public var summary: String {
        "breast cancer: Gaussian generative classifiers (shared, separate, diagonal covariance) against logistic regression as the training set grows"
    }

    public var baseline: Baseline {
        Baseline(metric: "test_accuracy", value: 357.0 / 569,
                 source: "always predicting the majority class (benign, 357 of 569 tumours); logistic regression at the largest training size")
    }

    public var settings: [LabSetting] {
        let full = Settings.full, quick = Settings.quick
        return [
            .real("test_fraction", full.testFraction, in: 0.1...0.5, "share of the tumours held out as the test set in each draw"),
            .text("training_sizes", listText(full.trainingSizes), quick: listText(quick.trainingSizes),
                  "training-set sizes, increasing, comma-separated (at least 4)"),
            .integer("draws", full.draws, quick: quick.draws, in: 1...1000, "random test split and training sets per size"),
            .text("feature_counts", listText(full.featureCounts), quick: listText(quick.featureCounts), "run on the first k features for each k, comma-separated (30 = all)"),
            .real("logistic_penalty", full.logisticPenalty, in: 0...1e6, "λ of logistic regression's L2 penalty; 0 = maximum likelihood"),
            .real("separate_regularization", full.separateRegularization, in: 0...1,
                  "shrinkage of each class covariance towards the identity (separate covariances only)"),
        ]
    }

    /// What the experiment runs: the lab's settings, typed.
    public struct Settings: Sendable, Equatable {
        /// `test_fraction`: share of the tumours held out as the test set in each draw.
        public var testFraction = 0.3
        /// `training_sizes`: training-set sizes, smallest first (at least 4: two per class).
        public var trainingSizes = [6, 10, 15, 20, 30, 50, 80, 120, 200, 300, 390]
        /// `draws`: random test split and training sets per size.
        public var draws = 100
        /// `feature_counts`: run on the first k features for each k (30 = all; the first 10 are the
        /// cell nuclei's mean measurements, the first 4 mean radius, texture, perimeter and area).
        public var featureCounts = [30, 10, 4]
        /// `logistic_penalty`: λ in logistic regression's `Σ −log p + (λ/2)‖w‖²`; 0 is plain maximum
        /// likelihood, like the generative models.
        public var logisticPenalty = 0.0
        /// `separate_regularization`: shrinkage r of each class covariance towards the identity,
        /// `(1 − r) Σₖ + r I` on standardised features; 0 is maximum likelihood.
        public var separateRegularization = 0.0

        public init() {}

        /// The real result: eleven sizes, a hundred draws each, three feature sets (a few seconds).
        public static let full = Settings()

        /// A smoke test in a few seconds.
        public static var quick: Settings {
            var settings = Settings()
            settings.trainingSizes = [10, 30, 100, 300]
            settings.draws = 3
            settings.featureCounts = [30, 4]
            return settings
        }

        /// The values of a run (`--set` overrides included); lists are comma-separated.
        public init(_ values: LabValues) throws {
            testFraction = values.real("test_fraction")
            trainingSizes = try integerList(values, "training_sizes")
            draws = values.integer("draws")
            featureCounts = try integerList(values, "feature_counts")
            logisticPenalty = values.real("logistic_penalty")
            separateRegularization = values.real("separate_regularization")
            try validate()
        }

        /// Throws a `LabError` naming the first key out of range.
        public func validate() throws {
            try requireSetting(testFraction >= 0.1 && testFraction <= 0.5, key: "test_fraction", value: testFraction,
                               allowed: "a fraction from 0.1 to 0.5")
            let pool = 569 - Int((569 * testFraction).rounded(.up))
            try requireSetting(!trainingSizes.isEmpty && trainingSizes.allSatisfy { (4...pool).contains($0) }
                               && zip(trainingSizes, trainingSizes.dropFirst()).allSatisfy { $0 < $1 }, key: "training_sizes",
                               value: trainingSizes, allowed: "increasing sizes from 4 to \(pool) (the tumours left after the test set)")
            try requireSetting((1...1000).contains(draws), key: "draws", value: draws, allowed: "an integer from 1 to 1000")
            try requireSetting(!featureCounts.isEmpty && featureCounts.allSatisfy { (1...30).contains($0) }, key: "feature_counts",
                               value: featureCounts, allowed: "one or more counts from 1 to 30")
            try requireSetting(logisticPenalty >= 0 && logisticPenalty.isFinite, key: "logistic_penalty", value: logisticPenalty,
                               allowed: "a finite value ≥ 0")
            try requireSetting((0...1).contains(separateRegularization), key: "separate_regularization",
                               value: separateRegularization, allowed: "a value from 0 to 1")
        }
    }

    /// The contenders, in the order of every result array.
    public static let modelNames = ["shared covariance (LDA)", "separate covariances (QDA)", "naive Bayes", "logistic regression"]
    /// The same models as summary.json keys.
    public static let modelKeys = ["shared", "separate", "naive_bayes", "logistic"]
    /// The index of logistic regression in `modelNames`; the others are generative.
    public static let logisticIndex = 3

    /// Test accuracies on one feature set.
    public struct Panel: Sendable {
        public let featureCount: Int
        /// `[model][size][draw]`, models in `modelNames` order.
        public let accuracies: [[[Double]]]
        /// `[size][draw]`: always predicting the training draw's most common class.
        public let majority: [[Double]]
    }

    /// Where one generative model stands against logistic regression on one feature set, judged on the
    /// per-draw differences in test accuracy (generative − logistic): a lead counts when the mean
    /// difference is more than two standard errors from zero.
    public struct Crossover: Sendable {
        public let featureCount: Int
        public let model: String
        /// Mean and standard error of the difference at each size.
        public let differences: [(mean: Double, standardError: Double)]
        /// Sizes where the generative model leads.
        public let generativeLeads: [Int]
        /// Sizes where logistic regression leads.
        public let logisticLeads: [Int]
        /// The generative model leads at some size and logistic regression at every larger size from some
        /// point on, including the largest: the lecture's picture.
        public let appears: Bool
    }

    public struct Result: Sendable {
        public let settings: Settings
        public let sizes: [Int]
        public let panels: [Panel]
        public let crossovers: [Crossover]
    }

    public static func run(_ settings: Settings, generator: RandomGenerator, dataFolder: String? = nil) throws -> Result {
        try settings.validate()
        let data = try ClassicDataset.builtIn(.breastCancer, folder: dataFolder)
        let labels = data.labels!, sizes = settings.trainingSizes
        let contenders: [(Matrix, [Int]) throws -> any Classifier] = [
            { try GaussianGenerativeClassifier(covariance: .shared).fit($0, labels: $1) },
            { try GaussianGenerativeClassifier(covariance: .separate, regularization: settings.separateRegularization).fit($0, labels: $1) },
            { try GaussianNaiveBayes().fit($0, labels: $1) },
            { try LogisticRegression(regularizationStrength: settings.logisticPenalty).fit($0, labels: $1) },
        ]
        var panels: [Panel] = []
        for featureCount in settings.featureCounts {
            let features = data.features.columns(Array(0..<featureCount))
            var accuracies = [[[Double]]](repeating: [[Double]](repeating: [], count: sizes.count), count: contenders.count)
            var majority = [[Double]](repeating: [], count: sizes.count)
            for _ in 0..<settings.draws {
                let split = try Validation.trainValidationSplit(count: labels.count, validationFraction: settings.testFraction,
                                                                generator: generator)
                let testLabels = split.validation.map { labels[$0] }
                for (s, size) in sizes.enumerated() {
                    let training = stratifiedSample(split.training, labels: labels, size: size, generator: generator)
                    let trainingLabels = training.map { labels[$0] }
                    let scaler = try StandardScaler.fit(features.rows(training))
                    let x = try scaler.transform(features.rows(training)), testX = try scaler.transform(features.rows(split.validation))
                    for (m, fit) in contenders.enumerated() {
                        let predictions = try fit(x, trainingLabels).predict(testX)
                        accuracies[m][s].append(ClassificationMetrics.accuracy(testLabels, predictions))
                    }
                    let counts = Dictionary(grouping: trainingLabels, by: { $0 }).mapValues(\.count)
                    let common = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!.key
                    majority[s].append(ClassificationMetrics.accuracy(testLabels, testLabels.map { _ in common }))
                }
            }
            panels.append(Panel(featureCount: featureCount, accuracies: accuracies, majority: majority))
        }
        let crossovers = panels.flatMap { panel in
            (0..<logisticIndex).map { crossover(panel, model: $0, sizes: sizes) }
        }
        return Result(settings: settings, sizes: sizes, panels: panels, crossovers: crossovers)
    }

    /// Runs the experiment with the run's settings and turns its result into the report.
    public func run(_ context: LabContext) throws -> LabResult {
        let settings = try Settings(context.settings)
        let result = try Self.run(settings, generator: context.generator(), dataFolder: context.dataFolder)
        let first = result.panels[0], last = result.sizes.count - 1
        let accuracy = { (model: Int) in meanAndSpread(first.accuracies[model][last]).mean }
        for row in result.crossovers {
            context.log("\(row.featureCount) features, \(row.model) against logistic regression: generative leads at "
                        + "\(row.generativeLeads), logistic at \(row.logisticLeads); crossover \(row.appears ? "appears" : "does not appear")")
        }
        var summary: [(key: String, value: Any)] = [("majority_accuracy", meanAndSpread(first.majority[last]).mean),
                                                    ("largest_training_size", result.sizes[last])]
        for (model, key) in Self.modelKeys.enumerated() { summary.append(("test_accuracy_\(key)", accuracy(model))) }
        for row in result.crossovers {
            summary.append(("crossover_\(row.featureCount)_features_\(Self.modelKeys[Self.modelNames.firstIndex(of: row.model)!])", row.appears))
        }
        return LabResult(headline: accuracy(Self.logisticIndex), summary: summary, sections: result.reportSections)
    }

    /// `size` of the `pool` indices, each class keeping its share of the pool (at least two samples,
    /// so every model can be fitted), drawn without replacement.
    static func stratifiedSample(_ pool: [Int], labels: [Int], size: Int, generator: RandomGenerator) -> [Int] {
        let byClass = Dictionary(grouping: pool, by: { labels[$0] }).sorted { $0.key < $1.key }.map(\.value)
        var counts = byClass.map { max(2, Int((Double(size) * Double($0.count) / Double(pool.count)).rounded())) }
        let largest = counts.indices.max { counts[$0] < counts[$1] }!
        counts[largest] += size - counts.reduce(0, +)
        return zip(byClass, counts).flatMap { members, count in generator.permutation(members.count).prefix(count).map { members[$0] } }
    }

    static func crossover(_ panel: Panel, model: Int, sizes: [Int]) -> Crossover {
        let differences = sizes.indices.map { s -> (mean: Double, standardError: Double) in
            let paired = zip(panel.accuracies[model][s], panel.accuracies[logisticIndex][s]).map { $0 - $1 }
            let (mean, spread) = meanAndSpread(paired)
            return (mean, paired.count > 1 ? spread / Double(paired.count - 1).squareRoot() : .infinity)
        }
        let generativeLeads = sizes.indices.filter { differences[$0].mean > 2 * differences[$0].standardError }.map { sizes[$0] }
        let logisticLeads = sizes.indices.filter { -differences[$0].mean > 2 * differences[$0].standardError }.map { sizes[$0] }
        // Logistic regression leads on a final run of sizes that ends at the largest, and the generative model leads before it.
        var switchIndex = sizes.count
        while switchIndex > 0 && logisticLeads.contains(sizes[switchIndex - 1]) { switchIndex -= 1 }
        let appears = switchIndex < sizes.count && generativeLeads.contains { $0 < sizes[switchIndex] }
        return Crossover(featureCount: panel.featureCount, model: modelNames[model], differences: differences,
                         generativeLeads: generativeLeads, logisticLeads: logisticLeads, appears: appears)
    }
}
