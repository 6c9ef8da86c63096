import ArgumentParser
import NablaClassic

/// The settings of `nabla classic`: where the data comes from, how it is split and scaled, and each
/// method family's hyper-parameters. A method reads the ones that apply to it; its entry in
/// `ClassicMethod.all` names them, and `nabla classic --list` prints that.
struct ClassicOptions: ParsableArguments {
    // Data.
    @Option(help: ArgumentHelp("A data set name (see --list) or a CSV file.", valueName: "name-or-path")) var data: String?
    @Option(help: "CSV: the column to predict (class labels if categorical or with --classification).") var target: String?
    @Flag(help: "CSV: read the target column as class labels even if it holds numbers.") var classification = false
    @Option(parsing: .unconditional, help: "Use only the first N samples (Fashion-MNIST: N training, min(N, 10000) test).") var limit: Int?
    @Option(parsing: .unconditional, help: "Generated data: number of samples (default 300).") var samples: Int?
    @Option(parsing: .unconditional, help: "Moons: standard deviation of the noise (default 0.1).") var noise: Double?
    @Option(parsing: .unconditional, help: "Seed of every random choice (splits, initialisation, generated data).") var seed: UInt64 = 0

    // Evaluation and preprocessing.
    @Option(parsing: .unconditional, help: "Share of the samples held out for validation when the data has no test set.") var validationFraction = 0.2
    @Option(parsing: .unconditional, help: "Also report N-fold cross-validation on all the samples (supervised methods).") var folds: Int?
    @Option(help: "Feature scaling fitted on the training part: none, standard or min-max (default per method).") var scale: Scaling?
    @Option(parsing: .unconditional, help: "Expand features with all products up to this degree (regression and classification).") var degree: Int?

    // Linear and logistic models.
    @Option(parsing: .unconditional, help: "L2 penalty λ (ridge; logistic regression, where scikit-learn's C is 1/λ).") var penalty: Double?
    @Option(parsing: .unconditional, help: "Gradient descent: step size.") var learningRate: Double?
    @Option(help: "Gradient descent: plain or adagrad.") var rule: GradientStepRule?
    @Option(parsing: .unconditional, help: "Gradient descent: samples per step (default all).") var batchSize: Int?
    @Option(parsing: .unconditional, help: "Iterations or steps of iterative methods.") var iterations: Int?
    @Option(help: "Logistic regression: lbfgs or gradient-descent.") var solver: LogisticRegression.Solver?

    // Trees.
    @Option(help: "Trees: gini or entropy.") var criterion: DecisionTree.Criterion?
    @Option(parsing: .unconditional, help: "Trees: maximum depth (default unlimited).") var maxDepth: Int?
    @Option(parsing: .unconditional, help: "Random forest: number of trees (default 100).") var trees: Int?

    // Clustering.
    @Option(parsing: .unconditional, help: "Clusters or mixture components (default: the number of classes, else 3).") var clusters: Int?
    @Option(parsing: .unconditional, help: "k-means: runs from different seeds, best kept (default 1).") var restarts: Int?
    @Option(help: "Agglomerative: single, complete, average or ward.") var linkage: AgglomerativeClustering.Linkage?

    // Embeddings.
    @Option(parsing: .unconditional, help: "Components or embedding dimensions (default 2).") var components: Int?
    @Flag(help: "PCA: randomised SVD instead of the full decomposition.") var randomized = false
    @Option(parsing: .unconditional, help: "Kernel PCA and RBF graphs: γ in exp(−γ‖x − z‖²).") var gamma: Double?
    @Option(parsing: .unconditional, help: "Neighbours for LLE, Laplacian eigenmaps and label propagation.") var neighbors: Int?
    @Option(parsing: .unconditional, help: "t-SNE: perplexity (default 30).") var perplexity: Double?
    @Flag(help: "t-SNE: exact gradient instead of Barnes–Hut.") var exact = false
    @Option(parsing: .unconditional, help: "t-SNE: Barnes–Hut angle θ (default 0.5).") var theta: Double?

    // Semi-supervised.
    @Option(parsing: .unconditional, help: "Semi-supervised: share of the samples whose labels are kept (default 0.1, at least one per class).")
    var labelledFraction = 0.1
    @Option(parsing: .unconditional, help: "Self-training: minimum probability for a pseudo-label (default 0.75).") var threshold: Double?
    @Option(parsing: .unconditional, help: "Entropy regularisation: weight μ of the unlabelled entropy (default 0.5).") var entropyWeight: Double?

    // Output.
    @Option(help: ArgumentHelp("Write the embedding, cluster labels or predictions as CSV here.", valueName: "file")) var output: String?
    @Flag(help: "Print the figures as one JSON object instead of lines.") var json = false

    enum Scaling: String, ExpressibleByArgument, CaseIterable {
        case none, standard
        case minMax = "min-max"
    }

    mutating func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, not \(limit)") }
        if let samples, samples < 2 { throw ValidationError("--samples must be at least 2, not \(samples)") }
        if !(validationFraction > 0 && validationFraction < 1) {
            throw ValidationError("--validation-fraction must be between 0 and 1, not \(validationFraction)")
        }
        if let folds, folds < 2 { throw ValidationError("--folds must be at least 2, not \(folds)") }
        if let output, output.isEmpty { throw ValidationError("--output is an empty path; name the CSV file to write") }
        if let degree, degree < 1 { throw ValidationError("--degree must be at least 1, not \(degree)") }
        if !(labelledFraction > 0 && labelledFraction <= 1) {
            throw ValidationError("--labelled-fraction must be in (0, 1], not \(labelledFraction)")
        }
        // Counts and sizes: at least one (the methods would refuse them too, but without the option's name).
        for (name, value) in [("--trees", trees), ("--clusters", clusters), ("--restarts", restarts), ("--components", components),
                              ("--neighbors", neighbors), ("--iterations", iterations), ("--batch-size", batchSize), ("--max-depth", maxDepth)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1, not \(value)") }
        }
        // Real-valued settings: finite, and positive or non-negative as each needs.
        for (name, value, positive) in [("--penalty", penalty, false), ("--learning-rate", learningRate, true), ("--noise", noise, false),
                                        ("--gamma", gamma, true), ("--perplexity", perplexity, true), ("--theta", theta, false),
                                        ("--threshold", threshold, true), ("--entropy-weight", entropyWeight, false)] {
            if let value, !(value.isFinite && (positive ? value > 0 : value >= 0)) {
                throw ValidationError("\(name) must be a finite number \(positive ? "above" : "of at least") 0, not \(value)")
            }
        }
        if let threshold, threshold > 1 { throw ValidationError("--threshold is a probability, at most 1, not \(threshold)") }
    }
}

extension GradientStepRule: ExpressibleByArgument {}
extension LogisticRegression.Solver: ExpressibleByArgument {}
extension DecisionTree.Criterion: ExpressibleByArgument {}
extension AgglomerativeClustering.Linkage: ExpressibleByArgument {}
