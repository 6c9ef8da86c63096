import Nabla
import NablaClassic

extension Graph {
    /// The k-nearest-neighbour graph over the rows of `features` (Euclidean distance): an edge from
    /// each node to each of its `neighborCount` nearest other nodes, then made undirected (an edge
    /// i–j when either is among the other's neighbours), without self-loops or duplicates.
    /// The features become the nodes' features. Throws when `neighborCount` is not in 1..<n.
    public static func nearestNeighbors(features: Tensor, neighborCount: Int, labels: [Int]? = nil) throws -> Graph {
        guard features.rank == 2 else { throw GraphError("k-NN graph: features of shape \(features.shape); give [nodes, features]") }
        let nodeCount = features.shape[0]
        guard neighborCount >= 1 && neighborCount < nodeCount else {
            throw GraphError("k-NN graph: \(neighborCount) neighbours asked of \(nodeCount) nodes; choose 1...\(max(nodeCount - 1, 1))")
        }
        let found = try NearestNeighbors.search(Matrix(features), neighborCount: neighborCount).indices
        var sources = [Int](), targets = [Int]()
        for (node, neighbours) in found.enumerated() {
            for neighbour in neighbours { sources.append(neighbour); targets.append(node) }
        }
        return try Graph(nodeCount: nodeCount, sources: sources, targets: targets, features: features, labels: labels).undirected()
    }

    /// A stochastic block model: `blockSizes[b]` nodes in block b; each pair of distinct nodes is
    /// joined (undirected) with probability `within` inside a block and `between` across blocks.
    /// Labels are the blocks; features are one-hot node identities unless `features` is given.
    public static func stochasticBlockModel(blockSizes: [Int], within: Double, between: Double,
                                            generator: RandomGenerator, features: Tensor? = nil) throws -> Graph {
        guard blockSizes.allSatisfy({ $0 >= 0 }) else { throw GraphError("stochastic block model: block sizes \(blockSizes) must not be negative") }
        guard (0...1).contains(within) && (0...1).contains(between) else {
            throw GraphError("stochastic block model: probabilities \(within), \(between) must lie in [0, 1]")
        }
        let labels = blockSizes.enumerated().flatMap { repeatElement($0.offset, count: $0.element) }
        let nodeCount = labels.count
        var pairs = [(Int, Int)]()
        for first in 0..<nodeCount {
            for second in (first + 1)..<max(nodeCount, first + 1) {
                let probability = labels[first] == labels[second] ? within : between
                if Double(generator.nextUnitFloat()) < probability { pairs.append((first, second)) }
            }
        }
        let nodeFeatures = features ?? Tensor.eye(nodeCount)
        return try Graph(nodeCount: nodeCount, undirectedEdges: pairs, features: nodeFeatures, labels: labels)
    }
}
