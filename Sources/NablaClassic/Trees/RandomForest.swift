import Nabla
import NablaData

/// A random forest (Breiman, 2001): `treeCount` decision trees, each grown on a bootstrap sample (n
/// draws with replacement) with `⌊√features⌋` random candidate features per split; the forest predicts
/// the average of the trees' class probabilities. Averaging many decorrelated, deep trees cuts the
/// variance of a single tree while keeping its low bias. Trees grow in parallel on all cores.
///
/// ```swift
/// let forest = try RandomForest(treeCount: 100, seed: 0).fit(training, labels: trainingLabels)
/// ClassificationMetrics.accuracy(testLabels, try forest.predict(test))
/// ```
public struct RandomForest: ClassifierTrainer {
    public var treeCount: Int
    public var criterion: DecisionTree.Criterion
    public var maximumDepth: Int?
    public var minimumSamplesLeaf: Int
    public var featuresPerSplit: DecisionTree.FeatureSubset
    public var bootstrap: Bool
    public var seed: UInt64

    public init(treeCount: Int = 100, criterion: DecisionTree.Criterion = .gini, maximumDepth: Int? = nil,
                minimumSamplesLeaf: Int = 1, featuresPerSplit: DecisionTree.FeatureSubset = .squareRoot,
                bootstrap: Bool = true, seed: UInt64 = 0) {
        self.treeCount = treeCount
        self.criterion = criterion
        self.maximumDepth = maximumDepth
        self.minimumSamplesLeaf = minimumSamplesLeaf
        self.featuresPerSplit = featuresPerSplit
        self.bootstrap = bootstrap
        self.seed = seed
    }

    public struct Model: ProbabilisticClassifier {
        public let classCount: Int
        public let trees: [DecisionTree.Model]
        /// The mean of the trees' feature importances.
        public var featureImportances: [Double] {
            guard let first = trees.first else { return [] }
            var sum = [Double](repeating: 0, count: first.featureImportances.count)
            for tree in trees { for index in sum.indices { sum[index] += tree.featureImportances[index] } }
            return sum.map { $0 / Double(trees.count) }
        }

        public func predictProbabilities(_ features: Matrix) throws -> Matrix {
            var total = Matrix(rowCount: features.rowCount, columnCount: classCount)
            for tree in trees {
                let probabilities = try tree.predictProbabilities(features)
                for index in total.values.indices { total.values[index] += probabilities.values[index] }
            }
            for index in total.values.indices { total.values[index] /= Double(trees.count) }
            return total
        }
    }

    public func fit(_ features: Matrix, labels: [Int]) throws -> Model {
        let method = "random forest"
        try require(treeCount >= 1, method: method, "needs at least one tree, not \(treeCount)")
        try validate(features, method: method)
        let classCount = try validateLabels(labels, rowCount: features.rowCount, method: method)
        let n = features.rowCount
        // A lower bound: each tree keeps at least one node with its class probabilities, its feature
        // importances and a few array headers (10⁸ trees once exhausted memory before any error).
        let perTree = 192 + 8 * (classCount + features.columnCount)
        try MemoryBudget.check(bytes: MemoryBudget.bytes(treeCount, elementBytes: perTree),
                               for: "\(method): \(treeCount) trees (at least \(perTree) bytes each)")
        let template = DecisionTree(criterion: criterion, maximumDepth: maximumDepth, minimumSamplesLeaf: minimumSamplesLeaf,
                                    featuresPerSplit: featuresPerSplit)
        try template.checkSettings(method: method)
        var trees = [DecisionTree.Model?](repeating: nil, count: treeCount)
        trees.withUnsafeMutableBufferPointer { output in
            let target = UncheckedPointer(output.baseAddress!)
            parallelForEach(treeCount) { index in
                // Each tree has its own generator, so the forest is the same whatever the thread timing.
                let treeSeed = seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index)
                let generator = RandomGenerator(seed: treeSeed)
                let samples = bootstrap ? (0..<n).map { _ in generator.integer(in: 0..<n) } : Array(0..<n)
                var trainer = template
                trainer.seed = treeSeed &+ 1
                target.pointer[index] = trainer.grow(features, labels: labels, classCount: classCount, samples: samples)
            }
        }
        return Model(classCount: classCount, trees: trees.map { $0! })
    }
}
