import Foundation
import Nabla
import NablaClassic
import NablaTrain
import NablaViz

/// **Regression** (lecture: regression, gradient descent), on scikit-learn's diabetes data: 442
/// patients, 10 baseline measurements (age, sex, BMI, blood pressure, six blood serum values) in
/// their raw units, and disease progression a year later.
///
/// 1. *The model and its loss.* A linear model `ŷ = x·w + b` and the mean squared error
///    `L(w, b) = (1/n) Σᵢ (ŷᵢ − yᵢ)²`. Its minimum has a closed form (least squares); gradient descent
///    `θ ← θ − η ∇L` reaches it step by step only when `η < 2 / λmax(H)` (H the loss's Hessian). Too
///    small an η crawls, a well-chosen one arrives, too large a one diverges. Adagrad divides each
///    parameter's step by the root of its summed squared gradients, `θ ← θ − η g / √(Σₜ gₜ²)`.
/// 2. *Feature scaling.* In raw units the loss surface is a long narrow valley (condition number of
///    H about 10⁷): the largest stable η is tiny along the steep direction and progress along the
///    flat one stalls. Standardising each feature to mean 0 and deviation 1 rounds the valley.
/// 3. *Model complexity.* Polynomial features of degree 1, 2, 3, … fit the training set ever better
///    while the error on unseen data rises; an L2 penalty `λ‖w‖²` trades variance for bias.
///    N-fold cross-validation on the training set picks the degree and λ; the test set, used once
///    per split, says how well that choice does, against predicting the mean and against plain
///    least squares.
///
/// The baseline is predicting the mean (no model): its test RMSE is about the target's standard
/// deviation, 77.0. The headline is the cross-validated choice's test RMSE, averaged over the splits;
/// plain least squares on the raw features, scored on the same splits, is the stronger comparison the
/// report makes beside it (on this nearly linear data the two tie: cross-validation's gain is in not
/// choosing degree 2 or 3).
///
/// ```swift
/// let result = try RegressionLab.run(.quick, generator: RandomGenerator(seed: 0))
/// result.chosen            // (degree: 1, penalty: 10), say
/// result.testScores        // mean predictor, least squares, the cross-validated choice
/// ```
/// or `nabla lab run regression [--quick] [--set penalties=0.1,1,10]`.
public struct RegressionLab: Lab {
    public init() {}
    public var name: String { "regression" }
    public var lecture: String { "Regression, gradient descent" }
    public var summary: String {
        "diabetes: closed form vs gradient descent vs Adagrad, feature scaling, cross-validated polynomial degree and L2 strength"
    }

    public var baseline: Baseline {
        Baseline(metric: "test_rmse", value: 77.0, higherIsBetter: false,
                 source: "predicting the mean, whose RMSE is the target's standard deviation over all 442 patients; least squares is compared in the report")
    }

    /// The test suite's run: every part, in a fraction of a second even in a debug build.
    public var tinySettings: [String] { ["steps=100", "maximum_degree=2", "repeats=1"] }

    public var settings: [LabSetting] {
        let full = Settings.full, quick = Settings.quick
        return [
            .real("test_fraction", full.testFraction, in: 0.05...0.5, "share of the patients held out as the test set in each split"),
            .integer("steps", full.steps, quick: quick.steps, in: 10...100_000, "gradient-descent steps per curve"),
            .text("learning_rates", listText(full.learningRates), "plain gradient-descent rates on standardised features, comma-separated"),
            .real("adagrad_learning_rate", full.adagradLearningRate, in: 1e-6...1000, "Adagrad's rate, on standardised and raw features"),
            .integer("maximum_degree", full.maximumDegree, quick: quick.maximumDegree, in: 1...4, "cross-validation tries polynomial degrees 1 to this"),
            .text("penalties", listText(full.penalties), quick: listText(quick.penalties),
                  "L2 strengths cross-validation tries besides 0, comma-separated"),
            .integer("folds", full.folds, quick: quick.folds, in: 2...20, "N in N-fold cross-validation"),
            .integer("repeats", full.repeats, quick: quick.repeats, in: 1...100, "random train/test splits the test scores average over"),
        ]
    }

