#if canImport(Glibc)
import Glibc
#endif
import Nabla
@testable import NablaClassic
import NablaTestSupport
import Testing

@Suite struct ClassificationTests {
    @Test(.enabled(if: TestData.hasBuiltInData, "needs Debian's python3-sklearn data files"))
    func linearDiscriminantAnalysisOnIris() throws {
        let iris = try TestData.iris()
        let model = try GaussianGenerativeClassifier(covariance: .shared).fit(iris.features, labels: iris.labels!)
        // scikit-learn's LinearDiscriminantAnalysis scores 0.98 on the iris training data (147 of 150).
        #expect(ClassificationMetrics.accuracy(iris.labels!, try model.predict(iris.features)) == 0.98)
        let probabilities = try model.predictProbabilities(iris.features)
        for row in 0..<probabilities.rowCount {
            expectNear(probabilities.row(row).reduce(0, +), 1, "probabilities sum to 1", absolute: 1e-12)
        }
        // Separate covariances (QDA) also 0.98; naive Bayes 0.96, as scikit-learn.
        let quadratic = try GaussianGenerativeClassifier(covariance: .separate).fit(iris.features, labels: iris.labels!)
        #expect(ClassificationMetrics.accuracy(iris.labels!, try quadratic.predict(iris.features)) == 0.98)
        let bayes = try GaussianNaiveBayes().fit(iris.features, labels: iris.labels!)
        #expect(ClassificationMetrics.accuracy(iris.labels!, try bayes.predict(iris.features)) == 0.96)
    }

    @Test func sharedCovarianceIgnoresConstantFeatures() throws {
        // A constant feature makes Σ singular; the classifier works on the remaining subspace.
        let blobs = TestData.blobs()
        let x = blobs.features.appendingColumns(Matrix(rowCount: blobs.features.rowCount, columnCount: 1, repeating: 7))
        let model = try GaussianGenerativeClassifier().fit(x, labels: blobs.labels!)
        #expect(ClassificationMetrics.accuracy(blobs.labels!, try model.predict(x)) == 1)
    }

    @Test func gaussianNaiveBayesMatchesAHandComputedPosterior() throws {
        // Class 0 at x ∈ {0, 2} (μ 1, σ² 1), class 1 at x ∈ {4, 6} (μ 5, σ² 1). At x = 2 the log-odds
        // are −(2 − 5)²/2 + (2 − 1)²/2 = −4, so p(1 | 2) = σ(−4).
        let model = try GaussianNaiveBayes(varianceSmoothing: 0).fit(Matrix(column: [0, 2, 4, 6]), labels: [0, 0, 1, 1])
        let probability = try model.predictProbabilities(Matrix(column: [2]))[0, 1]
        expectNear(probability, 1 / (1 + exp(4)), "posterior", absolute: 1e-12)
    }

    @Test func binaryLogisticRegressionMatchesAHandSolvedCase() throws {
        // Points x = −1 (class 0) and x = +1 (class 1), λ = 1. By symmetry b = 0, and the objective
        // 2 log(1 + e^(−w)) + w²/2 is stationary where w = 2 σ(−w).
        var low = 0.0, high = 2.0
        for _ in 0..<200 { let middle = (low + high) / 2; if middle - 2 / (1 + exp(middle)) > 0 { high = middle } else { low = middle } }
        let x = Matrix(column: [-1, 1]), y = [0, 1]
        for solver in LogisticRegression.Solver.allCases {
            let model = try LogisticRegression(regularizationStrength: 1, solver: solver, maximumIterations: 5000,
                                               tolerance: 1e-10, learningRate: 1).fit(x, labels: y)
            #expect(model.isBinary)
            expectNear(model.weights[0, 0], low, "\(solver) weight", absolute: 1e-7)
            expectNear(model.intercepts[0], 0, "\(solver) intercept", absolute: 1e-7)
            expectNear(model.objective, 2 * log(1 + exp(-low)) + low * low / 2, "\(solver) objective", absolute: 1e-9)
            expectNear(try model.predictProbabilities(Matrix(column: [1]))[0, 1], 1 / (1 + exp(-low)), "\(solver) p", absolute: 1e-7)
        }
    }

    @Test func softmaxRegressionSeparatesBlobs() throws {
        let blobs = TestData.blobs(dimensions: 3)
        let model = try LogisticRegression().fit(blobs.features, labels: blobs.labels!)
        #expect(model.weights.rowCount == 3 && !model.isBinary)
        #expect(ClassificationMetrics.accuracy(blobs.labels!, try model.predict(blobs.features)) == 1)
        let adagrad = try LogisticRegression(solver: .gradientDescent, maximumIterations: 300, learningRate: 0.5, stepRule: .adagrad)
            .fit(blobs.features, labels: blobs.labels!)
        #expect(ClassificationMetrics.accuracy(blobs.labels!, try adagrad.predict(blobs.features)) == 1)
    }

    @Test(arguments: [5, 10])
    func singlePrecisionAndDoublePrecisionObjectivesAgree(classes: Int) throws {
        // Above a million entries the objective streams a float32 copy (classes padded to 8 or 12, and
        // 501 columns leave a tail past the last group of four); its value and gradient must match the
        // float64 BLAS path.
        let generator = RandomGenerator(seed: 5)
        let n = 2100, width = 501
        let features = Matrix(rowCount: n, columnCount: width, values: (0..<(n * width)).map { _ in Double(generator.nextUnitFloat()) })
        let labels = (0..<n).map { _ in generator.integer(in: 0..<classes) }
        // No penalty: it is scaled by 1/n, which differs between the whole and its halves.
        let large = LogisticObjective(features: features, labels: labels, classCount: classes, binary: false, penalty: 0)
        let parameters = (0..<large.parameterCount).map { _ in 0.05 * Double(generator.nextNormal()) }
        var singleGradient = [Double](repeating: 0, count: parameters.count)
        let singleValue = large.evaluate(parameters, &singleGradient)
        // The same data split in halves stays below the threshold and runs in float64.
        let halves = [0..<1050, 1050..<2100].map { range in
            LogisticObjective(features: features.rows(range), labels: Array(labels[range]), classCount: classes, binary: false, penalty: 0)
        }
        var value = 0.0, gradient = [Double](repeating: 0, count: parameters.count)
        for half in halves {
            var partial = [Double](repeating: 0, count: parameters.count)
            value += half.evaluate(parameters, &partial) / 2
            for index in gradient.indices { gradient[index] += partial[index] / 2 }
        }
        expectNear(singleValue, value, "objective", absolute: 1e-6, relative: 1e-6)
        expectClose(singleGradient, gradient, "gradient", tolerance: Tolerance(absolute: 1e-6, relative: 1e-4))
    }

    @Test func limitedMemoryBFGSMinimisesTheRosenbrockFunction() {
        let result = LimitedMemoryBFGS(maximumIterations: 500, gradientTolerance: 1e-10).minimize(start: [-1.2, 1]) { x, gradient in
            let a = 1 - x[0], b = x[1] - x[0] * x[0]
            gradient[0] = -2 * a - 400 * x[0] * b
            gradient[1] = 200 * b
            return a * a + 100 * b * b
        }
        expectClose(result.solution, [1, 1], "minimum", tolerance: Tolerance(absolute: 1e-6, relative: 0))
        #expect(result.converged)
    }
}
