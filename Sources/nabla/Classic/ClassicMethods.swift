import Foundation
import Nabla
import NablaClassic

/// What a method does with the data, which decides what it needs (a numeric target, class labels,
/// nothing) and what it reports.
enum ClassicTask: String, CaseIterable {
    case regression, classification, clustering, embedding
    case semiSupervised = "semi-supervised"

    /// The data set used when `--data` is left out.
    var defaultData: String {
        switch self {
        case .regression: "diabetes"
        case .classification, .clustering: "iris"
        case .embedding: "digits"
        case .semiSupervised: "moons"
        }
    }
}

/// One row of the method table: a name for the command line, its task, a summary, the options it
/// reads, and how to run it.
struct ClassicMethod {
    let name: String
    let task: ClassicTask
    let summary: String
    let options: [String]
    /// Scaling applied when `--scale` is left out (the command fills it in before `run`).
    let defaultScaling: ClassicOptions.Scaling
    let run: (ClassicRunData, ClassicOptions, inout ClassicReport) throws -> Void

    static func named(_ name: String) -> ClassicMethod? { all.first { $0.name == name } }

    static let all: [ClassicMethod] = [
        // Regression.
        ClassicMethod(name: "linear-regression", task: .regression, summary: "least squares by QR (LAPACK dgelsy)",
                      options: ["--degree"], defaultScaling: .none) { data, options, report in
            try evaluateRegression(LinearRegression(), data, options, &report)
        },
        ClassicMethod(name: "ridge", task: .regression, summary: "L2-regularised least squares, closed form",
                      options: ["--penalty (λ, default 1)", "--degree"], defaultScaling: .standard) { data, options, report in
            try evaluateRegression(RidgeRegression(penalty: options.penalty ?? 1), data, options, &report)
        },
        ClassicMethod(name: "gradient-descent", task: .regression, summary: "linear regression by gradient descent, plain or Adagrad",
                      options: ["--learning-rate (0.1, Adagrad 10)", "--iterations", "--rule", "--batch-size", "--penalty", "--degree"],
                      defaultScaling: .standard) { data, options, report in
            // Adagrad's steps shrink as 1/√t, so it starts from a larger rate.
            let trainer = GradientDescentRegression(learningRate: options.learningRate ?? (options.rule == .adagrad ? 10 : 0.1),
                                                    steps: options.iterations ?? 1000,
                                                    rule: options.rule ?? .plain, penalty: options.penalty ?? 0,
                                                    batchSize: options.batchSize, seed: options.seed)
            try evaluateRegression(trainer, data, options, &report)
        },
        // Classification.
        ClassicMethod(name: "lda", task: .classification, summary: "Gaussian generative classifier, shared covariance (linear discriminant analysis)",
                      options: ["--degree"], defaultScaling: .none) { data, options, report in
            try evaluateClassifier(GaussianGenerativeClassifier(covariance: .shared), data, options, &report)
        },
        ClassicMethod(name: "qda", task: .classification, summary: "Gaussian generative classifier, one covariance per class",
                      options: ["--penalty (shrinkage towards I, 0…1)"], defaultScaling: .none) { data, options, report in
            try evaluateClassifier(GaussianGenerativeClassifier(covariance: .separate, regularization: options.penalty ?? 0), data, options, &report)
        },
        ClassicMethod(name: "naive-bayes", task: .classification, summary: "Gaussian naive Bayes",
                      options: [], defaultScaling: .none) { data, options, report in
            try evaluateClassifier(GaussianNaiveBayes(), data, options, &report)
        },
        ClassicMethod(name: "logistic-regression", task: .classification, summary: "binary or softmax logistic regression with L2, L-BFGS or gradient descent",
                      options: ["--penalty (λ = 1/C, default 1)", "--solver", "--iterations", "--learning-rate", "--rule", "--degree"],
                      defaultScaling: .standard) { data, options, report in
            let trainer = LogisticRegression(regularizationStrength: options.penalty ?? 1, solver: options.solver ?? .limitedMemoryBFGS,
                                             maximumIterations: options.iterations ?? (options.solver == .gradientDescent ? 1000 : 100),
                                             learningRate: options.learningRate ?? 0.5, stepRule: options.rule ?? .plain)
            try evaluateClassifier(trainer, data, options, &report)
        },
        ClassicMethod(name: "decision-tree", task: .classification, summary: "CART classification tree",
                      options: ["--criterion", "--max-depth"], defaultScaling: .none) { data, options, report in
            try evaluateClassifier(DecisionTree(criterion: options.criterion ?? .gini, maximumDepth: options.maxDepth, seed: options.seed),
                                   data, options, &report)
        },
        ClassicMethod(name: "random-forest", task: .classification, summary: "bootstrap-aggregated trees with √features per split",
                      options: ["--trees", "--criterion", "--max-depth"], defaultScaling: .none) { data, options, report in
            let trainer = RandomForest(treeCount: options.trees ?? 100, criterion: options.criterion ?? .gini,
                                       maximumDepth: options.maxDepth, seed: options.seed)
            try evaluateClassifier(trainer, data, options, &report)
        },
        // Clustering.
        ClassicMethod(name: "kmeans", task: .clustering, summary: "k-means with k-means++ initialisation",
                      options: ["--clusters", "--restarts", "--iterations"], defaultScaling: .none) { data, options, report in
            let features = try scaledFeatures(data, options)
            let result = try KMeans(clusterCount: clusterCount(data, options), restarts: options.restarts ?? 1,
                                    maximumIterations: options.iterations ?? 300, seed: options.seed).fit(features)
            report.add("inertia", result.inertia)
            report.add("iterations", result.iterations)
            try reportClustering(result.labels, features, data, options, &report)
        },
        ClassicMethod(name: "agglomerative", task: .clustering, summary: "hierarchical clustering: single, complete, average or Ward linkage",
                      options: ["--clusters", "--linkage"], defaultScaling: .none) { data, options, report in
            let features = try scaledFeatures(data, options)
            let result = try AgglomerativeClustering(clusterCount: clusterCount(data, options), linkage: options.linkage ?? .ward).fit(features)
            report.add("last merge distance", result.merges.last?.distance ?? 0)
            try reportClustering(result.labels, features, data, options, &report)
        },
        ClassicMethod(name: "gaussian-mixture", task: .clustering, summary: "Gaussian mixture fitted by expectation–maximisation",
                      options: ["--clusters", "--restarts", "--iterations"], defaultScaling: .none) { data, options, report in
            let features = try scaledFeatures(data, options)
            let model = try GaussianMixture(componentCount: clusterCount(data, options), maximumIterations: options.iterations ?? 100,
                                            restarts: options.restarts ?? 1, seed: options.seed).fit(features)
            report.add("mean log-likelihood", model.logLikelihood)
            report.add("iterations", model.iterations)
            try reportClustering(model.labels, features, data, options, &report)
        },
        // Embeddings.
        ClassicMethod(name: "pca", task: .embedding, summary: "principal component analysis (full or randomised)",
                      options: ["--components", "--randomized"], defaultScaling: .none) { data, options, report in
            let features = try scaledFeatures(data, options)
            let model = try PrincipalComponentAnalysis(componentCount: options.components ?? 2,
                                                       solver: options.randomized ? .randomized() : .full, seed: options.seed).fit(features)
            report.add("explained variance", model.explainedVarianceRatio.reduce(0, +))
            for (index, ratio) in model.explainedVarianceRatio.prefix(5).enumerated() { report.add("component \(index + 1) share", ratio) }
            try reportEmbedding(try model.transform(features), features, options, &report)
        },
        ClassicMethod(name: "kernel-pca", task: .embedding, summary: "kernel PCA with the RBF kernel",
                      options: ["--components", "--gamma"], defaultScaling: .standard) { data, options, report in
            let features = try scaledFeatures(data, options)
            let model = try KernelPCA(componentCount: options.components ?? 2, gamma: options.gamma).fit(features)
            report.add("gamma", model.gamma)
            try reportEmbedding(model.embedding, features, options, &report)
        },
        ClassicMethod(name: "lle", task: .embedding, summary: "locally linear embedding",
                      options: ["--components", "--neighbors"], defaultScaling: .none) { data, options, report in
            let features = try scaledFeatures(data, options)
            let result = try LocallyLinearEmbedding(neighborCount: options.neighbors ?? 10, dimensions: options.components ?? 2).fit(features)
            report.add("reconstruction error", result.reconstructionError)
            try reportEmbedding(result.embedding, features, options, &report)
        },
        ClassicMethod(name: "laplacian-eigenmaps", task: .embedding, summary: "spectral embedding of the nearest-neighbour graph",
                      options: ["--components", "--neighbors", "--gamma (RBF graph instead)"], defaultScaling: .none) { data, options, report in
            let features = try scaledFeatures(data, options)
            let affinity: LaplacianEigenmaps.Affinity = options.gamma.map { .radialBasis(gamma: $0) } ?? .nearestNeighbors
            let embedding = try LaplacianEigenmaps(dimensions: options.components ?? 2, neighborCount: options.neighbors,
                                                   affinity: affinity).fit(features)
            try reportEmbedding(embedding, features, options, &report)
        },
        ClassicMethod(name: "tsne", task: .embedding, summary: "t-SNE, Barnes–Hut (or exact) as scikit-learn",
                      options: ["--perplexity", "--iterations", "--exact", "--theta"], defaultScaling: .none) { data, options, report in
            let features = try scaledFeatures(data, options)
            let result = try TSNE(perplexity: options.perplexity ?? 30, maximumIterations: options.iterations ?? 1000,
                                  method: options.exact ? .exact : .barnesHut(theta: options.theta ?? 0.5), seed: options.seed).fit(features)
            report.add("kl divergence", result.klDivergence)
            report.add("iterations", result.iterations)
            try reportEmbedding(result.embedding, features, options, &report)
        },
        // Semi-supervised.
        ClassicMethod(name: "self-training", task: .semiSupervised, summary: "pseudo-labels from a logistic regression, repeated",
                      options: ["--labelled-fraction", "--threshold", "--iterations"], defaultScaling: .standard) { data, options, report in
            try evaluateSemiSupervised(data, options, &report) { features, partial, report in
                let result = try SelfTraining(base: LogisticRegression(), threshold: options.threshold ?? 0.75,
                                              maximumIterations: options.iterations ?? 10).fit(features, labels: partial)
                report.add("labelled after training", result.labelledCount)
                return try result.model.predict(features)
            }
        },
        ClassicMethod(name: "entropy-regularization", task: .semiSupervised, summary: "softmax regression with an entropy penalty on unlabelled samples",
                      options: ["--labelled-fraction", "--entropy-weight", "--penalty"], defaultScaling: .standard) { data, options, report in
            try evaluateSemiSupervised(data, options, &report) { features, partial, report in
                try EntropyRegularization(entropyWeight: options.entropyWeight ?? 0.5, regularizationStrength: options.penalty ?? 1)
                    .fit(features, labels: partial).predict(features)
            }
        },
        ClassicMethod(name: "label-propagation", task: .semiSupervised, summary: "labels spread over the nearest-neighbour graph",
                      options: ["--labelled-fraction", "--neighbors", "--gamma (RBF graph instead)"], defaultScaling: .standard) { data, options, report in
            try evaluateSemiSupervised(data, options, &report) { features, partial, report in
                let graph: LabelPropagation.Graph = options.gamma.map { .radialBasis(gamma: $0) } ?? .nearestNeighbors(count: options.neighbors ?? 7)
                let result = try LabelPropagation(graph: graph).fit(features, labels: partial)
                report.add("propagation iterations", result.iterations)
                return result.labels
            }
        },
    ]
}