    /// What the experiment runs: the lab's settings, typed.
    public struct Settings: Sendable, Equatable {
        /// `test_fraction`: share of the patients held out as the test set in each split.
        public var testFraction = 0.2
        /// `steps`: gradient-descent steps per curve.
        public var steps = 2000
        /// `learning_rates`: plain gradient-descent rates on standardised features, smallest first.
        public var learningRates = [0.001, 0.01, 0.2, 0.3]
        /// `adagrad_learning_rate`: Adagrad's η, for standardised and raw features alike.
        public var adagradLearningRate = 10.0
        /// `maximum_degree`: cross-validation tries polynomial degrees 1 through this.
        public var maximumDegree = 4
        /// `penalties`: the L2 strengths λ cross-validation tries besides λ = 0.
        public var penalties = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000]
        /// `folds`: N in N-fold cross-validation.
        public var folds = 5
        /// `repeats`: independent train/test splits the test scores are averaged over.
        public var repeats = 10

        public init() {}

        /// The real result: four degrees, fifteen penalties, ten splits (about a minute on 2 cores).
        public static let full = Settings()

        /// A smoke test of every part in a few seconds.
        public static var quick: Settings {
            var settings = Settings()
            settings.steps = 400
            settings.maximumDegree = 3
            settings.penalties = [0.01, 0.1, 1, 10, 100, 1000, 10000]
            settings.folds = 3
            settings.repeats = 2
            return settings
        }

        /// The values of a run (`--set` overrides included); lists are comma-separated.
        public init(_ values: LabValues) throws {
            testFraction = values.real("test_fraction")
            steps = values.integer("steps")
            learningRates = try numberList(values, "learning_rates")
            adagradLearningRate = values.real("adagrad_learning_rate")
            maximumDegree = values.integer("maximum_degree")
            penalties = try numberList(values, "penalties")
            folds = values.integer("folds")
            repeats = values.integer("repeats")
            try validate()
        }

