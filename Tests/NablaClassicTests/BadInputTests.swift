import Nabla
@testable import NablaClassic
import NablaTestSupport
import Testing

@Suite struct BadInputTests {
    let good = Matrix(rows: [[1, 2], [3, 4], [5, 7], [2, 1]])
    let labels = [0, 1, 0, 1]

    @Test func nanAndInfinityAreNamed() {
        var withNaN = good
        withNaN[2, 1] = .nan
        expectClassicError(.nonFiniteValue, containing: ["PCA", "NaN", "row 2, column 1"]) {
            _ = try PrincipalComponentAnalysis(componentCount: 1).fit(withNaN)
        }
        var withInfinity = good
        withInfinity[0, 0] = -.infinity
        // PCA's covariance route finds bad values through its column means, not a pass of its own.
        expectClassicError(.nonFiniteValue, containing: ["PCA", "-infinity", "row 0, column 0"]) {
            _ = try PrincipalComponentAnalysis(componentCount: 1).fit(withInfinity)
        }
        let overflowing = Matrix(rows: [[1e308, 1], [1e308, 2], [-1e308, 4]])
        expectClassicError(.nonFiniteValue, containing: ["PCA", "overflow"]) {
            _ = try PrincipalComponentAnalysis(componentCount: 1).fit(overflowing)
        }
        expectClassicError(.nonFiniteValue, containing: ["logistic regression", "-infinity"]) {
            _ = try LogisticRegression().fit(withInfinity, labels: labels)
        }
        expectClassicError(.nonFiniteValue, containing: ["k-means"]) { _ = try KMeans(clusterCount: 2).fit(withNaN) }
        expectClassicError(.nonFiniteValue, containing: ["t-SNE"]) { _ = try TSNE(perplexity: 1).fit(withNaN) }
        expectClassicError(.nonFiniteValue, containing: ["targets"]) {
            _ = try LinearRegression().fit(good, targets: [1, .nan, 2, 3])
        }
        // Prediction checks too.
        let model = try? LinearRegression().fit(good, targets: [1, 2, 3, 4])
        expectClassicError(.nonFiniteValue) { _ = try model!.predict(withNaN) }
    }

    @Test func aSingleClassIsRefused() {
        let one = [1, 1, 1, 1]
        expectClassicError(.singleClass, containing: ["linear discriminant analysis", "at least 2 classes"]) {
            _ = try GaussianGenerativeClassifier().fit(good, labels: one)
        }
        expectClassicError(.singleClass, containing: ["logistic regression"]) { _ = try LogisticRegression().fit(good, labels: one) }
        expectClassicError(.singleClass, containing: ["Gaussian naive Bayes"]) { _ = try GaussianNaiveBayes().fit(good, labels: one) }
        expectClassicError(.singleClass, containing: ["decision tree"]) { _ = try DecisionTree().fit(good, labels: one) }
        expectClassicError(.singleClass, containing: ["label propagation"]) {
            _ = try LabelPropagation().fit(good, labels: [1, nil, 1, nil])
        }
    }

    @Test func moreComponentsThanTheDataHas() {
        expectClassicError(.tooManyComponents, containing: ["PCA", "3 components", "2 features"]) {
            _ = try PrincipalComponentAnalysis(componentCount: 3).fit(good)
        }
        expectClassicError(.tooManyComponents, containing: ["k-means", "5 clusters"]) { _ = try KMeans(clusterCount: 5).fit(good) }
        expectClassicError(.tooManyComponents) { _ = try KernelPCA(componentCount: 9).fit(good) }
        expectClassicError(.tooManyComponents) { _ = try GaussianMixture(componentCount: 9).fit(good) }
        expectClassicError(.tooManyComponents) { _ = try AgglomerativeClustering(clusterCount: 9).fit(good) }
        expectClassicError(.tooManyComponents) { _ = try NearestNeighbors.search(good, neighborCount: 4) }
        expectClassicError(.tooManyComponents) { _ = try TSNE(dimensions: 3, perplexity: 1, method: .exact).fit(good) }
    }

    @Test func emptyDataAndMismatchedLengths() {
        let empty = Matrix(rowCount: 0, columnCount: 3)
        expectClassicError(.emptyData, containing: ["PCA", "empty"]) { _ = try PrincipalComponentAnalysis(componentCount: 1).fit(empty) }
        expectClassicError(.emptyData) { _ = try LinearRegression().fit(empty, targets: []) }
        expectClassicError(.emptyData) { _ = try KMeans(clusterCount: 1).fit(Matrix(rowCount: 3, columnCount: 0)) }
        expectClassicError(.shapeMismatch, containing: ["3 labels for 4 samples"]) {
            _ = try LogisticRegression().fit(good, labels: [0, 1, 0])
        }
        expectClassicError(.emptyData, containing: ["no sample is labelled"]) {
            _ = try SelfTraining(base: GaussianNaiveBayes()).fit(good, labels: [nil, nil, nil, nil])
        }
        expectClassicError(.invalidParameter, containing: ["negative"]) { _ = try LogisticRegression().fit(good, labels: [0, -1, 0, 1]) }
        expectClassicError(.invalidParameter, containing: ["perplexity"]) { _ = try TSNE(perplexity: 30).fit(good) }
    }

    @Test func errorsReadAsMethodThenProblem() {
        let error = ClassicError(.singleClass, method: "LDA", "only one class")
        #expect(error.description == "LDA: only one class")
    }
}