// MARK: - Shared steps

/// The labels of a classification data set, or an error that says how to get them.
private func labels(of data: ClassicDataset, for method: String) throws -> [Int] {
    guard let labels = data.labels else {
        throw ClassicCommandError("\(method) needs class labels; \(data.name) has \(data.values == nil ? "no target (pass --target COLUMN)" : "a numeric target (pass --classification for integer classes)")")
    }
    return labels
}

/// Degree expansion, then scaling fitted on `training` and applied to every matrix given. The command
/// has filled `options.scale` with the method's default when it was left out.
private func preprocess(training: Matrix, others: [Matrix], options: ClassicOptions) throws -> (Matrix, [Matrix]) {
    var training = training, others = others
    if let degree = options.degree, degree > 1 {
        let expansion = PolynomialFeatures(degree: degree)
        training = try expansion.transform(training)
        others = try others.map { try expansion.transform($0) }
    }
    switch options.scale ?? .none {
    case .none: break
    case .standard:
        let scaler = try StandardScaler.fit(training)
        training = try scaler.transform(training); others = try others.map { try scaler.transform($0) }
    case .minMax:
        let scaler = try MinMaxScaler.fit(training)
        training = try scaler.transform(training); others = try others.map { try scaler.transform($0) }
    }
    return (training, others)
}

