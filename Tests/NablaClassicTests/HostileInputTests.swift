import Foundation
import Nabla
@testable import NablaClassic
import NablaData
import Testing

/// Inputs found to trap or to exhaust memory (issue 12), each now a thrown error naming the problem.
/// None of these tests allocates what it asks for: the memory guard refuses the request first, so the
/// sizes only need to exceed the default limit (at most 8 GiB) on any machine.
@Suite struct HostileInputTests {
    /// Runs `body`, which must throw a `MemoryLimitError` whose description holds every fragment.
    func expectMemoryRefusal(containing fragments: [String], sourceLocation: SourceLocation = #_sourceLocation,
                             _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected a MemoryLimitError but nothing was thrown", sourceLocation: sourceLocation)
        } catch let error as MemoryLimitError {
            #expect(error.estimate > error.limit, sourceLocation: sourceLocation)
            for fragment in fragments + ["needs about", "memory limit", "--memory-limit", "NABLA_MEMORY_LIMIT"] {
                #expect(error.description.contains(fragment), "'\(fragment)' missing from: \(error)", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("expected a MemoryLimitError but got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func agglomerativeClusteringOnHugeValuesThrowsInsteadOfTrapping() {
        // Squared distances of values near ±1e308 overflow to infinity; the chain search found no
        // neighbour and `removeLast()` trapped on an empty chain.
        let huge = Matrix(rows: [[1e308, -1e308], [-1e308, 1e308], [1e308, 1e308], [0, 0]])
        for linkage in [AgglomerativeClustering.Linkage.single, .complete, .average, .ward] {
            expectClassicError(.nonFiniteValue, containing: ["agglomerative", "samples 0 and 1", "overflows", "rescale"]) {
                _ = try AgglomerativeClustering(clusterCount: 2, linkage: linkage).fit(huge)
            }
        }
        // Large but safe values still cluster.
        let large = Matrix(rows: [[1e150, 0], [1.1e150, 0], [-1e150, 0], [-1.1e150, 0]])
        #expect((try? AgglomerativeClustering(clusterCount: 2).fit(large).labels) == [0, 0, 1, 1])
    }

    @Test func denseSquareMatricesAreRefusedBeforeAllocating() {
        // 60,000 points: a 28.8 GB n×n matrix per copy. The points themselves take under 1 MB.
        let points = Matrix(rowCount: 60_000, columnCount: 2) { buffer in
            for index in buffer.indices { buffer[index] = Double(index % 97) }
        }
        expectMemoryRefusal(containing: ["t-SNE (exact)", "60000×60000"]) {
            _ = try TSNE(method: .exact).fit(points)
        }
        expectMemoryRefusal(containing: ["agglomerative clustering", "60000×60000"]) {
            _ = try AgglomerativeClustering(clusterCount: 2).fit(points)
        }
        expectMemoryRefusal(containing: ["kernel PCA"]) { _ = try KernelPCA(componentCount: 2).fit(points) }
        expectMemoryRefusal(containing: ["Laplacian eigenmaps"]) { _ = try LaplacianEigenmaps().fit(points) }
        expectMemoryRefusal(containing: ["locally linear embedding"]) { _ = try LocallyLinearEmbedding().fit(points) }
        let partial: [Int?] = (0..<60_000).map { $0 < 2 ? $0 : nil }
        expectMemoryRefusal(containing: ["label propagation"]) {
            _ = try LabelPropagation(graph: .radialBasis(gamma: 1)).fit(points, labels: partial)
        }
    }

    @Test func wideDataIsRefusedBeforeItsCovarianceIsAllocated() {
        // 20 rows × 100,000 columns: each covariance is 100,000² doubles, 80 GB.
        let wide = Matrix(rowCount: 20, columnCount: 100_000) { buffer in
            for index in buffer.indices { buffer[index] = Double(index % 13) }
        }
        let labels = (0..<20).map { $0 % 2 }
        expectMemoryRefusal(containing: ["linear discriminant analysis", "100000×100000"]) {
            _ = try GaussianGenerativeClassifier(covariance: .shared).fit(wide, labels: labels)
        }
        expectMemoryRefusal(containing: ["quadratic discriminant analysis"]) {
            _ = try GaussianGenerativeClassifier(covariance: .separate).fit(wide, labels: labels)
        }
        expectMemoryRefusal(containing: ["Gaussian mixture"]) { _ = try GaussianMixture(componentCount: 2).fit(wide) }
    }

    @Test func polynomialDegreeIsCountedBeforeTermsAreListed() throws {
        // Degree 1000 on diabetes's 10 features once grew to 24 GB listing terms.
        let data = Matrix(rowCount: 30, columnCount: 10) { buffer in for index in buffer.indices { buffer[index] = 1 } }
        expectClassicError(.invalidParameter, containing: ["polynomial features", "degree 1000", "--degree"]) {
            _ = try PolynomialFeatures(degree: 1000).transform(data)
        }
        // The count agrees with the listing where the listing is cheap.
        for (degree, interactions) in [(1, false), (2, false), (3, false), (3, true), (12, true)] {
            let expansion = PolynomialFeatures(degree: degree, interactionsOnly: interactions)
            #expect(expansion.termCount(featureCount: 10) == expansion.terms(featureCount: 10).count)
        }
        // Under the column cap but over the memory budget: 200,000 rows × 287,000 columns.
        let tall = Matrix(rowCount: 200_000, columnCount: 40, repeating: 1)
        expectMemoryRefusal(containing: ["polynomial features"]) { _ = try PolynomialFeatures(degree: 3).transform(tall) }
    }

    @Test func aForestOfAHundredMillionTreesIsRefused() {
        let x = Matrix(rows: [[0, 1], [1, 0], [2, 2], [3, 1]])
        expectMemoryRefusal(containing: ["random forest", "100000000 trees"]) {
            _ = try RandomForest(treeCount: 100_000_000).fit(x, labels: [0, 1, 0, 1])
        }
    }

    @Test func aBillionGeneratedSamplesAreRefused() throws {
        expectMemoryRefusal(containing: ["generated data", "1000000000 samples"]) {
            try SyntheticData.checkMemory(count: 1_000_000_000, dimensions: 2)
        }
        try SyntheticData.checkMemory(count: 300, dimensions: 2)
    }

    @Test func aCSVWithOnlyAHeaderGivesAClearError() throws {
        let path = NSTemporaryDirectory() + "/nabla-empty-\(UInt64.random(in: 0...UInt64.max)).csv"
        try "a,b,y\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let data = try ClassicDataset.csv(path, target: "y")
            expectClassicError(.emptyData, containing: ["empty"]) {
                _ = try LinearRegression().fit(data.features, targets: data.values ?? [])
            }
            expectClassicError(.emptyData) { _ = try KMeans(clusterCount: 2).fit(data.features) }
        } catch let error as DataError {
            #expect(error.description.contains(path))   // refused at reading: also a clear error
        }
    }

    @Test func lapackStatusCodesBecomeWhatWentWrong() {
        // LAPACKE reports NaN in its input as a negative status ("dpotrf failed with status -4" before).
        expectClassicError(.numericalFailure, containing: ["QDA-like", "NaN or infinity", "--scale standard"]) {
            _ = try choleskyFactor(Matrix(rows: [[1, .nan], [.nan, 1]]), method: "QDA-like")
        }
        expectClassicError(.numericalFailure, containing: ["not positive definite", "regularisation", "constant"]) {
            _ = try choleskyFactor(Matrix(rows: [[1, 1], [1, 1]]), method: "QDA-like")
        }
        do {
            _ = try choleskyFactor(Matrix(rows: [[1, .nan], [.nan, 1]]), method: "x")
        } catch {
            #expect(!"\(error)".contains("status -"), "a bare status code: \(error)")
        }
    }
}
