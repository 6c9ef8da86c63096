#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Nabla

/// A classification tree grown by CART: each node splits on the feature and threshold `xⱼ ≤ t` that
/// most decrease the impurity,
///
///     Δ = I(node) − (n_left / n) I(left) − (n_right / n) I(right),
///
/// with Gini impurity `1 − Σₖ pₖ²` or entropy `−Σₖ pₖ log₂ pₖ`. Thresholds sit halfway between
/// consecutive distinct values. Growth stops at `maximumDepth`, below `minimumSamplesSplit`, when a child
/// would have fewer than `minimumSamplesLeaf` samples, or at a pure node. A leaf predicts its class
/// frequencies. With `featuresPerSplit` smaller than all, each node draws that many candidate features
/// at random (how a random forest decorrelates its trees).
///
/// ```swift
/// let tree = try DecisionTree(criterion: .gini, maximumDepth: 3).fit(iris.features, labels: iris.labels!)
/// tree.depth, tree.leafCount, tree.featureImportances
/// ```
public struct DecisionTree: ClassifierTrainer {
    public enum Criterion: String, Sendable, CaseIterable {
        case gini, entropy
    }

    /// How many features each split considers.
    public enum FeatureSubset: Sendable, Equatable {
        case all
        /// `⌊√features⌋` (at least 1), the usual choice for forests.
        case squareRoot
        case count(Int)

        func resolve(_ features: Int) -> Int {
            switch self {
            case .all: features
            case .squareRoot: max(1, Int(Double(features).squareRoot()))
            case .count(let count): max(1, min(count, features))
            }
        }
    }

    public var criterion: Criterion
    public var maximumDepth: Int?
    public var minimumSamplesSplit: Int
    public var minimumSamplesLeaf: Int
    public var featuresPerSplit: FeatureSubset
    public var seed: UInt64

    public init(criterion: Criterion = .gini, maximumDepth: Int? = nil, minimumSamplesSplit: Int = 2, minimumSamplesLeaf: Int = 1,
                featuresPerSplit: FeatureSubset = .all, seed: UInt64 = 0) {
        self.criterion = criterion
        self.maximumDepth = maximumDepth
        self.minimumSamplesSplit = minimumSamplesSplit
        self.minimumSamplesLeaf = minimumSamplesLeaf
        self.featuresPerSplit = featuresPerSplit
        self.seed = seed
    }

    /// One node: a split (feature ≥ 0) or a leaf (feature = −1).
    public struct Node: Sendable, Equatable {
        public let feature: Int
        public let threshold: Double
        public let left: Int
        public let right: Int
        /// Class frequencies of the training samples that reached the node.
        public let probabilities: [Double]
        public let sampleCount: Int
        public var isLeaf: Bool { feature < 0 }
    }

    public struct Model: ProbabilisticClassifier {
        public let classCount: Int
        public let featureCount: Int
        /// Nodes with the root first.
        public let nodes: [Node]
        /// Each feature's share of the total weighted impurity decrease (sums to 1 unless the tree is a single leaf).
        public let featureImportances: [Double]

        public var depth: Int {
            func depth(_ node: Int) -> Int { nodes[node].isLeaf ? 0 : 1 + max(depth(nodes[node].left), depth(nodes[node].right)) }
            return depth(0)
        }

        public var leafCount: Int { nodes.filter(\.isLeaf).count }

        /// The leaf reached by one sample.
        func leaf(for row: UnsafePointer<Double>) -> Node {
            var index = 0
            while !nodes[index].isLeaf {
                let node = nodes[index]
                index = row[node.feature] <= node.threshold ? node.left : node.right
            }
            return nodes[index]
        }

        public func predictProbabilities(_ features: Matrix) throws -> Matrix {
            try checkFeatureCount(features, expected: featureCount, method: "decision tree")
            try checkFinite(features.values, columns: features.columnCount, method: "decision tree")
            var result = Matrix(rowCount: features.rowCount, columnCount: classCount)
            features.values.withUnsafeBufferPointer { values in
                for row in 0..<features.rowCount {
                    let leaf = leaf(for: values.baseAddress! + row * featureCount)
                    for k in 0..<classCount { result[row, k] = leaf.probabilities[k] }
                }
            }
            return result
        }
    }

    public func fit(_ features: Matrix, labels: [Int]) throws -> Model {
        let method = "decision tree"
        try validate(features, method: method)
        let classCount = try validateLabels(labels, rowCount: features.rowCount, method: method)
        try checkSettings(method: method)
        return grow(features, labels: labels, classCount: classCount, samples: Array(0..<features.rowCount))
    }

    /// Throws for settings out of range.
    func checkSettings(method: String) throws {
        try require(minimumSamplesSplit >= 2, method: method, "minimum samples to split must be at least 2, not \(minimumSamplesSplit)")
        try require(minimumSamplesLeaf >= 1, method: method, "minimum samples per leaf must be at least 1, not \(minimumSamplesLeaf)")
        try require((maximumDepth ?? 1) >= 0, method: method, "maximum depth must be ≥ 0")
        if case .count(let count) = featuresPerSplit { try require(count >= 1, method: method, "features per split must be at least 1") }
    }