        /// Throws a `LabError` naming the first key out of range.
        public func validate() throws {
            try requireSetting(testFraction >= 0.05 && testFraction <= 0.5, key: "test_fraction", value: testFraction,
                               allowed: "a fraction from 0.05 to 0.5")
            try requireSetting((10...100_000).contains(steps), key: "steps", value: steps, allowed: "an integer from 10 to 100000")
            try requireSetting(!learningRates.isEmpty && learningRates.allSatisfy { $0 > 0 && $0 <= 10 }, key: "learning_rates",
                               value: learningRates, allowed: "one or more rates in (0, 10]")
            try requireSetting(adagradLearningRate >= 1e-6 && adagradLearningRate <= 1000, key: "adagrad_learning_rate",
                               value: adagradLearningRate, allowed: "a rate in 1e-6...1000")
            try requireSetting((1...4).contains(maximumDegree), key: "maximum_degree", value: maximumDegree,
                               allowed: "an integer from 1 to 4 (degree 5 has 3,002 features for about 350 patients)")
            try requireSetting(!penalties.isEmpty && penalties.allSatisfy { $0 > 0 && $0.isFinite }, key: "penalties",
                               value: penalties, allowed: "one or more positive finite strengths (λ = 0 is always tried)")
            try requireSetting((2...20).contains(folds), key: "folds", value: folds, allowed: "an integer from 2 to 20")
            try requireSetting((1...100).contains(repeats), key: "repeats", value: repeats, allowed: "an integer from 1 to 100")
        }
    }

    /// A loss curve: the full-data training loss after each step.
    public struct Curve: Sendable {
        public let name: String
        public let learningRate: Double
        public let losses: [Double]
        /// True when the loss ended above where it started or overflowed before the last step.
        public let diverged: Bool
    }

    /// Mean squared errors of one model on the test part of each split.
    public struct TestScore: Sendable {
        public let name: String
        public let meanSquaredErrors: [Double]
        public let rSquared: [Double]
    }

    public struct Result: Sendable {
        public let settings: Settings
        // 1. Closed form vs gradient descent (first split, standardised degree-1 features).
        /// The loss at w = 0, b = 0, where every curve starts.
        public let initialLoss: Double
        /// The least-squares training loss, the floor every curve should reach.
        public let closedFormLoss: Double
        public let closedForm: LinearModel
        /// Plain gradient descent at each learning rate, then Adagrad.
        public let learningRateCurves: [Curve]
        /// The last model of the best-converged plain curve, to compare with `closedForm`.
        public let gradientDescentModel: LinearModel
        // 2. Feature scaling.
        public let rawCurvature: (largest: Double, smallest: Double)
        public let scaledCurvature: (largest: Double, smallest: Double)
        /// Plain steps at 0.9 × the largest stable rate, and Adagrad, on raw and standardised features.
        public let scalingCurves: [Curve]
        // 3. Cross-validation (first split).
        public let degrees: [Int]
        /// `[0] + settings.penalties`.
        public let penalties: [Double]
        /// `[degree index][penalty index]`: mean over folds of the training-fold and held-out-fold MSE.
        public let trainingErrors: [[Double]]
        public let validationErrors: [[Double]]
        public let chosen: (degree: Int, penalty: Double)
        // 4. Test scores over every split.
        /// What cross-validation chose on each split.
        public let choices: [(degree: Int, penalty: Double)]
        /// Mean predictor, least squares on the raw features, the cross-validated choice.
        public let testScores: [TestScore]
    }

    public static func run(_ settings: Settings, generator: RandomGenerator, dataFolder: String? = nil) throws -> Result {
        try settings.validate()
        let data = try ClassicDataset.builtIn(.diabetes, folder: dataFolder)
        let features = data.features, targets = data.values!
        var choices: [(degree: Int, penalty: Double)] = []
        var scores = [[Double]](repeating: [], count: 3), rSquared = [[Double]](repeating: [], count: 3)
        var firstSplit: (training: [Int], search: Search)?
        for _ in 0..<settings.repeats {
            let split = try Validation.trainValidationSplit(count: features.rowCount, validationFraction: settings.testFraction,
                                                            generator: generator)
            let x = features.rows(split.training), y = split.training.map { targets[$0] }
            let testX = features.rows(split.validation), testY = split.validation.map { targets[$0] }
            let search = try crossValidate(x, y, settings: settings, generator: generator)
            if firstSplit == nil { firstSplit = (split.training, search) }
            choices.append(search.chosen)
            // The three contenders, each fitted on the whole training part and scored once on the test part.
            let meanPrediction = [Double](repeating: y.reduce(0, +) / Double(y.count), count: testY.count)
            let leastSquares = try LinearRegression().fit(x, targets: y).predict(testX)
            let expansion = try PolynomialExpansion(fitting: x, degree: search.chosen.degree)
            let chosen = try RidgeRegression(penalty: search.chosen.penalty).fit(try expansion(x), targets: y).predict(try expansion(testX))
            for (index, predictions) in [meanPrediction, leastSquares, chosen].enumerated() {
                scores[index].append(RegressionMetrics.meanSquaredError(testY, predictions))
                rSquared[index].append(RegressionMetrics.rSquared(testY, predictions))
            }
        }
        let names = ["mean of training targets", "least squares, degree 1", "cross-validated choice"]
        let testScores = (0..<3).map { TestScore(name: names[$0], meanSquaredErrors: scores[$0], rSquared: rSquared[$0]) }

        // Parts 1 and 2 walk through the first split's training part.
        let (training, search) = firstSplit!
        let rawX = features.rows(training), y = training.map { targets[$0] }
        let scaledX = try StandardScaler.fit(rawX).transform(rawX)
        let closedForm = try LinearRegression().fit(scaledX, targets: y)
        let closedFormLoss = RegressionMetrics.meanSquaredError(y, try closedForm.predict(scaledX))
        var learningRateCurves: [Curve] = [], bestPlain: (loss: Double, model: LinearModel)?
        for rate in settings.learningRates {
            let (curve, model) = try descend(scaledX, y, rate: rate, rule: .plain, steps: settings.steps, name: "GD lr=\(short(rate))")
            learningRateCurves.append(curve)
            if !curve.diverged, curve.losses.last! < bestPlain?.loss ?? .infinity { bestPlain = (curve.losses.last!, model) }
        }
        learningRateCurves.append(try descend(scaledX, y, rate: settings.adagradLearningRate, rule: .adagrad, steps: settings.steps,
                                              name: "Adagrad lr=\(short(settings.adagradLearningRate))").curve)
        let rawCurvature = try GradientDescentRegression.lossCurvature(rawX)
        let scaledCurvature = try GradientDescentRegression.lossCurvature(scaledX)
        let rawRate = 0.9 * 2 / rawCurvature.largest, scaledRate = 0.9 * 2 / scaledCurvature.largest
        let scalingCurves = [
            try descend(rawX, y, rate: rawRate, rule: .plain, steps: settings.steps, name: "GD raw lr=\(short(rawRate))").curve,
            try descend(scaledX, y, rate: scaledRate, rule: .plain, steps: settings.steps, name: "GD scaled lr=\(short(scaledRate))").curve,
            try descend(rawX, y, rate: settings.adagradLearningRate, rule: .adagrad, steps: settings.steps, name: "Adagrad raw").curve,
            try descend(scaledX, y, rate: settings.adagradLearningRate, rule: .adagrad, steps: settings.steps, name: "Adagrad scaled").curve,
        ]
        return Result(settings: settings, initialLoss: y.reduce(0) { $0 + $1 * $1 } / Double(y.count), closedFormLoss: closedFormLoss,
                      closedForm: closedForm, learningRateCurves: learningRateCurves,
                      gradientDescentModel: bestPlain?.model ?? LinearModel(weights: closedForm.weights.map { _ in .nan }, intercept: .nan),
                      rawCurvature: rawCurvature, scaledCurvature: scaledCurvature, scalingCurves: scalingCurves,
                      degrees: search.degrees, penalties: search.penalties, trainingErrors: search.trainingErrors,
                      validationErrors: search.validationErrors, chosen: search.chosen, choices: choices, testScores: testScores)
    }

    /// Runs the experiment with the run's settings and turns its result into the report.
    public func run(_ context: LabContext) throws -> LabResult {
        let settings = try Settings(context.settings)
        let result = try Self.run(settings, generator: context.generator(), dataFolder: context.dataFolder)
        let scores = result.testScores.map { meanAndSpread($0.meanSquaredErrors).mean }
        let rootScores = result.testScores.map { meanAndSpread($0.meanSquaredErrors.map { $0.squareRoot() }).mean }
        context.log("closed form: training MSE \(short(result.closedFormLoss)); largest stable rate 2/λmax = "
                    + "\(short(2 / result.scaledCurvature.largest)) standardised, \(short(2 / result.rawCurvature.largest)) raw")
        context.log("cross-validation chose degree \(result.chosen.degree), λ = \(short(result.chosen.penalty)) on the first split")
        for (score, root) in zip(result.testScores, rootScores) { context.log("test RMSE \(score.name): \(short(root))") }
        let r2 = result.testScores.map { meanAndSpread($0.rSquared).mean }
        return LabResult(headline: rootScores[2], summary: [
            ("test_rmse_least_squares", rootScores[1]), ("test_rmse_mean_predictor", rootScores[0]),
            ("test_mse_cross_validated", scores[2]), ("test_mse_least_squares", scores[1]), ("test_mse_mean_predictor", scores[0]),
            ("test_r2_cross_validated", r2[2]), ("test_r2_least_squares", r2[1]),
            ("chosen_degree", result.chosen.degree), ("chosen_penalty", result.chosen.penalty),
            ("closed_form_training_mse", result.closedFormLoss),
            ("largest_stable_learning_rate_standardised", 2 / result.scaledCurvature.largest),
            ("largest_stable_learning_rate_raw", 2 / result.rawCurvature.largest),
        ], sections: result.reportSections)
    }

    // MARK: The pieces

    /// Polynomial features of standardised inputs, standardised again so that one λ penalises every
    /// term alike. Fitted on training rows only, then applied unchanged to held-out rows.
    struct PolynomialExpansion {
        let inputScaler: StandardScaler
        let polynomial: PolynomialFeatures
        let outputScaler: StandardScaler

        init(fitting x: Matrix, degree: Int) throws {
            inputScaler = try StandardScaler.fit(x)
            polynomial = PolynomialFeatures(degree: degree)
            outputScaler = try StandardScaler.fit(try polynomial.transform(try inputScaler.transform(x)))
        }

        func callAsFunction(_ x: Matrix) throws -> Matrix {
            try outputScaler.transform(try polynomial.transform(try inputScaler.transform(x)))
        }
    }

    /// Cross-validation errors over degrees × penalties, and the pair with the lowest validation error.
    struct Search {
        let degrees: [Int]
        let penalties: [Double]
        let trainingErrors: [[Double]]
        let validationErrors: [[Double]]
        let chosen: (degree: Int, penalty: Double)
    }

    /// N-fold cross-validation: each fold is held out once while the model is fitted on the others;
    /// the validation error of a (degree, λ) is the mean of its held-out errors.
    static func crossValidate(_ x: Matrix, _ y: [Double], settings: Settings, generator: RandomGenerator) throws -> Search {
        let degrees = Array(1...settings.maximumDegree), penalties = [0] + settings.penalties
        let empty = [[Double]](repeating: [Double](repeating: 0, count: penalties.count), count: degrees.count)
        var training = empty, validation = empty
        let splits = try Validation.kFold(count: x.rowCount, folds: settings.folds, generator: generator)
        for split in splits {
            let foldX = x.rows(split.training), foldY = split.training.map { y[$0] }
            let heldX = x.rows(split.validation), heldY = split.validation.map { y[$0] }
            for (d, degree) in degrees.enumerated() {
                let expansion = try PolynomialExpansion(fitting: foldX, degree: degree)
                let expandedFold = try expansion(foldX), expandedHeld = try expansion(heldX)
                for (p, penalty) in penalties.enumerated() {
                    // λ = 0 is plain least squares (the minimum-norm solution once features outnumber patients).
                    let model = try RidgeRegression(penalty: penalty).fit(expandedFold, targets: foldY)
                    training[d][p] += RegressionMetrics.meanSquaredError(foldY, try model.predict(expandedFold)) / Double(splits.count)
                    validation[d][p] += RegressionMetrics.meanSquaredError(heldY, try model.predict(expandedHeld)) / Double(splits.count)
                }
            }
        }
        var best = (d: 0, p: 0)
        for d in degrees.indices {
            for p in penalties.indices where validation[d][p] < validation[best.d][best.p] { best = (d, p) }
        }
        return Search(degrees: degrees, penalties: penalties, trainingErrors: training, validationErrors: validation,
                      chosen: (degrees[best.d], penalties[best.p]))
    }

    /// One gradient-descent run that keeps its curve even when it diverges.
    static func descend(_ x: Matrix, _ y: [Double], rate: Double, rule: GradientStepRule, steps: Int,
                        name: String) throws -> (curve: Curve, model: LinearModel) {
        let trainer = GradientDescentRegression(learningRate: rate, steps: steps, rule: rule, stopsOnDivergence: true)
        let (model, losses) = try trainer.fitWithHistory(x, targets: y)
        let start = y.reduce(0) { $0 + $1 * $1 } / Double(y.count)
        let diverged = losses.count < steps || (losses.last ?? .infinity) > start
        return (Curve(name: diverged ? name + " diverges" : name, learningRate: rate, losses: losses, diverged: diverged), model)
    }
}
