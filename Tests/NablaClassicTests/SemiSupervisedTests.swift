#if canImport(Glibc)
import Glibc
#endif
import Nabla
@testable import NablaClassic
import NablaTestSupport
import Testing

@Suite struct SemiSupervisedTests {
    /// Two moons with only three labelled points per moon.
    static func sparselyLabelledMoons() -> (moons: ClassicDataset, partial: [Int?]) {
        let moons = SyntheticData.moons(count: 200, noise: 0.05, generator: RandomGenerator(seed: 4))
        let labels = moons.labels!
        let labelled: Set<Int> = [0, 50, 99, 100, 150, 199]
        return (moons, labels.enumerated().map { labelled.contains($0.offset) ? $0.element : nil })
    }

    @Test func labelPropagationFollowsTheMoons() throws {
        let (moons, partial) = Self.sparselyLabelledMoons()
        let result = try LabelPropagation(graph: .nearestNeighbors(count: 7)).fit(moons.features, labels: partial)
        #expect(result.converged)
        #expect(ClassificationMetrics.accuracy(moons.labels!, result.labels) == 1)
        // A linear classifier on the six labelled points cannot follow the moons.
        let known = partial.indices.filter { partial[$0] != nil }
        let linear = try LogisticRegression().fit(moons.features.rows(known), labels: known.map { partial[$0]! })
        #expect(ClassificationMetrics.accuracy(moons.labels!, try linear.predict(moons.features)) < 0.95)
        // The RBF graph works too.
        let rbf = try LabelPropagation(graph: .radialBasis(gamma: 20)).fit(moons.features, labels: partial)
        #expect(ClassificationMetrics.accuracy(moons.labels!, rbf.labels) > 0.95)
    }

    @Test func selfTrainingLabelsConfidentSamples() throws {
        let blobs = TestData.blobs(dimensions: 2, perCenter: 30)
        let partial: [Int?] = blobs.labels!.enumerated().map { $0.offset % 15 == 0 ? $0.element : nil }
        let result = try SelfTraining(base: GaussianNaiveBayes(), threshold: 0.9).fit(blobs.features, labels: partial)
        #expect(result.labelledCount == 90)
        #expect(result.pseudoLabels.map { $0! } == blobs.labels!)
        #expect(result.labelledInRound.filter { $0 == 0 }.count == 6)
        #expect(ClassificationMetrics.accuracy(blobs.labels!, try result.model.predict(blobs.features)) == 1)
    }

    @Test func entropyRegularizationMakesConfidentPredictions() throws {
        let blobs = TestData.blobs(dimensions: 2, perCenter: 30)
        let partial: [Int?] = blobs.labels!.enumerated().map { $0.offset % 10 == 0 ? $0.element : nil }
        let supervised = try LogisticRegression(alwaysSoftmax: true).fit(
            blobs.features.rows(partial.indices.filter { partial[$0] != nil }), labels: partial.compactMap { $0 })
        let model = try EntropyRegularization(entropyWeight: 1).fit(blobs.features, labels: partial)
        #expect(ClassificationMetrics.accuracy(blobs.labels!, try model.predict(blobs.features)) == 1)
        func meanEntropy(_ probabilities: Matrix) -> Double {
            var total = 0.0
            for row in 0..<probabilities.rowCount { for k in 0..<probabilities.columnCount {
                let p = probabilities[row, k]; if p > 0 { total -= p * log(p) }
            } }
            return total / Double(probabilities.rowCount)
        }
        #expect(meanEntropy(try model.predictProbabilities(blobs.features)) < meanEntropy(try supervised.predictProbabilities(blobs.features)))
    }
}