private func scaledFeatures(_ data: ClassicRunData, _ options: ClassicOptions) throws -> Matrix {
    try preprocess(training: data.training.features, others: [], options: options).0
}

/// Training and evaluation indices: the data set's own test set, or a random validation split.
private func supervisedSplit(_ data: ClassicRunData, _ options: ClassicOptions) throws
    -> (training: ClassicDataset, evaluation: ClassicDataset, evaluationName: String) {
    if let test = data.test { return (data.training, test, "test") }
    let split = try Validation.trainValidationSplit(count: data.training.features.rowCount, validationFraction: options.validationFraction,
                                                    generator: RandomGenerator(seed: options.seed))
    return (data.training.subset(split.training), data.training.subset(split.validation), "validation")
}

private func evaluateRegression<Trainer: RegressorTrainer>(_ trainer: Trainer, _ data: ClassicRunData, _ options: ClassicOptions,
                                                           _ report: inout ClassicReport) throws {
    guard data.training.values != nil else {
        throw ClassicCommandError("regression needs a numeric target; \(data.training.name) \(data.training.labels != nil ? "has class labels (choose a classification method)" : "has no target (pass --target COLUMN)")")
    }
    let (training, evaluation, evaluationName) = try supervisedSplit(data, options)
    let (trainingFeatures, others) = try preprocess(training: training.features, others: [evaluation.features], options: options)
    let start = Date()
    let model = try trainer.fit(trainingFeatures, targets: training.values!)
    let seconds = Date().timeIntervalSince(start)
    let trainingPredictions = try model.predict(trainingFeatures), evaluationPredictions = try model.predict(others[0])
    let truth = evaluation.values!
    let mean = training.values!.reduce(0, +) / Double(training.values!.count)
    report.add("training samples", training.features.rowCount)
    report.add("\(evaluationName) samples", evaluation.features.rowCount)
    report.add("features", trainingFeatures.columnCount)
    report.add("training rmse", RegressionMetrics.rootMeanSquaredError(training.values!, trainingPredictions))
    report.add("\(evaluationName) rmse", RegressionMetrics.rootMeanSquaredError(truth, evaluationPredictions))
    report.add("\(evaluationName) mae", RegressionMetrics.meanAbsoluteError(truth, evaluationPredictions))
    report.add("\(evaluationName) r2", RegressionMetrics.rSquared(truth, evaluationPredictions))
    report.add("baseline rmse (training mean)", RegressionMetrics.rootMeanSquaredError(truth, truth.map { _ in mean }))
    report.add("fit seconds", seconds)
    if let folds = options.folds {
        let (all, _) = try preprocess(training: data.training.features, others: [], options: options)
        let scores = try Validation.crossValidate(trainer, features: all, targets: data.training.values!, folds: folds,
                                                  generator: RandomGenerator(seed: options.seed))
        report.add("\(folds)-fold r2 mean", scores.reduce(0, +) / Double(folds))
        report.add("\(folds)-fold r2 std", standardDeviation(scores))
    }
    try writeOutput(options, header: "prediction,truth", rows: zip(evaluationPredictions, truth).map { "\($0),\($1)" })
}

