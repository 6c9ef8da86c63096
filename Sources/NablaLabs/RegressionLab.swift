import Foundation
import Nabla
import NablaClassic
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
/// ```swift
/// let result = try RegressionLab.run(.quick, generator: RandomGenerator(seed: 0))
/// result.chosen            // (degree: 1, penalty: 10), say
/// result.testScores        // mean predictor, least squares, the cross-validated choice
/// ```
public enum RegressionLab {
    /// What the lab runs. Keys in `--set key=value` form are given in each property's comment.
    public struct Settings: Sendable, Equatable {
        /// `test-fraction`: share of the patients held out as the test set in each split.
        public var testFraction = 0.2
        /// `steps`: gradient-descent steps per curve.
        public var steps = 2000
        /// `learning-rates`: plain gradient-descent rates on standardised features, smallest first.
        public var learningRates = [0.001, 0.01, 0.2, 0.3]
        /// `adagrad-learning-rate`: Adagrad's η, for standardised and raw features alike.
        public var adagradLearningRate = 10.0
        /// `maximum-degree`: cross-validation tries polynomial degrees 1 through this.
        public var maximumDegree = 4
        /// `penalties`: the L2 strengths λ cross-validation tries besides λ = 0.
        public var penalties: [Double] = (-6...8).map { pow(10, Double($0) / 2) }
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
            settings.penalties = (-2...4).map { pow(10, Double($0)) }
            settings.folds = 3
            settings.repeats = 2
            return settings
        }

