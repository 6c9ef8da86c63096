import Foundation
import NablaTrain
import NablaViz

// The regression lab's report: its figures and tables, with captions that quote the run's numbers.

extension RegressionLab.Result {
    /// The report, in the lecture's order: step size, scaling, complexity, regularisation, the test.
    public var reportSections: [ReportSection] {
        let stable = 2 / scaledCurvature.largest
        let diverging = learningRateCurves.filter(\.diverged).map { short($0.learningRate) }
        let scores = testScores.map { meanAndSpread($0.meanSquaredErrors).mean }
        let chosenCounts = Dictionary(grouping: choices.map { "degree \($0.degree), λ = \(short($0.penalty))" }, by: { $0 })
            .map { "\($0.key) (\($0.value.count)×)" }.sorted()
        return [
            .figure("Loss against gradient steps at several learning rates", learningRateFigure, caption:
                "Plain gradient descent and Adagrad on standardised features, from w = 0, b = 0: the training MSE above the "
                + "least-squares (closed-form) MSE \(short(closedFormLoss)), log scale. A plain step is stable only below "
                + "2/λmax(H) = \(short(stable)) here" + (diverging.isEmpty ? "." : "; η = \(diverging.joined(separator: ", ")) exceeds it and "
                + "diverges (drawn until it leaves the chart at ten times its starting gap).")),
            .figure("Feature scaling", scalingFigure, caption:
                "The same \(settings.steps) steps on raw and on standardised features, plain steps at 0.9 × each one's largest "
                + "stable rate, and Adagrad (η = \(short(settings.adagradLearningRate))). Both share the least-squares floor."),
            tableSection("Curvature of the loss surface", curvatureTable, caption:
                "Eigenvalues of the Hessian H = (2/n)[X 1]ᵀ[X 1]; gradient descent needs about λmax/λmin steps per e-fold of the slowest direction."),
            .figure("Training and validation error against the degree", degreeFigure, caption:
                "Least squares on polynomial features of the standardised inputs, \(settings.folds)-fold cross-validation on the "
                + "first split's training part."),
            .figure("Validation error against the L2 strength", penaltyFigure, caption:
                "Ridge regression for every degree; the chosen pair has the lowest validation error over all degrees and λ "
                + "(λ = 0 included)."),
            tableSection("Test error over \(settings.repeats) random splits (mean ± standard deviation)", testTable, caption:
                "Each split holds out \(Int(settings.testFraction * 100))% of the patients; cross-validation runs on the rest. "
                + "Cross-validated choice against least squares: ratio of mean test MSEs \(short(scores[2] / scores[1])). "
                + "Choices: \(chosenCounts.joined(separator: "; "))."),
            .text("What the run shows", findings),
        ]
    }

