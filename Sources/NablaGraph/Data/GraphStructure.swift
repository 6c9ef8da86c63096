import Nabla

/// A graph's edges prepared for message passing, built once and shared by every layer and every step:
/// the propagation matrices (GCN's normalised one, the mean and sum aggregations) and the edge lists
/// with self-loops that attention uses. Caching them is PyTorch Geometric's `cached=True`.
public final class GraphStructure {
    public let graph: Graph
    public var nodeCount: Int { graph.nodeCount }

    public init(_ graph: Graph) { self.graph = graph }

    /// D^{-1/2}(A + I)D^{-1/2}: see `Graph.normalizedAdjacency`.
    public private(set) lazy var normalizedAdjacency: SparseMatrix = graph.normalizedAdjacency()
    /// Row i averages node i's incoming neighbours.
    public private(set) lazy var meanAdjacency: SparseMatrix = graph.meanAdjacency()
    /// Row i sums node i's incoming neighbours (duplicates count twice).
    public private(set) lazy var sumAdjacency: SparseMatrix = graph.adjacency()

    /// The edges without self-loops, then one self-loop per node (GAT's `add_self_loops`).
    public private(set) lazy var edgesWithSelfLoops: (sources: [Int], targets: [Int]) = {
        var sources = [Int](), targets = [Int]()
        for (source, target) in zip(graph.sources, graph.targets) where source != target {
            sources.append(source)
            targets.append(target)
        }
        return (sources + Array(0..<nodeCount), targets + Array(0..<nodeCount))
    }()
}
