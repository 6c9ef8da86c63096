import Nabla
import NablaNN
import Testing
@testable import NablaLabs

@Suite struct BatchNormLabTests {
    /// Quick run on small stand-in data: the batch-norm network's loss falls, the curvature is
    /// finite and positive for all four networks, and the figures render.
    @Test func quickRunTrainsAndMeasuresCurvature() throws {
        var settings = BatchNormLab.Settings.quick
        settings.trainingExamples = 256
        settings.batchSize = 32
        settings.hiddenUnits = 16
        settings.learningRates = [0.1]
        settings.curvatureExamples = 64
        settings.powerIterations = 8
        let result = try #require(try BatchNormLab.run(settings: settings, generator: RandomGenerator(seed: 4), data: syntheticSubset()))
        #expect(result.trainings.count == 2)
        for training in result.trainings {
            let losses = training.curve.trainingLoss
            if training.batchNorm {
                #expect(!training.curve.diverged && losses.last! < losses.first!, "\(training.label): \(losses)")
            } else {
                // Without batch norm the badly scaled input may blow up; then the curve says so.
                #expect(training.curve.diverged || losses.allSatisfy(\.isFinite), "\(training.label): \(losses)")
            }
        }
        #expect(result.curvatures.count == 4)
        for curvature in result.curvatures {
            #expect(curvature.topEigenvalue.isFinite && curvature.topEigenvalue > 0, "\(curvature.label)")
        }
        _ = BatchNormLab.lossCurves(result).rendered()
        _ = BatchNormLab.curvatureChart(result).rendered()
    }

    /// The tolerated-rate ratio reads the largest rate that learned on each side.
    @Test func toleratedLearningRateRatio() {
        func training(_ batchNorm: Bool, _ rate: Double, loss: Double, diverged: Bool = false) -> BatchNormLab.Training {
            BatchNormLab.Training(batchNorm: batchNorm, learningRate: rate,
                                  curve: TrainingCurve(steps: [1], trainingLoss: [loss], validationAccuracy: [0.5],
                                                       finalTrainingLoss: diverged ? .infinity : loss, diverged: diverged))
        }
        var settings = BatchNormLab.Settings.quick
        settings.learningRates = [0.01, 0.1, 1]
        let result = BatchNormLab.Result(settings: settings, trainings: [
            training(false, 0.01, loss: 0.5), training(true, 0.01, loss: 0.9), training(false, 0.1, loss: 2.31),
            training(true, 0.1, loss: 0.4), training(false, 1, loss: .nan, diverged: true), training(true, 1, loss: 0.6),
        ], curvatures: [])
        #expect(result.largestWorkingLearningRate(batchNorm: false) == 0.01)   // 2.31 > ln 10: did not learn
        #expect(result.largestWorkingLearningRate(batchNorm: true) == 1)
        #expect(abs(result.toleratedLearningRateRatio - 100) < 1e-9)
    }

    /// Power iteration finds the largest eigenvalue of a known Hessian: f = Σ aᵢ xᵢ² has H = diag(2a).
    @Test func powerIterationFindsTheTopEigenvalue() {
        let x = Tensor([0.3, -1, 2, 0.5], requiresGrad: true)
        let a = Tensor([1, 4, 0.5, 2])
        let top = BatchNormLab.topHessianEigenvalue(parameters: [x], iterations: 60, generator: RandomGenerator(seed: 1)) {
            (a * x * x).sum()
        }
        #expect(abs(top - 8) < 1e-3)
        // With a steeper negative curvature (−12) the answer is still the largest eigenvalue, 4.
        let b = Tensor([1, -6, 0.5, 2])
        let topWithNegative = BatchNormLab.topHessianEigenvalue(parameters: [x], iterations: 80, generator: RandomGenerator(seed: 1)) {
            (b * x * x).sum()
        }
        #expect(abs(topWithNegative - 4) < 1e-2, "found \(topWithNegative)")
    }

    /// Both variants share the linear weights, so the comparison isolates batch normalisation.
    @Test func variantsShareTheirLinearWeights() {
        let plain = BatchNormLab.model(inputs: 6, hiddenUnits: 4, batchNorm: false, generator: RandomGenerator(seed: 3))
        let normalized = BatchNormLab.model(inputs: 6, hiddenUnits: 4, batchNorm: true, generator: RandomGenerator(seed: 3))
        let plainWeights = plain.namedParameters().filter { $0.tensor.rank == 2 }.map(\.tensor.scalars)
        let normalizedWeights = normalized.namedParameters().filter { $0.tensor.rank == 2 }.map(\.tensor.scalars)
        #expect(plainWeights.count == 3 && plainWeights == normalizedWeights)
    }

    @Test func learningRatesParseOrNameTheKey() throws {
        #expect(try BatchNormLab.learningRates("0.001, 0.1") == [0.001, 0.1])
        #expect { try BatchNormLab.learningRates("0.1,fast") } throws: { "\($0)".contains("'learning_rates'") }
    }

    @Test func badSettingsNameTheKey() {
        var settings = BatchNormLab.Settings.quick
        settings.learningRates = []
        #expect { try settings.validate() } throws: { "\($0)".contains("'learning_rates'") }
        settings = .quick
        settings.learningRates = [0.1, -1]
        #expect { try settings.validate() } throws: { "\($0)".contains("'learning_rates'") }
        settings.learningRates = [0.1, 0.01, 0.1]
        #expect { try settings.validate() } throws: { "\($0)".contains("'learning_rates'") && "\($0)".contains("twice") }
    }
}