    /// The lab's observations in words, with this run's numbers.
    public var findings: String {
        let stable = 2 / scaledCurvature.largest
        let gaps = learningRateCurves.map { curve in
            curve.diverged ? "η = \(short(curve.learningRate)) diverges (above 2/λmax = \(short(stable)))"
                + (curve.losses.count < settings.steps ? ", overflowing at step \(curve.losses.count + 1)" : "")
                : "\(curve.name.hasPrefix("Adagrad") ? "Adagrad " : "")η = \(short(curve.learningRate)) ends \(short(curve.losses.last! - closedFormLoss)) above it"
        }
        let (raw, scaled, adagradRaw, adagradScaled) = (scalingCurves[0].losses.last! - closedFormLoss, scalingCurves[1].losses.last! - closedFormLoss,
                                                        scalingCurves[2].losses.last! - closedFormLoss, scalingCurves[3].losses.last! - closedFormLoss)
        let differences = zip(testScores[2].meanSquaredErrors, testScores[1].meanSquaredErrors).map { ($0.squareRoot() - $1.squareRoot()) }
        let (difference, spread) = meanAndSpread(differences)
        let standardError = differences.count > 1 ? spread / Double(differences.count - 1).squareRoot() : .nan
        let degreeOne = choices.filter { $0.degree == 1 }.count
        let unpenalised = degrees.indices.map { "degree \(degrees[$0]) \(short(validationErrors[$0][0]))" }
        // With more polynomial features than patients in a fold, λ = 0 gives the minimum-norm interpolating
        // fit, which can do less badly than the degree below it.
        let last = degrees.count - 1
        let interpolation = last >= 2 && validationErrors[last][0] < validationErrors[last - 1][0]
            ? " Degree \(degrees[last]) has more features than patients: least squares interpolates (training error 0) with the "
                + "minimum-norm weights, which does less badly than degree \(degrees[last - 1]) — the start of \"double descent\"."
            : ""
        return """
            Learning rate. After \(settings.steps) steps from zero, against the least-squares training MSE \(short(closedFormLoss)): \
            \(gaps.joined(separator: "; ")).

            Feature scaling. In raw units the Hessian's condition number is \(short(rawCurvature.largest / rawCurvature.smallest)) \
            (standardised: \(short(scaledCurvature.largest / scaledCurvature.smallest))), so the largest stable step is \
            \(short(2 / rawCurvature.largest)) and after \(settings.steps) steps the gap is still \(short(raw)), against \(short(scaled)) \
            on standardised features. Adagrad on raw features ends \(short(adagradRaw)) above the floor, \
            \(adagradRaw < raw ? "better than plain steps there" : "no better than plain steps there"), and \(short(adagradScaled)) \
            on standardised ones.

            Model complexity. Without a penalty the cross-validated MSE by degree is \(unpenalised.joined(separator: ", ")): \
            more capacity fits the training folds better and, past the best degree, the held-out folds worse.\(interpolation) \
            Cross-validation chose degree 1 in \(degreeOne) of \(choices.count) splits. Its mean test RMSE is \
            \(short(meanAndSpread(testScores[2].meanSquaredErrors.map { $0.squareRoot() }).mean)) against plain least squares' \
            \(short(meanAndSpread(testScores[1].meanSquaredErrors.map { $0.squareRoot() }).mean)), a paired difference of \
            \(difference >= 0 ? "+" : "")\(short(difference)) ± \(short(standardError)) (standard error over splits): on this nearly \
            linear data the gain of model selection is in avoiding the higher degrees, not in beating the straight line.
            """
    }

    /// The training loss above the least-squares floor, step by step, on a log scale: the lecture's
    /// "too small / just right / too large" picture. A diverging curve is drawn until it leaves the
    /// chart at ten times its starting gap, so it does not flatten the others.
    public var learningRateFigure: LineChart {
        let ceiling = 10 * (initialLoss - closedFormLoss)
        return LineChart(title: "Learning rate (standardised features)", xLabel: "gradient step (log scale)",
                         yLabel: "training MSE - least-squares MSE", xScale: .logarithmic, yScale: .logarithmic,
                         series: learningRateCurves.map { gapSeries($0, ceiling: $0.diverged ? ceiling : nil) })
    }

    /// The same gap with and without standardising the features, each plain run at 0.9 × its
    /// largest stable rate `2 / λmax(H)`. Both share one floor: standardising is an invertible affine
    /// map of the features, so least squares reaches the same loss either way.
    public var scalingFigure: LineChart {
        LineChart(title: "Feature scaling", xLabel: "gradient step (log scale)", yLabel: "training MSE - least-squares MSE",
                  xScale: .logarithmic, yScale: .logarithmic, series: scalingCurves.map { gapSeries($0, ceiling: nil) })
    }

