import Nabla
@testable import NablaClassic
import NablaTestSupport
import Testing

@Suite struct ClusteringTests {
    @Test func kMeansFindsSeparableBlobs() throws {
        let blobs = TestData.blobs(dimensions: 4)
        let result = try KMeans(clusterCount: 3, restarts: 3, seed: 2).fit(blobs.features)
        #expect(ClusteringMetrics.adjustedRandIndex(blobs.labels!, result.labels) == 1)
        #expect(try result.predict(blobs.features) == result.labels)
        // The inertia is the sum of squared distances to the assigned centres.
        var inertia = 0.0
        for row in 0..<blobs.features.rowCount {
            for column in 0..<4 {
                let difference = blobs.features[row, column] - result.centers[result.labels[row], column]
                inertia += difference * difference
            }
        }
        expectNear(result.inertia, inertia, "inertia", absolute: 1e-3, relative: 1e-5)
        // Same seed, same result.
        #expect(try KMeans(clusterCount: 3, restarts: 3, seed: 2).fit(blobs.features).labels == result.labels)
    }

    @Test func kMeansOnOverlappingDataReachesALloydFixedPoint() throws {
        // Overlapping clusters take many iterations, so the skipped distance computations (Hamerly's
        // bounds) matter; with tolerance 0 the result must be a fixed point of Lloyd's algorithm:
        // every point at its nearest centre, every centre the mean of its points. 4200 points make
        // two chunks, one per core.
        let generator = RandomGenerator(seed: 12)
        let x = Matrix(rowCount: 4200, columnCount: 5, values: (0..<21000).map { index in
            Double(generator.nextNormal()) + (index / 5 % 3 == 0 ? 1.5 : 0)
        })
        let result = try KMeans(clusterCount: 6, tolerance: 0, seed: 1).fit(x)
        #expect(result.iterations > 5 && result.iterations < 300)
        let distances = NearestNeighbors.squaredDistances(x, result.centers)
        var misplaced = 0
        for row in 0..<4200 where distances[row, result.labels[row]] > distances.row(row).min()! + 1e-6 { misplaced += 1 }
        #expect(misplaced == 0)
        for center in 0..<6 {
            let members = (0..<4200).filter { result.labels[$0] == center }
            let mean = x.rows(members).columnMeans()
            expectClose(result.centers.row(center), mean, "centre \(center)", tolerance: Tolerance(absolute: 1e-4, relative: 0))
        }
    }

    @Test func kMeansCentresAreClusterMeans() throws {
        let points = Matrix(column: [0, 1, 2, 10, 11, 12])
        let result = try KMeans(clusterCount: 2).fit(points)
        let centers = result.centers.values.sorted()
        expectClose(centers, [1, 11], "centres", tolerance: Tolerance(absolute: 1e-5, relative: 0))
        expectNear(result.inertia, 4, "inertia", absolute: 1e-4)
    }

    @Test func agglomerativeLinkagesOnBlobs() throws {
        let blobs = TestData.blobs(dimensions: 3, perCenter: 15)
        for linkage in AgglomerativeClustering.Linkage.allCases {
            let result = try AgglomerativeClustering(clusterCount: 3, linkage: linkage).fit(blobs.features)
            #expect(ClusteringMetrics.adjustedRandIndex(blobs.labels!, result.labels) == 1, "\(linkage)")
            #expect(result.merges.count == 44 && result.merges.last!.size == 45, "\(linkage)")
            let distances = result.merges.map(\.distance)
            #expect(distances == distances.sorted(), "\(linkage) merges in increasing distance")
        }
    }

    @Test func agglomerativeMergeDistancesOnALine() throws {
        // Points 0, 1, 5, 6, 20: merges {0,1} and {5,6} at 1, then the pairs, then 20.
        let points = Matrix(column: [0, 1, 5, 6, 20])
        let single = try AgglomerativeClustering(clusterCount: 1, linkage: .single).fit(points)
        #expect(single.merges.map(\.distance) == [1, 1, 4, 14])
        #expect(single.merges.map(\.first) == [0, 2, 5, 4] && single.merges.map(\.second) == [1, 3, 6, 7])
        let complete = try AgglomerativeClustering(clusterCount: 1, linkage: .complete).fit(points)
        #expect(complete.merges.map(\.distance) == [1, 1, 6, 20])
        let average = try AgglomerativeClustering(clusterCount: 1, linkage: .average).fit(points)
        #expect(average.merges.map(\.distance) == [1, 1, 5, 17])
        // Ward: √(2 |A||B|/(|A|+|B|)) ‖μA − μB‖ — {0,1}+{5,6}: √(2·2·2/4)·5 = √2·5.
        let ward = try AgglomerativeClustering(clusterCount: 2, linkage: .ward).fit(points)
        expectNear(ward.merges[2].distance, 2.0.squareRoot() * 5, "ward", absolute: 1e-12)
        #expect(ward.labels == [0, 0, 0, 0, 1])
    }

    @Test func gaussianMixtureRecoversBlobs() throws {
        let blobs = TestData.blobs(dimensions: 2, perCenter: 40)
        let mixture = try GaussianMixture(componentCount: 3).fit(blobs.features)
        #expect(ClusteringMetrics.adjustedRandIndex(blobs.labels!, mixture.labels) == 1)
        #expect(mixture.converged)
        expectClose(mixture.weights.sorted(), [1.0 / 3, 1.0 / 3, 1.0 / 3], "weights", tolerance: Tolerance(absolute: 1e-6, relative: 0))
        // Each blob has standard deviation 0.5: the fitted variances are near 0.25.
        for covariance in mixture.covariances { #expect(abs(covariance[0, 0] - 0.25) < 0.12) }
        let probabilities = try mixture.predictProbabilities(blobs.features)
        #expect(probabilities.rowArgmax() == mixture.labels)
    }
}
