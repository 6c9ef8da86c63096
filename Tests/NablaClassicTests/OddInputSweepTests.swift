import Nabla
@testable import NablaClassic
import NablaData
import Testing

/// Every classical method over a set of odd but well-formed inputs (constant columns, duplicate rows,
/// one or two samples, values near the limits of a double, more clusters or neighbours than samples):
/// each must return or throw a `ClassicError`/`MemoryLimitError`, never trap. A trap ends the test
/// process, so reaching the end of the sweep is the check; the counts make it visible in the log.
@Suite struct OddInputSweepTests {
    /// Small matrices that have broken numerical code before.
    static let inputs: [(String, Matrix)] = [
        ("one sample", Matrix(rows: [[1, 2]])),
        ("two samples", Matrix(rows: [[1, 2], [3, 4]])),
        ("constant columns", Matrix(rowCount: 8, columnCount: 3, repeating: 5)),
        ("one constant column", Matrix(rows: (0..<8).map { [Double($0), 1, Double($0 * $0)] })),
        ("duplicate rows", Matrix(rows: [[1, 2], [1, 2], [1, 2], [3, 4], [3, 4], [3, 4]])),
        ("all zeros", Matrix(rowCount: 6, columnCount: 2)),
        ("near ±1e308", Matrix(rows: (0..<6).map { [($0 % 2 == 0 ? 1 : -1) * 1e308, Double($0) * 1e307] })),
        ("near 1e-308", Matrix(rows: (0..<6).map { [Double($0) * 1e-308, 1e-310] })),
        ("one feature", Matrix(rows: (0..<6).map { [Double($0)] })),
        ("more features than samples", Matrix(rowCount: 4, columnCount: 9) { buffer in
            for index in buffer.indices { buffer[index] = Double((index * 7) % 5) }
        }),
        ("NaN", Matrix(rows: [[1, .nan], [2, 3], [4, 5], [6, 7]])),
        ("infinity", Matrix(rows: [[1, .infinity], [2, 3], [4, 5], [6, 7]])),
    ]

    /// Runs `body`, counting a thrown error the library is meant to throw; anything else is an issue.
    func attempt(_ what: String, _ counts: inout (returned: Int, refused: Int), _ body: () throws -> Void) {
        do {
            try body()
            counts.returned += 1
        } catch is ClassicError {
            counts.refused += 1
        } catch is MemoryLimitError {
            counts.refused += 1
        } catch {
            Issue.record("\(what): unexpected error \(error)")
        }
    }

    @Test func noMethodTrapsOnOddInputs() {
        var counts = (returned: 0, refused: 0)
        for (name, x) in Self.inputs {
            let n = x.rowCount
            let labels = (0..<n).map { $0 % 2 }, single = [Int](repeating: 0, count: n)
            let targets = (0..<n).map { Double($0) }
            let partial: [Int?] = (0..<n).map { $0 < 2 ? $0 % 2 : nil }
            for classes in [labels, single] {
                attempt("\(name): LDA", &counts) { _ = try GaussianGenerativeClassifier(covariance: .shared).fit(x, labels: classes).predict(x) }
                attempt("\(name): QDA", &counts) { _ = try GaussianGenerativeClassifier(covariance: .separate).fit(x, labels: classes).predict(x) }
                attempt("\(name): naive Bayes", &counts) { _ = try GaussianNaiveBayes().fit(x, labels: classes).predict(x) }
                attempt("\(name): logistic", &counts) { _ = try LogisticRegression().fit(x, labels: classes).predict(x) }
                attempt("\(name): logistic GD", &counts) {
                    _ = try LogisticRegression(solver: .gradientDescent, maximumIterations: 20).fit(x, labels: classes).predict(x)
                }
                attempt("\(name): tree", &counts) { _ = try DecisionTree().fit(x, labels: classes).predict(x) }
                attempt("\(name): forest", &counts) { _ = try RandomForest(treeCount: 3).fit(x, labels: classes).predict(x) }
            }
            attempt("\(name): linear", &counts) { _ = try LinearRegression().fit(x, targets: targets).predict(x) }
            attempt("\(name): ridge", &counts) { _ = try RidgeRegression(penalty: 1).fit(x, targets: targets).predict(x) }
            attempt("\(name): ridge 0", &counts) { _ = try RidgeRegression(penalty: 0).fit(x, targets: targets).predict(x) }
            attempt("\(name): gradient descent", &counts) { _ = try GradientDescentRegression(steps: 20).fit(x, targets: targets) }
            attempt("\(name): adagrad", &counts) { _ = try GradientDescentRegression(steps: 20, rule: .adagrad).fit(x, targets: targets) }
            for k in [1, 2, 3, n, n + 1, 0, -1] {
                attempt("\(name): k-means \(k)", &counts) { _ = try KMeans(clusterCount: k).fit(x) }
                for linkage in [AgglomerativeClustering.Linkage.single, .complete, .average, .ward] {
                    attempt("\(name): agglomerative \(k)", &counts) { _ = try AgglomerativeClustering(clusterCount: k, linkage: linkage).fit(x) }
                }
                attempt("\(name): mixture \(k)", &counts) { _ = try GaussianMixture(componentCount: k, maximumIterations: 10).fit(x) }
                attempt("\(name): PCA \(k)", &counts) { _ = try PrincipalComponentAnalysis(componentCount: k).fit(x).transform(x) }
                attempt("\(name): randomised PCA \(k)", &counts) {
                    _ = try PrincipalComponentAnalysis(componentCount: k, solver: .randomized()).fit(x).transform(x)
                }
                attempt("\(name): kernel PCA \(k)", &counts) { _ = try KernelPCA(componentCount: k).fit(x) }
                attempt("\(name): LLE \(k)", &counts) { _ = try LocallyLinearEmbedding(neighborCount: k, dimensions: 1).fit(x) }
                attempt("\(name): Laplacian \(k)", &counts) { _ = try LaplacianEigenmaps(dimensions: 1, neighborCount: k).fit(x) }
                attempt("\(name): label propagation \(k)", &counts) {
                    _ = try LabelPropagation(graph: .nearestNeighbors(count: k)).fit(x, labels: partial)
                }
                attempt("\(name): polynomial \(k)", &counts) { _ = try PolynomialFeatures(degree: k).transform(x) }
            }
            attempt("\(name): RBF label propagation", &counts) { _ = try LabelPropagation(graph: .radialBasis(gamma: 1)).fit(x, labels: partial) }
            attempt("\(name): entropy regularisation", &counts) { _ = try EntropyRegularization(maximumIterations: 10).fit(x, labels: partial) }
            attempt("\(name): self-training", &counts) { _ = try SelfTraining(base: GaussianNaiveBayes()).fit(x, labels: partial) }
            for perplexity in [0.5, 1, 30] {
                attempt("\(name): t-SNE \(perplexity)", &counts) { _ = try TSNE(perplexity: perplexity, maximumIterations: 20, explorationIterations: 10).fit(x) }
                attempt("\(name): exact t-SNE \(perplexity)", &counts) {
                    _ = try TSNE(perplexity: perplexity, maximumIterations: 20, explorationIterations: 10, method: .exact).fit(x)
                }
            }
            attempt("\(name): standard scaling", &counts) { _ = try StandardScaler.fit(x).transform(x) }
            attempt("\(name): min-max scaling", &counts) { _ = try MinMaxScaler.fit(x).transform(x) }
        }
        #expect(counts.returned + counts.refused > 1000)
        print("odd-input sweep: \(counts.returned + counts.refused) cases, \(counts.returned) returned, \(counts.refused) refused with an error, 0 traps")
    }
}
