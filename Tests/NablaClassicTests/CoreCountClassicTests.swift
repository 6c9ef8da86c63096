import Nabla
@testable import NablaClassic
import NablaTestSupport
import Testing

// The classical methods split rows among the cores (and add up per-chunk partial sums). Run as on 1, 3,
// 8, 16, 64 and 96 cores, each must give one core's result: bit for bit where each row's work is its
// own, closely where partial sums are added in another grouping.
@Suite struct CoreCountClassicTests {
    /// Three blobs of `perCenter` points in `dimensions` dimensions.
    static func blobs(perCenter: Int, dimensions: Int, seed: UInt64 = 31) -> (features: Matrix, labels: [Int]) {
        let data = SyntheticData.blobs(samplesPerCenter: perCenter, dimensions: dimensions, standardDeviation: 2,
                                       generator: RandomGenerator(seed: seed))
        return (data.features, data.labels!)
    }

    static let sums = Tolerance(absolute: 1e-9, relative: 1e-7)

    @Test func rowWiseLoopsAreExact() {
        let (points, _) = Self.blobs(perCenter: 700, dimensions: 5)
        let tensor = RandomGenerator(seed: 32).normal([8, 1 << 18])
        expectSameOnAnyCoreCount("neighbours, distances, conversions") {
            let neighbours = try! NearestNeighbors.search(points, neighborCount: 4)
            let distances = NearestNeighbors.squaredDistances(points, points.rows(0..<3))
            var values: [Double] = neighbours.indices.flatMap { $0.map(Double.init) }
            values += neighbours.squaredDistances.flatMap { $0 }
            values += distances.values
            values += Matrix(tensor).values.prefix(1000)
            values += points.subtractingFromRows([1, 2, 3, 4, 5]).values
            return values
        }
    }

    @Test func clusteringAndItsMetrics() {
        let (points, _) = Self.blobs(perCenter: 7000, dimensions: 3)
        // Centres are summed in float32 blocks, so they agree to float32 precision.
        expectSameOnAnyCoreCount("k-means on 21,000 points", tolerance: Tolerance(absolute: 1e-6, relative: 1e-6)) {
            let result = try! KMeans(clusterCount: 3, maximumIterations: 20).fit(points)
            return result.labels.map(Double.init) + result.centers.values + [result.inertia]
        }
        let (small, smallLabels) = Self.blobs(perCenter: 400, dimensions: 3)
        expectSameOnAnyCoreCount("silhouette score", tolerance: Self.sums) {
            [try! ClusteringMetrics.silhouetteScore(small, labels: smallLabels)]
        }
    }

    @Test func classifiersAndDecompositions() {
        let (points, labels) = Self.blobs(perCenter: 7000, dimensions: 4)
        expectSameOnAnyCoreCount("shared-covariance Gaussian classifier", tolerance: Self.sums) {
            let model = try! GaussianGenerativeClassifier().fit(points, labels: labels)
            return model.means.values + model.priors + (try! model.predictProbabilities(points)).values.prefix(300)
        }
        expectSameOnAnyCoreCount("PCA", tolerance: Self.sums) {
            let model = try! PrincipalComponentAnalysis(componentCount: 2).fit(points)
            return model.mean + model.explainedVariance + model.components.values.map(Swift.abs)
        }
        // Large enough (2²⁰ values) for the single-precision path that cuts the rows into one chunk per core.
        let (wide, wideLabels) = Self.blobs(perCenter: 5000, dimensions: 70)
        expectSameOnAnyCoreCount("logistic regression, three L-BFGS steps", tolerance: Tolerance(absolute: 1e-7, relative: 1e-5)) {
            let model = try! LogisticRegression(maximumIterations: 3).fit(wide, labels: wideLabels)
            return model.weights.values + model.intercepts
        }
        expectSameOnAnyCoreCount("random forest") {
            let (few, fewLabels) = Self.blobs(perCenter: 40, dimensions: 3)
            let model = try! RandomForest(treeCount: 8, maximumDepth: 4).fit(few, labels: fewLabels)
            return (try! model.predictProbabilities(few)).values + model.featureImportances
        }
    }

    @Test func embeddingsAndTheirMetrics() {
        let (points, _) = Self.blobs(perCenter: 70, dimensions: 4)
        expectSameOnAnyCoreCount("t-SNE, 30 steps", tolerance: Tolerance(absolute: 1e-6, relative: 1e-6)) {
            let result = try! TSNE(perplexity: 10, maximumIterations: 30, explorationIterations: 15, method: .exact).fit(points)
            return result.embedding.values + [result.klDivergence]
        }
        expectSameOnAnyCoreCount("t-SNE (Barnes–Hut), 30 steps", tolerance: Tolerance(absolute: 1e-6, relative: 1e-6)) {
            let result = try! TSNE(perplexity: 10, maximumIterations: 30, explorationIterations: 15).fit(points)
            return result.embedding.values + [result.klDivergence]
        }
        let embedded = Matrix(rowCount: points.rowCount, columnCount: 2, values: Array(points.values.prefix(points.rowCount * 2)))
        expectSameOnAnyCoreCount("trustworthiness", tolerance: Self.sums) {
            [try! EmbeddingMetrics.trustworthiness(original: points, embedded: embedded, neighborCount: 5)]
        }
    }
}
