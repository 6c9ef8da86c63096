import Nabla

/// Bad graph input: names the graph part and what to do.
public struct GraphError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A graph for message passing: directed edges `sources[e] → targets[e]` over `nodeCount` nodes, node
/// features [nodeCount, featureCount], optional labels and train/validation/test masks. Messages flow
/// from source to target (PyTorch Geometric's `edge_index` with flow "source_to_target"); an undirected
/// graph lists each edge both ways (`undirected()`).
///
/// Documented behaviour for awkward input:
/// - edge indices outside 0..<nodeCount, a feature matrix with the wrong row count, labels or masks of
///   the wrong length: `init` throws `GraphError` naming the edge or array;
/// - self-loops and duplicate edges are kept as given (a duplicate carries twice the weight in sums,
///   as in PyTorch Geometric); `withoutSelfLoopsOrDuplicates()` removes both. GCN normalisation adds a
///   self-loop only to nodes without one (PyG's `add_remaining_self_loops`);
/// - isolated nodes are fine: they receive no messages (sum, mean and max aggregate to 0);
/// - an empty graph (no nodes, or no edges) is valid; layers return [0, width] or self-only results.
public struct Graph {
    public let nodeCount: Int
    public let sources: [Int]
    public let targets: [Int]
    /// Node features, shape [nodeCount, featureCount].
    public var features: Tensor
    /// One class per node, or nil.
    public var labels: [Int]?
    public var trainMask: [Bool]?
    public var validationMask: [Bool]?
    public var testMask: [Bool]?

    public var edgeCount: Int { sources.count }
    public var featureCount: Int { features.shape[1] }

    public init(nodeCount: Int, sources: [Int], targets: [Int], features: Tensor, labels: [Int]? = nil,
                trainMask: [Bool]? = nil, validationMask: [Bool]? = nil, testMask: [Bool]? = nil) throws {
        guard nodeCount >= 0 else { throw GraphError("graph: node count \(nodeCount) is negative") }
        guard sources.count == targets.count else {
            throw GraphError("graph: the edge index has \(sources.count) sources but \(targets.count) targets; give one of each per edge")
        }
        for (edge, (source, target)) in zip(sources, targets).enumerated() where !(0..<nodeCount).contains(source) || !(0..<nodeCount).contains(target) {
            throw GraphError("graph: edge \(edge) (\(source) → \(target)) names a node outside 0..<\(nodeCount); node indices start at 0")
        }
        guard features.rank == 2, features.shape[0] == nodeCount else {
            throw GraphError("graph: features of shape \(features.shape) for \(nodeCount) nodes; give [nodeCount, featureCount]")
        }
        if let labels, labels.count != nodeCount { throw GraphError("graph: \(labels.count) labels for \(nodeCount) nodes") }
        if let labels, let bad = labels.first(where: { $0 < 0 }) { throw GraphError("graph: label \(bad) is negative; classes are 0, 1, …") }
        for (name, mask) in [("train", trainMask), ("validation", validationMask), ("test", testMask)] {
            if let mask, mask.count != nodeCount { throw GraphError("graph: the \(name) mask has \(mask.count) entries for \(nodeCount) nodes") }
        }
        self.nodeCount = nodeCount
        self.sources = sources
        self.targets = targets
        self.features = features
        self.labels = labels
        self.trainMask = trainMask
        self.validationMask = validationMask
        self.testMask = testMask
    }

    /// From undirected pairs: each pair becomes two directed edges.
    public init(nodeCount: Int, undirectedEdges: [(Int, Int)], features: Tensor, labels: [Int]? = nil) throws {
        try self.init(nodeCount: nodeCount, sources: undirectedEdges.flatMap { [$0.0, $0.1] },
                      targets: undirectedEdges.flatMap { [$0.1, $0.0] }, features: features, labels: labels)
    }

    /// The same graph with every edge also reversed, then self-loops and duplicates removed.
    public func undirected() -> Graph {
        replacingEdges(sources: sources + targets, targets: targets + sources).withoutSelfLoopsOrDuplicates()
    }

    /// The same graph without self-loops and with each directed edge once (first occurrence kept).
    public func withoutSelfLoopsOrDuplicates() -> Graph {
        var seen = Set<Int>()
        var newSources = [Int](), newTargets = [Int]()
        for (source, target) in zip(sources, targets) where source != target && seen.insert(source * nodeCount + target).inserted {
            newSources.append(source)
            newTargets.append(target)
        }
        return replacingEdges(sources: newSources, targets: newTargets)
    }

    func replacingEdges(sources: [Int], targets: [Int]) -> Graph {
        // Indices come from this graph's valid ones, so validation cannot fail.
        try! Graph(nodeCount: nodeCount, sources: sources, targets: targets, features: features, labels: labels,
                   trainMask: trainMask, validationMask: validationMask, testMask: testMask)
    }

    /// How many edges arrive at each node.
    public var inDegrees: [Int] {
        var degrees = [Int](repeating: 0, count: nodeCount)
        for target in targets { degrees[target] += 1 }
        return degrees
    }

    /// The adjacency as a sparse matrix whose row i gathers node i's incoming messages: entry
    /// (target, source) = 1 per edge, so `adjacency().matmul(h)` sums each node's neighbours.
    public func adjacency() -> SparseMatrix {
        SparseMatrix(rows: targets, columns: sources, values: Tensor.ones([edgeCount]), shape: (nodeCount, nodeCount))
    }

    /// GCN's propagation matrix D^{-1/2} (A + I) D^{-1/2} (Kipf and Welling, 2017), with degrees counted
    /// over incoming edges plus the self-loop; a self-loop is added only to nodes without one, as
    /// PyTorch Geometric's `gcn_norm` does.
    public func normalizedAdjacency(addSelfLoops: Bool = true) -> SparseMatrix {
        var rows = targets, columns = sources
        if addSelfLoops {
            var hasLoop = [Bool](repeating: false, count: nodeCount)
            for (source, target) in zip(sources, targets) where source == target { hasLoop[source] = true }
            for node in 0..<nodeCount where !hasLoop[node] { rows.append(node); columns.append(node) }
        }
        let matrix = SparseMatrix(rows: rows, columns: columns, values: Tensor.ones([rows.count]), shape: (nodeCount, nodeCount))
        let degrees = matrix.rowSums().scalars
        let inverseRoot = Tensor(degrees.map { $0 > 0 ? 1 / $0.squareRoot() : 0 })
        return withoutGradients { matrix.scaled(rows: inverseRoot, columns: inverseRoot) }
    }

    /// The mean-aggregation matrix D⁻¹ A over incoming edges (rows of isolated nodes are empty).
    public func meanAdjacency() -> SparseMatrix {
        let matrix = adjacency()
        let degrees = inDegrees
        return withoutGradients { matrix.scaled(rows: Tensor(degrees.map { $0 > 0 ? 1 / Float($0) : 0 }), columns: nil) }
    }

    /// The nodes whose mask entry is true.
    public static func nodes(in mask: [Bool]) -> [Int] { mask.indices.filter { mask[$0] } }
}