        /// Throws a `LabSettingError` naming the first key out of range.
        public func validate() throws {
            try requireSetting(testFraction >= 0.05 && testFraction <= 0.5, key: "test-fraction", value: testFraction,
                               allowed: "a fraction from 0.05 to 0.5")
            try requireSetting((10...100_000).contains(steps), key: "steps", value: steps, allowed: "an integer from 10 to 100000")
            try requireSetting(!learningRates.isEmpty && learningRates.allSatisfy { $0 > 0 && $0 <= 10 }, key: "learning-rates",
                               value: learningRates, allowed: "one or more rates in (0, 10]")
            try requireSetting(adagradLearningRate > 0 && adagradLearningRate <= 1000, key: "adagrad-learning-rate",
                               value: adagradLearningRate, allowed: "a rate in (0, 1000]")
            try requireSetting((1...4).contains(maximumDegree), key: "maximum-degree", value: maximumDegree,
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
            let (curve, model) = try descend(scaledX, y, rate: rate, rule: .plain, steps: settings.steps, name: "GD η=\(short(rate))")
            learningRateCurves.append(curve)
            if !curve.diverged, curve.losses.last! < bestPlain?.loss ?? .infinity { bestPlain = (curve.losses.last!, model) }
        }
        learningRateCurves.append(try descend(scaledX, y, rate: settings.adagradLearningRate, rule: .adagrad, steps: settings.steps,
                                              name: "Adagrad η=\(short(settings.adagradLearningRate))").curve)
        let rawCurvature = try GradientDescentRegression.lossCurvature(rawX)
        let scaledCurvature = try GradientDescentRegression.lossCurvature(scaledX)
        let rawRate = 0.9 * 2 / rawCurvature.largest, scaledRate = 0.9 * 2 / scaledCurvature.largest
        let scalingCurves = [
            try descend(rawX, y, rate: rawRate, rule: .plain, steps: settings.steps, name: "GD raw η=\(short(rawRate))").curve,
            try descend(scaledX, y, rate: scaledRate, rule: .plain, steps: settings.steps, name: "GD scaled η=\(short(scaledRate))").curve,
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

// MARK: - Figures and tables

extension RegressionLab.Result {
    /// The training loss above the least-squares floor, step by step, on a log scale: the lecture's
    /// "too small / just right / too large" picture. A diverging curve is drawn until it leaves the
    /// chart at ten times its starting gap, so it does not flatten the others.
    public var learningRateFigure: LineChart {
        let ceiling = 10 * (initialLoss - closedFormLoss)
        return LineChart(title: "Learning rate (standardised features)", xLabel: "gradient step",
                         yLabel: "training MSE − least-squares MSE", yScale: .logarithmic,
                         series: learningRateCurves.map { gapSeries($0, ceiling: $0.diverged ? ceiling : nil) })
    }

    /// The same gap with and without standardising the features, each plain run at 0.9 × its
    /// largest stable rate `2 / λmax(H)`. Both share one floor: standardising is an invertible affine
    /// map of the features, so least squares reaches the same loss either way.
    public var scalingFigure: LineChart {
        LineChart(title: "Feature scaling", xLabel: "gradient step", yLabel: "training MSE − least-squares MSE",
                  yScale: .logarithmic, series: scalingCurves.map { gapSeries($0, ceiling: nil) })
    }

    /// Training and cross-validated error against the polynomial degree, without penalty.
    public var degreeFigure: LineChart {
        let x = degrees.map(Double.init)
        let training = trainingErrors.map { $0[0] }, validation = validationErrors.map { $0[0] }
        let best = validation.indices.min { validation[$0] < validation[$1] }!
        return LineChart(title: "Model complexity (λ = 0)", xLabel: "polynomial degree", yLabel: "mean squared error",
                         yScale: .logarithmic, series: [
                             .init(name: "training", x: x, y: training),
                             .init(name: "validation (\(settings.folds)-fold)", x: x, y: validation),
                             .init(name: "lowest: degree \(degrees[best])", x: [x[best]], y: [validation[best]], color: .black),
                         ])
    }

    /// Cross-validated error against log₁₀ λ for each degree, the training error of the chosen
    /// degree, and the chosen point.
    public var penaltyFigure: LineChart {
        let x = penalties.dropFirst().map { log10($0) }
        var series: [LineChart.Series] = degrees.indices.map { d in
            .init(name: "validation, degree \(degrees[d])", x: x, y: Array(validationErrors[d].dropFirst()))
        }
        let chosenIndex = degrees.firstIndex(of: chosen.degree)!
        series.append(.init(name: "training, degree \(chosen.degree)", x: x, y: Array(trainingErrors[chosenIndex].dropFirst()),
                            color: .grey))
        if chosen.penalty > 0 {
            let p = penalties.firstIndex(of: chosen.penalty)!
            series.append(.init(name: "chosen: degree \(chosen.degree), λ=\(short(chosen.penalty))", x: [log10(chosen.penalty)],
                                y: [validationErrors[chosenIndex][p]], color: .black))
        }
        return LineChart(title: "L2 strength", xLabel: "log10 λ", yLabel: "mean squared error", yScale: .logarithmic, series: series)
    }

    /// One row per contender: test MSE and R² as mean ± spread over the splits.
    public var testTable: [[String]] {
        [["model", "test MSE", "test RMSE", "test R²"]] + testScores.map { score in
            let mse = meanAndSpread(score.meanSquaredErrors), r2 = meanAndSpread(score.rSquared)
            let rmse = meanAndSpread(score.meanSquaredErrors.map { $0.squareRoot() })
            return [score.name, "\(short(mse.mean)) ± \(short(mse.spread))", "\(short(rmse.mean)) ± \(short(rmse.spread))",
                    "\(short(r2.mean)) ± \(short(r2.spread))"]
        }
    }

    /// The loss surface's curvature with and without scaling.
    public var curvatureTable: [[String]] {
        [["features", "λmax(H)", "λmin(H)", "condition number", "largest stable η = 2/λmax"]] +
            [("raw", rawCurvature), ("standardised", scaledCurvature)].map { name, curvature in
                [name, short(curvature.largest), short(curvature.smallest), short(curvature.largest / curvature.smallest),
                 short(2 / curvature.largest)]
            }
    }

    /// The gap `L − L*` after each step, starting from step 0 (all weights zero). Gaps at or below zero
    /// (rounding at convergence) are left out of a log scale; past `ceiling` the curve stops at it.
    private func gapSeries(_ curve: RegressionLab.Curve, ceiling: Double?) -> LineChart.Series {
        var x: [Double] = [], y: [Double] = []
        for (step, loss) in ([initialLoss] + curve.losses).enumerated() {
            let gap = loss - closedFormLoss
            x.append(Double(step))
            if let ceiling, gap > ceiling { y.append(ceiling); break }
            y.append(gap > 0 ? gap : .nan)
        }
        return .init(name: curve.name, x: x, y: y)
    }
}