private func evaluateClassifier<Trainer: ClassifierTrainer>(_ trainer: Trainer, _ data: ClassicRunData, _ options: ClassicOptions,
                                                            _ report: inout ClassicReport) throws {
    _ = try labels(of: data.training, for: "classification")
    let (training, evaluation, evaluationName) = try supervisedSplit(data, options)
    let (trainingFeatures, others) = try preprocess(training: training.features, others: [evaluation.features], options: options)
    let start = Date()
    let model = try trainer.fit(trainingFeatures, labels: training.labels!)
    let seconds = Date().timeIntervalSince(start)
    let truth = evaluation.labels!
    let probabilities = try model.predictProbabilities(others[0])
    let predictions = probabilities.rowArgmax()
    report.add("training samples", training.features.rowCount)
    report.add("\(evaluationName) samples", evaluation.features.rowCount)
    report.add("features", trainingFeatures.columnCount)
    report.add("training accuracy", ClassificationMetrics.accuracy(training.labels!, try model.predict(trainingFeatures)))
    report.add("\(evaluationName) accuracy", ClassificationMetrics.accuracy(truth, predictions))
    let classCount = max(model.classCount, (truth.max() ?? 0) + 1)
    if classCount == 2 {
        report.add("\(evaluationName) precision", ClassificationMetrics.precision(truth, predictions))
        report.add("\(evaluationName) recall", ClassificationMetrics.recall(truth, predictions))
        report.add("\(evaluationName) f1", ClassificationMetrics.f1Score(truth, predictions))
        report.add("\(evaluationName) roc auc", ClassificationMetrics.rocAUC(truth, scores: probabilities.column(1)))
    } else {
        report.add("\(evaluationName) macro f1", ClassificationMetrics.macroF1Score(truth, predictions, classCount: classCount))
    }
    report.add("fit seconds", seconds)
    if let folds = options.folds {
        let (all, _) = try preprocess(training: data.training.features, others: [], options: options)
        let scores = try Validation.crossValidate(trainer, features: all, labels: data.training.labels!, folds: folds,
                                                  generator: RandomGenerator(seed: options.seed))
        report.add("\(folds)-fold accuracy mean", scores.reduce(0, +) / Double(folds))
        report.add("\(folds)-fold accuracy std", standardDeviation(scores))
    }
    if classCount <= 12 {
        let names = evaluation.classNames.count == classCount ? evaluation.classNames : (0..<classCount).map(String.init)
        let matrix = ClassificationMetrics.confusionMatrix(truth, predictions, classCount: classCount)
        report.note("confusion matrix (\(evaluationName); rows true, columns predicted):")
        let width = max(6, names.map { min($0.count, 12) }.max() ?? 6)
        for (row, name) in names.enumerated() {
            let label = String(name.prefix(12))
            report.note("  " + label + String(repeating: " ", count: width - label.count) + " "
                        + matrix[row].map { String(format: "%5d", $0) }.joined(separator: " "))
        }
    }
    try writeOutput(options, header: "prediction,truth", rows: zip(predictions, truth).map { "\($0),\($1)" })
}

