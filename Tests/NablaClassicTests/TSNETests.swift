#if canImport(Glibc)
import Glibc
#endif
import Nabla
@testable import NablaClassic
import NablaTestSupport
import Testing

@Suite struct TSNETests {
    @Test func barnesHutKeepsNearNeighboursNear() throws {
        let blobs = TestData.blobs(dimensions: 10, perCenter: 30)
        let result = try TSNE(perplexity: 10, maximumIterations: 500, seed: 0).fit(blobs.features)
        #expect(result.embedding.rowCount == 90 && result.embedding.columnCount == 2)
        #expect(result.klDivergence.isFinite && result.klDivergence > 0)
        let trust = try EmbeddingMetrics.trustworthiness(original: blobs.features, embedded: result.embedding, neighborCount: 5)
        #expect(trust > 0.95, "trustworthiness \(trust)")
        // The blobs stay apart: k-means on the embedding finds them.
        let clusters = try KMeans(clusterCount: 3, restarts: 3).fit(result.embedding)
        #expect(ClusteringMetrics.adjustedRandIndex(blobs.labels!, clusters.labels) == 1)
    }

    @Test func exactAndBarnesHutAgreeOnSmallData() throws {
        let blobs = TestData.blobs(dimensions: 5, perCenter: 15)
        let exact = try TSNE(perplexity: 8, maximumIterations: 400, method: .exact).fit(blobs.features)
        let approximate = try TSNE(perplexity: 8, maximumIterations: 400, method: .barnesHut(theta: 0.2)).fit(blobs.features)
        let trust = try EmbeddingMetrics.trustworthiness(original: blobs.features, embedded: exact.embedding, neighborCount: 5)
        #expect(trust > 0.95)
        // Different P (all points vs 25 neighbours) and an approximate gradient: close, not equal.
        #expect(abs(exact.klDivergence - approximate.klDivergence) < 0.35 * exact.klDivergence,
                "exact \(exact.klDivergence), Barnes–Hut \(approximate.klDivergence)")
    }

    @Test func perplexityCalibrationHitsItsTarget() {
        // Row perplexity 2^H (H in bits) equals the target: e^H with H in nats.
        let distances = [[1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]
        let probabilities = TSNEAffinities.conditionalProbabilities(distances, perplexity: 5)[0]
        expectNear(probabilities.reduce(0, +), 1, "sum", absolute: 1e-12)
        let entropy = -probabilities.reduce(0) { $0 + ($1 > 0 ? $1 * log($1) : 0) }
        expectNear(exp(entropy), 5, "perplexity", absolute: 1e-3, relative: 0)
    }

    @Test func quadTreeRepulsionIsExactWithThetaZero() {
        let generator = RandomGenerator(seed: 9)
        let n = 30
        var positions = (0..<(2 * n)).map { _ in Double(generator.nextNormal()) }
        let tree = positions.withUnsafeBufferPointer { BarnesHutTree(positions: $0.baseAddress!, count: n) }
        for point in 0..<n {
            let (forceX, forceY, sumQ) = tree.nodes.withUnsafeBufferPointer {
                BarnesHutTree.repulsion(nodes: $0, x: positions[2 * point], y: positions[2 * point + 1], squaredTheta: 0)
            }
            var exactX = 0.0, exactY = 0.0, exactQ = 0.0
            for other in 0..<n where other != point {
                let dx = positions[2 * point] - positions[2 * other], dy = positions[2 * point + 1] - positions[2 * other + 1]
                let q = 1 / (1 + dx * dx + dy * dy)
                exactQ += q; exactX += q * q * dx; exactY += q * q * dy
            }
            expectClose([forceX, forceY, sumQ], [exactX, exactY, exactQ], "point \(point)", tolerance: .exact)
        }
        positions[0] = 0
    }
}
