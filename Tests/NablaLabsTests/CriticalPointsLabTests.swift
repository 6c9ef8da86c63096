import Nabla
import NablaViz
import NablaTestSupport
import Testing
@testable import NablaLabs

@Suite struct CriticalPointsLabTests {
    /// A tiny setting: two runs, each ending with a smaller gradient than training left, a finite loss and
    /// a full spectrum (one eigenvalue per parameter), so the ratio lies in [0, 1].
    @Test func quickRunsReachSmallGradientsAndFullSpectra() throws {
        var settings = CriticalPointsLab.Settings.quick
        settings.runs = 2
        settings.hiddenUnits = 3
        settings.trainingSteps = 100
        settings.gradientNormSteps = 60
        let result = try #require(try CriticalPointsLab.run(settings: settings, generator: RandomGenerator(seed: 1)))
        #expect(result.runs.count == 2)
        #expect(result.parameterCount == 3 * 3 + 4 * 3 + 1)
        for run in result.runs {
            #expect(run.loss.isFinite && run.loss > 0 && run.loss < 1)
            #expect(run.gradientNorm <= run.gradientNormAfterTraining)
            #expect(run.eigenvalues.count == result.parameterCount && run.eigenvalues.allSatisfy(\.isFinite))
            #expect(run.eigenvalues == run.eigenvalues.sorted())
            #expect((0...1).contains(run.minimumRatio))
        }
        // Every figure renders.
        for figure in [CriticalPointsLab.lossAgainstRatio(result), CriticalPointsLab.ratioHistogram(result),
                       CriticalPointsLab.spectra(result)] as [any Figure] {
            #expect(figure.rendered().width > 0)
        }
    }

    /// The network's Hessian the lab reads is symmetric and matches differences of gradients.
    @Test func labNetworkHessianMatchesFiniteDifferences() {
        let network = CriticalPointsLab.model(hiddenUnits: 2, generator: RandomGenerator(seed: 3))
        let (inputs, targets) = CriticalPointsLab.data(samples: 8)
        let parameters = network.parameters()
        let h = hessian(of: mseLoss(network(inputs), targets), withRespectTo: parameters)
        let count = parameters.reduce(0) { $0 + $1.count }
        #expect(h.shape == [count, count])
        expectClose(h, h.T.contiguous(), "symmetry", tolerance: .exact)
        func flatGradient() -> [Float] {
            gradients(of: mseLoss(network(inputs), targets), withRespectTo: parameters).flatMap(\.scalars)
        }
        // Shift one parameter at a time in place and difference the gradients: column j of H.
        let epsilon: Float = 1e-2
        var position = 0
        for parameter in parameters {
            for element in 0..<parameter.count {
                func shift(_ amount: Float) {
                    parameter.withUnsafeMutableBufferPointer { $0[element] += amount }
                }
                shift(epsilon); let plus = flatGradient()
                shift(-2 * epsilon); let minus = flatGradient()
                shift(epsilon)
                let column = zip(plus, minus).map { ($0 - $1) / (2 * epsilon) }
                let fromHessian = (0..<count).map { h[$0, position] }
                expectClose(fromHessian.map(Double.init), column.map(Double.init), "column \(position)",
                            tolerance: Tolerance(absolute: 2e-3, relative: 2e-2))
                position += 1
            }
        }
    }

    @Test func badSettingsNameTheKey() {
        var settings = CriticalPointsLab.Settings.quick
        settings.hiddenUnits = 0
        #expect { try CriticalPointsLab.run(settings: settings, generator: RandomGenerator(seed: 0)) } throws: {
            "\($0)".contains("'hidden_units'")
        }
    }
}