private func clusterCount(_ data: ClassicRunData, _ options: ClassicOptions) -> Int {
    options.clusters ?? (data.training.labels.map { Set($0).count } ?? 3)
}

private func reportClustering(_ labels: [Int], _ features: Matrix, _ data: ClassicRunData, _ options: ClassicOptions,
                              _ report: inout ClassicReport) throws {
    report.add("samples", features.rowCount)
    report.add("clusters", Set(labels).count)
    if let truth = data.training.labels {
        report.add("adjusted rand index", ClusteringMetrics.adjustedRandIndex(truth, labels))
    }
    if features.rowCount <= 20_000, Set(labels).count >= 2, Set(labels).count < features.rowCount {
        report.add("silhouette", try ClusteringMetrics.silhouetteScore(features, labels: labels))
    }
    try writeOutput(options, header: "cluster", rows: labels.map(String.init))
}

private func reportEmbedding(_ embedding: Matrix, _ features: Matrix, _ options: ClassicOptions, _ report: inout ClassicReport) throws {
    report.add("samples", embedding.rowCount)
    report.add("dimensions", embedding.columnCount)
    if embedding.rowCount <= 10_000, embedding.rowCount > 10 {
        report.add("trustworthiness (5 neighbours)", try EmbeddingMetrics.trustworthiness(original: features, embedded: embedding, neighborCount: 5))
    }
    try writeOutput(options, header: (0..<embedding.columnCount).map { "y\($0)" }.joined(separator: ","),
                    rows: (0..<embedding.rowCount).map { embedding.row($0).map { String($0) }.joined(separator: ",") })
}

private func evaluateSemiSupervised(_ data: ClassicRunData, _ options: ClassicOptions, _ report: inout ClassicReport,
                                    _ fit: (Matrix, [Int?], inout ClassicReport) throws -> [Int]) throws {
    let truth = try labels(of: data.training, for: "semi-supervised learning")
    let features = try scaledFeatures(data, options)
    // Keep labels for a random share of each class (at least one per class).
    let generator = RandomGenerator(seed: options.seed)
    var partial = [Int?](repeating: nil, count: truth.count)
    for label in Set(truth).sorted() {
        let members = generator.permutation(truth.count).filter { truth[$0] == label }
        let kept = max(1, Int((Double(members.count) * options.labelledFraction).rounded()))
        for index in members.prefix(kept) { partial[index] = label }
    }
    let predictions = try fit(features, partial, &report)
    let unlabelled = partial.indices.filter { partial[$0] == nil }
    report.add("samples", truth.count)
    report.add("labelled", truth.count - unlabelled.count)
    if !unlabelled.isEmpty {
        report.add("accuracy on unlabelled", ClassificationMetrics.accuracy(unlabelled.map { truth[$0] }, unlabelled.map { predictions[$0] }))
    }
    report.add("accuracy on all", ClassificationMetrics.accuracy(truth, predictions))
    try writeOutput(options, header: "prediction,truth,labelled", rows: truth.indices.map { "\(predictions[$0]),\(truth[$0]),\(partial[$0] != nil)" })
}

private func standardDeviation(_ values: [Double]) -> Double {
    let mean = values.reduce(0, +) / Double(values.count)
    return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
}

private func writeOutput(_ options: ClassicOptions, header: String, rows: [String]) throws {
    guard let path = options.output else { return }
    let text = ([header] + rows).joined(separator: "\n") + "\n"
    do {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    } catch {
        throw ClassicCommandError("could not write " + describeFileError(error, path: path))
    }
}
