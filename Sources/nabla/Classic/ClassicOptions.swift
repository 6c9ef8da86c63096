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
    @Option(parsing: .unconditional, help: "Use only the first N samples (Fashion-MNIST: N training, min(N, 10000) test).", transform: NumericOption.integer("--limit", in: 1...Int.max)) var limit: Int?
    @Option(parsing: .unconditional, help: "Generated data: number of samples (default 300).", transform: NumericOption.integer("--samples", in: 2...Int.max)) var samples: Int?
    @Option(parsing: .unconditional, help: "Moons: standard deviation of the noise (default 0.1).", transform: NumericOption.real("--noise", "a finite number of at least 0", accepts: { $0 >= 0 })) var noise: Double?
    @Option(parsing: .unconditional, help: "Seed of every random choice (splits, initialisation, generated data).", transform: NumericOption.seed("--seed")) var seed: UInt64 = 0

    // Evaluation and preprocessing.
    @Option(parsing: .unconditional, help: "Share of the samples held out for validation when the data has no test set.", transform: NumericOption.real("--validation-fraction", "a number between 0 and 1 (both excluded)", accepts: { $0 > 0 && $0 < 1 })) var validationFraction = 0.2
    @Option(parsing: .unconditional, help: "Also report N-fold cross-validation on all the samples (supervised methods).", transform: NumericOption.integer("--folds", in: 2...Int.max)) var folds: Int?
    @Option(help: "Feature scaling fitted on the training part: none, standard or min-max (default per method).") var scale: Scaling?
    @Option(parsing: .unconditional, help: "Expand features with all products up to this degree (regression and classification).", transform: NumericOption.integer("--degree", in: 1...Int.max)) var degree: Int?

    // Linear and logistic models.
    @Option(parsing: .unconditional, help: "L2 penalty λ (ridge; logistic regression, where scikit-learn's C is 1/λ).", transform: NumericOption.real("--penalty", "a finite number of at least 0", accepts: { $0 >= 0 })) var penalty: Double?
    @Option(parsing: .unconditional, help: "Gradient descent: step size.", transform: NumericOption.real("--learning-rate", "a finite number above 0", accepts: { $0 > 0 })) var learningRate: Double?
    @Option(help: "Gradient descent: plain or adagrad.") var rule: GradientStepRule?
    @Option(parsing: .unconditional, help: "Gradient descent: samples per step (default all).", transform: NumericOption.integer("--batch-size", in: 1...Int.max)) var batchSize: Int?
    @Option(parsing: .unconditional, help: "Iterations or steps of iterative methods.", transform: NumericOption.integer("--iterations", in: 1...Int.max)) var iterations: Int?
    @Option(help: "Logistic regression: lbfgs or gradient-descent.") var solver: LogisticRegression.Solver?

    // Trees.
    @Option(help: "Trees: gini or entropy.") var criterion: DecisionTree.Criterion?
    @Option(parsing: .unconditional, help: "Trees: maximum depth (default unlimited).", transform: NumericOption.integer("--max-depth", in: 1...Int.max)) var maxDepth: Int?
    @Option(parsing: .unconditional, help: "Random forest: number of trees (default 100).", transform: NumericOption.integer("--trees", in: 1...Int.max)) var trees: Int?

    // Clustering.
    @Option(parsing: .unconditional, help: "Clusters or mixture components (default: the number of classes, else 3).", transform: NumericOption.integer("--clusters", in: 1...Int.max)) var clusters: Int?
    @Option(parsing: .unconditional, help: "k-means: runs from different seeds, best kept (default 1).", transform: NumericOption.integer("--restarts", in: 1...Int.max)) var restarts: Int?
    @Option(help: "Agglomerative: single, complete, average or ward.") var linkage: AgglomerativeClustering.Linkage?

    // Embeddings.
    @Option(parsing: .unconditional, help: "Components or embedding dimensions (default 2).", transform: NumericOption.integer("--components", in: 1...Int.max)) var components: Int?
    @Flag(help: "PCA: randomised SVD instead of the full decomposition.") var randomized = false
    @Option(parsing: .unconditional, help: "Kernel PCA and RBF graphs: γ in exp(−γ‖x − z‖²).", transform: NumericOption.real("--gamma", "a finite number above 0", accepts: { $0 > 0 })) var gamma: Double?
    @Option(parsing: .unconditional, help: "Neighbours for LLE, Laplacian eigenmaps and label propagation.", transform: NumericOption.integer("--neighbors", in: 1...Int.max)) var neighbors: Int?
    @Option(parsing: .unconditional, help: "t-SNE: perplexity (default 30).", transform: NumericOption.real("--perplexity", "a finite number above 0", accepts: { $0 > 0 })) var perplexity: Double?
    @Flag(help: "t-SNE: exact gradient instead of Barnes–Hut.") var exact = false
    @Option(parsing: .unconditional, help: "t-SNE: Barnes–Hut angle θ (default 0.5).", transform: NumericOption.real("--theta", "a finite number of at least 0", accepts: { $0 >= 0 })) var theta: Double?

    // Semi-supervised.
    @Option(parsing: .unconditional, help: "Semi-supervised: share of the samples whose labels are kept (default 0.1, at least one per class).", transform: NumericOption.real("--labelled-fraction", "a number in (0, 1]", accepts: { $0 > 0 && $0 <= 1 }))
    var labelledFraction = 0.1
    @Option(parsing: .unconditional, help: "Self-training: minimum probability for a pseudo-label (default 0.75).", transform: NumericOption.real("--threshold", "a probability above 0 and at most 1", accepts: { $0 > 0 && $0 <= 1 })) var threshold: Double?
    @Option(parsing: .unconditional, help: "Entropy regularisation: weight μ of the unlabelled entropy (default 0.5).", transform: NumericOption.real("--entropy-weight", "a finite number of at least 0", accepts: { $0 >= 0 })) var entropyWeight: Double?

    // Output.
    @Option(help: ArgumentHelp("Write the embedding, cluster labels or predictions as CSV here.", valueName: "file")) var output: String?
    @Flag(help: "Print the figures as one JSON object instead of lines.") var json = false

    enum Scaling: String, ExpressibleByArgument, CaseIterable {
        case none, standard
        case minMax = "min-max"
    }

    mutating func validate() throws {
        // Every numeric option's range is checked while it is parsed (`NumericOption`), naming the option.
        if let output, output.isEmpty { throw ValidationError("--output is an empty path; name the CSV file to write") }
    }
}

extension GradientStepRule: ExpressibleByArgument {}
extension LogisticRegression.Solver: ExpressibleByArgument {}
extension DecisionTree.Criterion: ExpressibleByArgument {}
extension AgglomerativeClustering.Linkage: ExpressibleByArgument {}
