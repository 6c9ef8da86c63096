import Nabla
@testable import NablaClassic
import NablaTestSupport
import Testing

@Suite struct TreeTests {
    /// Label 1 exactly when the first feature exceeds 0.5; the second feature is noise.
    static func thresholdData() -> (Matrix, [Int]) {
        let generator = RandomGenerator(seed: 8)
        var rows: [[Double]] = [], labels: [Int] = []
        for _ in 0..<80 {
            let x = Double(generator.nextUnitFloat()), noise = Double(generator.nextUnitFloat())
            rows.append([x, noise]); labels.append(x > 0.5 ? 1 : 0)
        }
        return (Matrix(rows: rows), labels)
    }

    @Test func aTreeFindsASingleThreshold() throws {
        let (x, labels) = Self.thresholdData()
        for criterion in DecisionTree.Criterion.allCases {
            let tree = try DecisionTree(criterion: criterion).fit(x, labels: labels)
            #expect(tree.depth == 1 && tree.leafCount == 2, "\(criterion)")
            #expect(tree.nodes[0].feature == 0)
            // The threshold lies between the largest x ≤ 0.5 and the smallest x > 0.5.
            let below = (0..<80).filter { labels[$0] == 0 }.map { x[$0, 0] }.max()!
            let above = (0..<80).filter { labels[$0] == 1 }.map { x[$0, 0] }.min()!
            expectNear(tree.nodes[0].threshold, (below + above) / 2, "threshold")
            #expect(tree.featureImportances == [1, 0])
            #expect(try tree.predict(x) == labels)
        }
    }

    @Test func giniAndEntropyOnAHandCountedSplit() throws {
        // x: 1 2 3 4 5 6, labels 0 0 0 1 1 0 — best Gini split is x ≤ 3.5 (left pure).
        let x = Matrix(column: [1, 2, 3, 4, 5, 6])
        let stump = try DecisionTree(maximumDepth: 1).fit(x, labels: [0, 0, 0, 1, 1, 0])
        #expect(stump.nodes[0].threshold == 3.5)
        #expect(stump.nodes[stump.nodes[0].right].probabilities.map { ($0 * 3).rounded() } == [1, 2])
        let full = try DecisionTree(criterion: .entropy).fit(x, labels: [0, 0, 0, 1, 1, 0])
        #expect(try full.predict(x) == [0, 0, 0, 1, 1, 0])
        let limited = try DecisionTree(minimumSamplesLeaf: 3).fit(x, labels: [0, 0, 0, 1, 1, 0])
        #expect(limited.leafCount == 2)
    }

    @Test func aForestLearnsTheSplitAndIsRepeatable() throws {
        let (x, labels) = Self.thresholdData()
        let forest = try RandomForest(treeCount: 20, seed: 3).fit(x, labels: labels)
        #expect(forest.trees.count == 20)
        #expect(ClassificationMetrics.accuracy(labels, try forest.predict(x)) == 1)
        #expect(forest.featureImportances[0] > 0.8)
        let again = try RandomForest(treeCount: 20, seed: 3).fit(x, labels: labels)
        #expect(try again.predictProbabilities(x) == (try forest.predictProbabilities(x)))
    }

    @Test(.enabled(if: TestData.hasBuiltInData, "needs Debian's python3-sklearn data files"))
    func aForestOnIrisHeldOut() throws {
        let iris = try TestData.iris()
        let split = try Validation.trainValidationSplit(count: 150, validationFraction: 0.3, generator: RandomGenerator(seed: 1))
        let forest = try RandomForest(treeCount: 30, seed: 0).fit(iris.features.rows(split.training), labels: split.training.map { iris.labels![$0] })
        let accuracy = ClassificationMetrics.accuracy(split.validation.map { iris.labels![$0] }, try forest.predict(iris.features.rows(split.validation)))
        #expect(accuracy > 0.9)
    }
}
