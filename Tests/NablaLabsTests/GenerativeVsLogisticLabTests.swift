import Nabla
import NablaClassic
@testable import NablaLabs
import NablaTrain
import NablaViz
import Testing

@Suite struct GenerativeVsLogisticLabTests {
    @Test func quickRunGivesAccuracyCurvesForEveryModelSizeAndDraw() throws {
        let settings = GenerativeVsLogisticLab.Settings.quick
        let result = try GenerativeVsLogisticLab.run(settings, generator: RandomGenerator(seed: 3))
        #expect(result.panels.map(\.featureCount) == settings.featureCounts)
        for panel in result.panels {
            #expect(panel.accuracies.count == GenerativeVsLogisticLab.modelNames.count)
            #expect(panel.accuracies.allSatisfy { $0.count == settings.trainingSizes.count && $0.allSatisfy { $0.count == settings.draws } })
            #expect(panel.accuracies.joined().joined().allSatisfy { (0...1).contains($0) })
            // Benign tumours are the majority (357 of 569): about 0.63 of a test set, give or take a few tumours.
            #expect(panel.majority.joined().allSatisfy { (0.5...0.75).contains($0) }, "\(panel.majority)")
            // With 300 examples the linear models are far above the majority class.
            let last = settings.trainingSizes.count - 1
            for model in [0, GenerativeVsLogisticLab.logisticIndex] {
                #expect(meanAndSpread(panel.accuracies[model][last]).mean > 0.85, "\(GenerativeVsLogisticLab.modelNames[model]), \(panel.featureCount) features")
            }
            #expect(result.accuracyTable(panel).count == settings.trainingSizes.count + 1)
            for figure in [result.accuracyFigure(panel), result.differenceFigure(panel)] {
                #expect(!figure.svg().text.contains("nan"), "\(figure.title)")
            }
        }
        #expect(result.crossovers.count == settings.featureCounts.count * GenerativeVsLogisticLab.logisticIndex)
        #expect(result.crossoverTable.count == result.crossovers.count + 1)
    }

    @Test func stratifiedDrawsKeepTheClassShares() {
        let labels = (0..<100).map { $0 < 30 ? 0 : 1 }
        let generator = RandomGenerator(seed: 4)
        for size in [4, 10, 37, 100] {
            let sample = GenerativeVsLogisticLab.stratifiedSample(Array(0..<100), labels: labels, size: size, generator: generator)
            #expect(sample.count == size && Set(sample).count == size)
            let first = sample.filter { labels[$0] == 0 }.count
            #expect(first >= 2 && size - first >= 2 && abs(Double(first) - 0.3 * Double(size)) <= 2, "\(first) of \(size)")
        }
    }

    @Test func crossoverNeedsAGenerativeLeadThenALogisticOne() {
        // Two draws per size: generative ahead at 10, level at 20, behind at 40 and 80.
        let generative: [[Double]] = [[0.9, 0.91], [0.9, 0.9], [0.8, 0.81], [0.8, 0.8]]
        let logistic: [[Double]] = [[0.8, 0.8], [0.9, 0.9], [0.9, 0.9], [0.9, 0.91]]
        let panel = GenerativeVsLogisticLab.Panel(featureCount: 2, accuracies: [generative, generative, generative, logistic],
                                                  majority: [[0.6, 0.6], [0.6, 0.6], [0.6, 0.6], [0.6, 0.6]])
        let found = GenerativeVsLogisticLab.crossover(panel, model: 0, sizes: [10, 20, 40, 80])
        #expect(found.generativeLeads == [10] && found.logisticLeads == [40, 80] && found.appears)
        let never = GenerativeVsLogisticLab.Panel(featureCount: 2, accuracies: [logistic, logistic, logistic, generative],
                                                  majority: panel.majority)
        #expect(!GenerativeVsLogisticLab.crossover(never, model: 0, sizes: [10, 20, 40, 80]).appears)
    }

    @Test func badSettingsAreRejectedByKey() throws {
        let lab = GenerativeVsLogisticLab()
        let cases = ["test_fraction=0", "training_sizes=10,5", "training_sizes=3", "training_sizes=10,500", "training_sizes=ten",
                     "draws=0", "feature_counts=31", "feature_counts=", "logistic_penalty=-1", "separate_regularization=2"]
        for override in cases {
            let key = String(override.prefix { $0 != "=" })
            do {
                _ = try GenerativeVsLogisticLab.Settings(LabRunner.resolve(lab, quick: true, overrides: [override]))
                Issue.record("\(override) was accepted")
            } catch let error as LabError {
                #expect(error.description.contains("'\(key)'"), "\(error)")
            }
        }
        #expect(try GenerativeVsLogisticLab.Settings(LabRunner.resolve(lab, quick: false, overrides: [])) == .full)
        #expect(try GenerativeVsLogisticLab.Settings(LabRunner.resolve(lab, quick: true, overrides: [])) == .quick)
    }
}
