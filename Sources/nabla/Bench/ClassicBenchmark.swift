import ArgumentParser
import Foundation
import Nabla
import NablaClassic
import NablaData

/// `nabla bench classic`: NablaClassic on the workloads of ../shared/reference/sklearn_classic.py, one
/// JSON object per workload with the same names, so the two can run side by side on one machine:
///
/// - `pca50_fmnist60k`: PCA to 50 components of the 60,000 training images (explained variance)
/// - `kmeans10_fmnist60k`: k-means, k = 10, one k-means++ initialisation (adjusted Rand index vs labels)
/// - `logreg_fmnist60k`: softmax regression, L-BFGS, 100 iterations, scikit-learn's objective with
///   C = 1 (test accuracy)
/// - `gaussian_generative_fmnist60k`: the shared-covariance Gaussian classifier, LDA (test accuracy)
/// - `tsne_digits1797`, `tsne_fmnist5000`: Barnes–Hut t-SNE with scikit-learn's defaults (KL divergence)
///
/// Seconds cover fitting and, for classifiers, scoring the test set (as the peer script times
/// `fit(...).score(...)`); loading the files is not timed. Only Nabla is measured here:
/// scripts/bench-peers.sh runs scikit-learn right after it on the same machine. With --quick the data
/// are small subsets and the lines say "quick": true and name the workload "<workload>-quick".
struct ClassicBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classic",
        abstract: "PCA, k-means, logistic regression, LDA and t-SNE as the scikit-learn reference script (sklearn_classic.py) runs them.",
        discussion: "Prints one JSON object per workload: seconds and the quality figure. Build with -c release."
    )

    @Option(help: "Workloads to run (default: all): \(Workload.allCases.map(\.rawValue).joined(separator: ", ")).")
    var workload: [Workload] = Workload.allCases
    @Option(parsing: .unconditional, help: "Timed runs per workload; the median time is printed (default 1, as the peer script).",
            transform: NumericOption.integer("--repetitions", in: 1...Int.max)) var repetitions = 1
    @Option(help: "Folder holding the Fashion-MNIST files.") var dataFolder: String?
    @Flag(help: "Small subsets: checks the command works, measures nothing.") var quick = false

    enum Workload: String, CaseIterable, ExpressibleByArgument {
        case pca = "pca50_fmnist60k"
        case kmeans = "kmeans10_fmnist60k"
        case logisticRegression = "logreg_fmnist60k"
        case gaussianGenerative = "gaussian_generative_fmnist60k"
        case tsneDigits = "tsne_digits1797"
        case tsneFashion = "tsne_fmnist5000"

        var qualityName: String {
            switch self {
            case .pca: "explained"
            case .kmeans: "ari"
            case .logisticRegression, .gaussianGenerative: "test_acc"
            case .tsneDigits, .tsneFashion: "kl"
            }
        }

        var needsFashion: Bool { self != .tsneDigits }
    }

    func run() throws {
        do {
            var training: (features: Matrix, labels: [Int])?, test: (features: Matrix, labels: [Int])?
            var digits: Matrix?
            if workload.contains(.tsneDigits) {
                let all = try ClassicDataset.builtIn(.digits).features
                digits = quick ? all.rows(0..<400) : all
            }
            if workload.contains(where: \.needsFashion) {
                let trainingSet = try FashionMNIST(.training, folder: dataFolder), testSet = try FashionMNIST(.test, folder: dataFolder)
                let trainingCount = quick ? 3000 : trainingSet.count, testCount = quick ? 1000 : testSet.count
                training = (Matrix(trainingSet.images).rows(0..<trainingCount), Array(trainingSet.labels.scalars.prefix(trainingCount)))
                test = (Matrix(testSet.images).rows(0..<testCount), Array(testSet.labels.scalars.prefix(testCount)))
            }
            for chosen in workload {
                var qualities: [Double] = [], times: [Double] = []
                for _ in 0..<repetitions {
                    let start = Date()
                    let quality = try measure(chosen, training: training, test: test, digits: digits)
                    times.append(Date().timeIntervalSince(start))
                    qualities.append(quality)
                }
                let seconds = times.sorted()[times.count / 2]
                printJSONLine(["benchmark": "classic", "workload": chosen.rawValue + (quick ? "-quick" : ""), "quick": quick,
                               "seconds": seconds, chosen.qualityName: qualities[0], "repetitions": repetitions])
            }
        } catch let error as DataError {
            throw failure("\(error)")
        } catch let error as ClassicError {
            throw failure("\(error)")
        }
    }

    /// Runs one workload and returns its quality figure.
    private func measure(_ workload: Workload, training: (features: Matrix, labels: [Int])?,
                         test: (features: Matrix, labels: [Int])?, digits: Matrix?) throws -> Double {
        switch workload {
        case .pca:
            return try PrincipalComponentAnalysis(componentCount: 50).fit(training!.features).explainedVarianceRatio.reduce(0, +)
        case .kmeans:
            let result = try KMeans(clusterCount: 10, restarts: 1, seed: 0).fit(training!.features)
            return ClusteringMetrics.adjustedRandIndex(training!.labels, result.labels)
        case .logisticRegression:
            // scikit-learn: C = 1, lbfgs, max_iter 100, multinomial, intercept unpenalised.
            let model = try LogisticRegression(regularizationStrength: 1, maximumIterations: 100).fit(training!.features, labels: training!.labels)
            return ClassificationMetrics.accuracy(test!.labels, try model.predict(test!.features))
        case .gaussianGenerative:
            let model = try GaussianGenerativeClassifier(covariance: .shared).fit(training!.features, labels: training!.labels)
            return ClassificationMetrics.accuracy(test!.labels, try model.predict(test!.features))
        case .tsneDigits:
            return try TSNE(maximumIterations: quick ? 300 : 1000, seed: 0).fit(digits!).klDivergence
        case .tsneFashion:
            let features = training!.features.rows(0..<min(quick ? 500 : 5000, training!.features.rowCount))
            return try TSNE(maximumIterations: quick ? 300 : 1000, seed: 0).fit(features).klDivergence
        }
    }
}