    /// Grows a tree on the rows `samples` (repeats allowed, as in a bootstrap sample); settings checked.
    func grow(_ features: Matrix, labels: [Int], classCount: Int, samples: [Int]) -> Model {
        var grower = TreeGrower(trainer: self, features: features, labels: labels, classCount: classCount,
                                generator: RandomGenerator(seed: seed))
        _ = grower.grow(samples, depth: 0)
        let total = grower.importances.reduce(0, +)
        return Model(classCount: classCount, featureCount: features.columnCount, nodes: grower.nodes,
                     featureImportances: grower.importances.map { total > 0 ? $0 / total : 0 })
    }
}

/// The recursive growth of one tree.
private struct TreeGrower {
    let trainer: DecisionTree
    let features: Matrix
    let labels: [Int]
    let classCount: Int
    let generator: RandomGenerator
    var nodes: [DecisionTree.Node] = []
    var importances: [Double]

    init(trainer: DecisionTree, features: Matrix, labels: [Int], classCount: Int, generator: RandomGenerator) {
        self.trainer = trainer
        self.features = features
        self.labels = labels
        self.classCount = classCount
        self.generator = generator
        self.importances = [Double](repeating: 0, count: features.columnCount)
    }

    func impurity(_ counts: [Double], total: Double) -> Double {
        guard total > 0 else { return 0 }
        switch trainer.criterion {
        case .gini:
            var sum = 0.0
            for count in counts { let p = count / total; sum += p * p }
            return 1 - sum
        case .entropy:
            var sum = 0.0
            for count in counts where count > 0 { let p = count / total; sum -= p * log2(p) }
            return sum
        }
    }

    /// Adds the subtree for `samples` and returns its root index.
    mutating func grow(_ samples: [Int], depth: Int) -> Int {
        var counts = [Double](repeating: 0, count: classCount)
        for sample in samples { counts[labels[sample]] += 1 }
        let total = Double(samples.count)
        let probabilities = counts.map { $0 / total }
        let index = nodes.count
        nodes.append(DecisionTree.Node(feature: -1, threshold: 0, left: -1, right: -1, probabilities: probabilities, sampleCount: samples.count))
        let nodeImpurity = impurity(counts, total: total)
        if nodeImpurity <= 1e-12 || samples.count < trainer.minimumSamplesSplit
            || samples.count < 2 * trainer.minimumSamplesLeaf || (trainer.maximumDepth.map { depth >= $0 } ?? false) {
            return index
        }
        guard let split = bestSplit(samples, counts: counts, impurity: nodeImpurity) else { return index }
        importances[split.feature] += total * nodeImpurity - split.weightedChildImpurity
        var left: [Int] = [], right: [Int] = []
        for sample in samples {
            if features[sample, split.feature] <= split.threshold { left.append(sample) } else { right.append(sample) }
        }
        let leftIndex = grow(left, depth: depth + 1)
        let rightIndex = grow(right, depth: depth + 1)
        nodes[index] = DecisionTree.Node(feature: split.feature, threshold: split.threshold, left: leftIndex, right: rightIndex,
                                         probabilities: probabilities, sampleCount: samples.count)
        return index
    }

    /// The split with the lowest weighted child impurity `n_left·I(left) + n_right·I(right)`.
    func bestSplit(_ samples: [Int], counts: [Double], impurity nodeImpurity: Double)
        -> (feature: Int, threshold: Double, weightedChildImpurity: Double)? {
        let width = features.columnCount
        let candidateCount = trainer.featuresPerSplit.resolve(width)
        var candidates = Array(0..<width)
        if candidateCount < width {
            for position in 0..<candidateCount {
                candidates.swapAt(position, position + generator.integer(in: 0..<(width - position)))
            }
            candidates = Array(candidates.prefix(candidateCount))
        }
        let total = Double(samples.count)
        let minimumLeaf = trainer.minimumSamplesLeaf
        var best: (feature: Int, threshold: Double, weightedChildImpurity: Double)?
        var bestScore = total * nodeImpurity - 1e-12
        var pairs = [(value: Double, label: Int)](repeating: (0, 0), count: samples.count)
        for feature in candidates {
            for (position, sample) in samples.enumerated() { pairs[position] = (features[sample, feature], labels[sample]) }
            pairs.sort { $0.value < $1.value }
            if pairs[0].value == pairs[pairs.count - 1].value { continue }
            var leftCounts = [Double](repeating: 0, count: classCount)
            var rightCounts = counts
            for position in 0..<(pairs.count - 1) {
                leftCounts[pairs[position].label] += 1
                rightCounts[pairs[position].label] -= 1
                let leftSize = position + 1
                if pairs[position].value == pairs[position + 1].value { continue }
                if leftSize < minimumLeaf || pairs.count - leftSize < minimumLeaf { continue }
                let leftTotal = Double(leftSize), rightTotal = total - leftTotal
                let score = leftTotal * impurity(leftCounts, total: leftTotal) + rightTotal * impurity(rightCounts, total: rightTotal)
                if score < bestScore {
                    bestScore = score
                    let threshold = (pairs[position].value + pairs[position + 1].value) / 2
                    // Guard against the midpoint rounding up to the right value.
                    best = (feature, threshold == pairs[position + 1].value ? pairs[position].value : threshold, score)
                }
            }
        }
        return best
    }
}
