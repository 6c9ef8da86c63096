import Nabla
import Testing
@testable import NablaLabs

@Suite struct OptimizersLabTests {
    static var tinySettings: OptimizersLab.Settings {
        var settings = OptimizersLab.Settings.quick
        settings.trainingExamples = 256
        settings.hiddenUnits = 16
        settings.batchSize = 32
        settings.epochs = 2
        settings.surfaceSteps = 50
        return settings
    }

    /// Every method trains on the same data: finite losses that fall, an accuracy per epoch, and paths
    /// on both surfaces that start at the given point.
    @Test func everyMethodTrainsAndEveryPathStartsAtTheStart() throws {
        let settings = Self.tinySettings
        let result = try #require(try OptimizersLab.run(settings: settings, generator: RandomGenerator(seed: 2), data: syntheticSubset()))
        #expect(result.curves.map(\.method) == OptimizersLab.Method.allCases)
        for curve in result.curves {
            let losses = curve.training.trainingLoss
            #expect(!curve.training.diverged && losses.allSatisfy(\.isFinite), "\(curve.method)")
            #expect(losses.last! < losses.first!, "\(curve.method): loss \(losses)")
            #expect(curve.training.validationAccuracy.count == settings.epochs)
        }
        for surface in ErrorSurface.allCases {
            for method in OptimizersLab.Method.allCases {
                let path = try #require(result.paths[surface]?[method])
                #expect(path.count == settings.surfaceSteps + 1)
                #expect(path[0].x == surface.start[0] && path[0].y == surface.start[1])
                #expect(path.allSatisfy { $0.x.isFinite && $0.y.isFinite }, "\(method) on \(surface)")
            }
        }
        for figure in [OptimizersLab.lossCurves(result), OptimizersLab.accuracyCurves(result)] {
            #expect(figure.series.count == 8)
        }
        #expect(OptimizersLab.pathFigure(result, surface: .rosenbrock).trajectories.count == 8)
        _ = OptimizersLab.pathFigure(result, surface: .saddle).rendered()
    }

    /// The same method and seed give the same curve: every method starts from the same weights and batches.
    @Test func runsRepeat() throws {
        let data = syntheticSubset()
        let first = try #require(try OptimizersLab.trainNetworks(data: data, settings: Self.tinySettings, seed: 9, trainer: ScratchTrainer()))
        let second = try #require(try OptimizersLab.trainNetworks(data: data, settings: Self.tinySettings, seed: 9, trainer: ScratchTrainer()))
        #expect(first.map(\.training.trainingLoss) == second.map(\.training.trainingLoss))
    }

    /// On the saddle surface, Adam moves away from the ridge (|y| grows) towards a minimum at y = ±1.
    @Test func adamLeavesTheSaddle() {
        let path = OptimizersLab.path(of: .adam, on: .saddle, steps: 400)
        #expect(abs(abs(path.last!.y) - 1) < 0.1 && abs(path.last!.x) < 0.2, "Adam ended at \(path.last!)")
    }

    @Test func badSettingsNameTheKey() {
        var settings = OptimizersLab.Settings.quick
        settings.learningRateScale = 0
        #expect { try settings.validate() } throws: { "\($0)".contains("'learning_rate_scale'") }
        settings = .quick
        settings.batchSize = settings.trainingExamples + 1
        #expect { try settings.validate() } throws: { "\($0)".contains("'batch_size'") }
    }
}