    /// Training and cross-validated error against the polynomial degree, without penalty. Once
    /// features outnumber the patients in a fold, least squares interpolates (training error 0 up to
    /// rounding); such values are drawn at a floor a decade below the lowest validation error and
    /// the legend says so.
    public var degreeFigure: LineChart {
        let x = degrees.map(Double.init)
        let validation = validationErrors.map { $0[0] }
        let floor = pow(10, (log10(validation.min()! / 10)).rounded(.down))
        let training = trainingErrors.map { max($0[0], floor) }
        let best = validation.indices.min { validation[$0] < validation[$1] }!
        let clipped = trainingErrors.contains { $0[0] < floor }
        return LineChart(title: "Model complexity (lambda = 0)", xLabel: "polynomial degree", yLabel: "mean squared error",
                         yScale: .logarithmic, series: [
                             .init(name: clipped ? "training (clipped at \(short(floor)))" : "training", x: x, y: training),
                             .init(name: "validation (\(settings.folds)-fold)", x: x, y: validation),
                             cross("lowest: degree \(degrees[best])", at: (x[best], validation[best]), xValues: x,
                                   yValues: training + validation, logarithmicX: false),
                         ])
    }

    /// Cross-validated error against λ (log scale) for each degree, the training error of the chosen
    /// degree, and a cross on the chosen pair (when its λ is not 0, which a log axis cannot show).
    public var penaltyFigure: LineChart {
        let x = Array(penalties.dropFirst())
        var series: [LineChart.Series] = degrees.indices.map { d in
            .init(name: "validation, degree \(degrees[d])", x: x, y: Array(validationErrors[d].dropFirst()))
        }
        let chosenIndex = degrees.firstIndex(of: chosen.degree)!
        series.append(.init(name: "training, degree \(chosen.degree)", x: x, y: Array(trainingErrors[chosenIndex].dropFirst()),
                            color: .grey))
        if chosen.penalty > 0 {
            let p = penalties.firstIndex(of: chosen.penalty)!
            series.append(cross("chosen: degree \(chosen.degree), lambda=\(short(chosen.penalty))",
                                at: (chosen.penalty, validationErrors[chosenIndex][p]), xValues: x,
                                yValues: series.flatMap(\.y), logarithmicX: true))
        }
        return LineChart(title: "L2 strength", xLabel: "lambda (penalty on squared weights)", yLabel: "mean squared error",
                         xScale: .logarithmic, yScale: .logarithmic, series: series)
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

    /// A black × over `point`, its arms 3% of the axes' spans (the y axis logarithmic): a marker that
    /// stands out from the dots of the curves.
    private func cross(_ name: String, at point: (x: Double, y: Double), xValues: [Double], yValues: [Double],
                       logarithmicX: Bool) -> LineChart.Series {
        let shown = yValues.filter { $0.isFinite && $0 > 0 }
        let yFactor = pow(shown.max()! / shown.min()!, 0.03)
        let (left, right) = logarithmicX ? (point.x / pow(xValues.max()! / xValues.min()!, 0.02), point.x * pow(xValues.max()! / xValues.min()!, 0.02))
            : (point.x - 0.02 * (xValues.max()! - xValues.min()!), point.x + 0.02 * (xValues.max()! - xValues.min()!))
        return .init(name: name, x: [left, right, .nan, left, right],
                     y: [point.y / yFactor, point.y * yFactor, .nan, point.y * yFactor, point.y / yFactor], color: .black)
    }

    /// The gap `L − L*` after each step (step 1 first, for a log axis). Gaps at or below zero
    /// (rounding at convergence) are left out of a log scale; past `ceiling` the curve stops at it.
    private func gapSeries(_ curve: RegressionLab.Curve, ceiling: Double?) -> LineChart.Series {
        var x: [Double] = [], y: [Double] = []
        for (index, loss) in curve.losses.enumerated() {
            let gap = loss - closedFormLoss
            x.append(Double(index + 1))
            if let ceiling, gap > ceiling { y.append(ceiling); break }
            y.append(gap > 0 ? gap : .nan)
        }
        return .init(name: curve.name, x: x, y: y)
    }
}
