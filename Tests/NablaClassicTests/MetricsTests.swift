import Nabla
@testable import NablaClassic
import NablaTestSupport
import Testing

@Suite struct MetricsTests {
    @Test func classificationMetricsOnAHandCountedExample() {
        // truth:     0 0 0 1 1 1 1 2
        // predicted: 0 1 0 1 1 0 1 2   → class 1: TP 3, FP 1, FN 1
        let truth = [0, 0, 0, 1, 1, 1, 1, 2], predicted = [0, 1, 0, 1, 1, 0, 1, 2]
        #expect(ClassificationMetrics.accuracy(truth, predicted) == 6.0 / 8.0)
        #expect(ClassificationMetrics.confusionMatrix(truth, predicted) == [[2, 1, 0], [1, 3, 0], [0, 0, 1]])
        #expect(ClassificationMetrics.precision(truth, predicted, positiveClass: 1) == 0.75)
        #expect(ClassificationMetrics.recall(truth, predicted, positiveClass: 1) == 0.75)
        #expect(ClassificationMetrics.f1Score(truth, predicted, positiveClass: 1) == 0.75)
        // class 0: P = 2/3, R = 2/3; class 2: P = R = 1 → macro F1 = (2/3 + 3/4 + 1) / 3
        expectNear(ClassificationMetrics.macroF1Score(truth, predicted), (2.0 / 3.0 + 0.75 + 1) / 3, "macro F1")
        #expect(ClassificationMetrics.precision([0, 0], [0, 0], positiveClass: 1) == 0)   // nothing predicted positive
    }

    @Test func rocAUCCountsOrderedPairsWithTiesAsHalf() {
        // Positives scored 0.35 and 0.8, negatives 0.1 and 0.4: of the 4 (positive, negative) pairs
        // 3 are ordered correctly → 0.75 (scikit-learn's documented example).
        expectNear(ClassificationMetrics.rocAUC([0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8]), 0.75, "AUC")
        expectNear(ClassificationMetrics.rocAUC([0, 1], scores: [0.5, 0.5]), 0.5, "tie")
        expectNear(ClassificationMetrics.rocAUC([1, 0, 1], scores: [3, 1, 2]), 1, "perfect")
        #expect(ClassificationMetrics.rocAUC([1, 1], scores: [1, 2]).isNaN)
        let curve = ClassificationMetrics.rocCurve([0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8])
        #expect(curve.map(\.falsePositiveRate) == [0, 0, 0.5, 0.5, 1])
        #expect(curve.map(\.truePositiveRate) == [0, 0.5, 0.5, 1, 1])
    }

    @Test func regressionMetrics() {
        let truth = [1.0, 2, 3], predicted = [1.0, 2, 5]
        expectNear(RegressionMetrics.meanSquaredError(truth, predicted), 4.0 / 3.0, "MSE")
        expectNear(RegressionMetrics.rootMeanSquaredError(truth, predicted), (4.0 / 3.0).squareRoot(), "RMSE")
        expectNear(RegressionMetrics.meanAbsoluteError(truth, predicted), 2.0 / 3.0, "MAE")
        // Σ(y − ŷ)² = 4, Σ(y − ȳ)² = 2 → R² = 1 − 2 = −1
        expectNear(RegressionMetrics.rSquared(truth, predicted), -1, "R²")
        #expect(RegressionMetrics.rSquared(truth, truth) == 1)
    }

    @Test func adjustedRandIndexKnownValues() {
        #expect(ClusteringMetrics.adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]) == 1)
        // scikit-learn's documented examples.
        expectNear(ClusteringMetrics.adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2]), 0.5714285714285715, "ARI")
        expectNear(ClusteringMetrics.adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1]), 0.5714285714285715, "ARI")
        expectNear(ClusteringMetrics.adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]), -0.5, "ARI")
        #expect(ClusteringMetrics.adjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3]) == 0)
    }

    @Test func silhouetteOnPointsOnALine() throws {
        // Points 0, 1 (cluster A) and 10, 11 (cluster B). For 0: a = 1, b = (10 + 11)/2 = 10.5 → s = 9.5/10.5.
        // For 1: a = 1, b = 9.5 → 8.5/9.5; symmetric for B.
        let points = Matrix(column: [0, 1, 10, 11])
        let expected = (9.5 / 10.5 + 8.5 / 9.5) / 2
        expectNear(try ClusteringMetrics.silhouetteScore(points, labels: [0, 0, 1, 1]), expected, "silhouette", absolute: 1e-7)
        expectClassicError(.invalidParameter) { _ = try ClusteringMetrics.silhouetteScore(points, labels: [0, 0, 0, 0]) }
    }

    @Test func trustworthinessIsOneForAnIsometryAndLowerForAShuffle() throws {
        let generator = RandomGenerator(seed: 3)
        let points = Matrix(rowCount: 40, columnCount: 3, values: (0..<120).map { _ in Double(generator.nextNormal()) })
        expectNear(try EmbeddingMetrics.trustworthiness(original: points, embedded: points, neighborCount: 5), 1, "identity")
        let shuffled = points.rows(generator.permutation(40))
        #expect(try EmbeddingMetrics.trustworthiness(original: points, embedded: shuffled, neighborCount: 5) < 0.8)
    }
}
