import Nabla
import NablaClassic
@testable import NablaLabs
import NablaTrain
import NablaViz
import Testing

@Suite struct RegressionLabTests {
    @Test func quickRunGivesSensibleCurvesChoicesAndScores() throws {
        let settings = RegressionLab.Settings.quick
        let result = try RegressionLab.run(settings, generator: RandomGenerator(seed: 1))
        // Learning rates: every curve has one loss per step unless it overflowed; the largest rate (above
        // 2/λmax on standardised features) diverges and the others fall below where they started.
        #expect(result.learningRateCurves.count == settings.learningRates.count + 1)
        let stable = 2 / result.scaledCurvature.largest
        for curve in result.learningRateCurves {
            #expect(curve.losses.allSatisfy { $0.isFinite }, "\(curve.name)")
            #expect(curve.diverged == (curve.learningRate > stable && curve.name.hasPrefix("GD")), "\(curve.name), stable below \(stable)")
            if !curve.diverged {
                #expect(curve.losses.count == settings.steps)
                #expect(curve.losses.last! < result.initialLoss && curve.losses.last! >= result.closedFormLoss * (1 - 1e-9), "\(curve.name)")
            }
        }
        // Scaling: raw units make the surface far more elongated, and the same steps get less far.
        #expect(result.rawCurvature.largest / result.rawCurvature.smallest > 1e4 * result.scaledCurvature.largest / result.scaledCurvature.smallest)
        let rawGap = result.scalingCurves[0].losses.last! - result.closedFormLoss
        let scaledGap = result.scalingCurves[1].losses.last! - result.closedFormLoss
        #expect(scaledGap < rawGap / 10, "scaled gap \(scaledGap), raw gap \(rawGap)")
        // Cross-validation: training error never rises with the degree (nested least-squares models);
        // the choice lies in the grid; every error is finite.
        let training = result.trainingErrors.map { $0[0] }
        #expect(zip(training, training.dropFirst()).allSatisfy { $1 <= $0 * (1 + 1e-9) }, "training MSE by degree: \(training)")
        #expect((1...settings.maximumDegree).contains(result.chosen.degree) && result.penalties.contains(result.chosen.penalty))
        #expect(result.validationErrors.joined().allSatisfy { $0.isFinite && $0 > 0 })
        #expect(result.choices.count == settings.repeats)
        // Test scores: the cross-validated choice explains part of the variance and beats the mean.
        let mean = result.testScores[0].meanSquaredErrors, chosen = result.testScores[2].meanSquaredErrors
        #expect(zip(chosen, mean).allSatisfy { $0 < $1 * 0.8 }, "chosen \(chosen) against the mean predictor's \(mean)")
        #expect(result.testScores[2].rSquared.allSatisfy { $0 > 0.2 && $0 < 1 })
        #expect(result.testTable.count == 4 && result.curvatureTable.count == 3)
        for figure in [result.learningRateFigure, result.scalingFigure, result.degreeFigure, result.penaltyFigure] {
            #expect(figure.series.allSatisfy { !$0.x.isEmpty }, "\(figure.title)")
            #expect(!figure.svg().text.contains("nan"), "\(figure.title)")
        }
    }

    @Test func gradientDescentReachesTheClosedFormAtConvergence() throws {
        var settings = RegressionLab.Settings.quick
        settings.steps = 4000
        settings.learningRates = [0.2]
        settings.maximumDegree = 1
        settings.penalties = [1]
        settings.folds = 2
        settings.repeats = 1
        let result = try RegressionLab.run(settings, generator: RandomGenerator(seed: 2))
        let gradientDescent = result.gradientDescentModel, closedForm = result.closedForm
        for (found, exact) in zip(gradientDescent.weights + [gradientDescent.intercept], closedForm.weights + [closedForm.intercept]) {
            #expect(abs(found - exact) <= 1e-3 * max(1, abs(exact)), "gradient descent \(found), closed form \(exact)")
        }
        #expect(abs(result.learningRateCurves[0].losses.last! - result.closedFormLoss) < 1e-9 * result.closedFormLoss)
    }

    @Test func badSettingsAreRejectedByKey() throws {
        let lab = RegressionLab()
        let cases = ["test_fraction=0.9", "steps=0", "learning_rates=0.1,-1", "learning_rates=fast", "adagrad_learning_rate=nan",
                     "maximum_degree=5", "penalties=0", "penalties=", "folds=1", "repeats=0"]
        for override in cases {
            let key = String(override.prefix { $0 != "=" })
            do {
                _ = try RegressionLab.Settings(LabRunner.resolve(lab, quick: true, overrides: [override]))
                Issue.record("\(override) was accepted")
            } catch let error as LabError {
                #expect(error.description.contains("'\(key)'"), "\(error)")
            }
        }
        #expect(try RegressionLab.Settings(LabRunner.resolve(lab, quick: false, overrides: [])) == .full)
        #expect(try RegressionLab.Settings(LabRunner.resolve(lab, quick: true, overrides: [])) == .quick)
        #expect(try RegressionLab.Settings(LabRunner.resolve(lab, quick: true, overrides: ["penalties=1, 10"])).penalties == [1, 10])
    }
}
