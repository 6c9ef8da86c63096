import Nabla

/// Synthetic graph-classification sets: many small graphs, each with one class, whose class is a fact of
/// the graph's shape alone (every node carries the same feature, 1), so a model must read structure.
public enum SyntheticGraphSet {
    /// Trees against graphs with exactly one cycle, `count` graphs in balanced classes, alternating
    /// (0 = tree, 1 = one cycle). A tree on n nodes attaches node i to a random earlier node; a
    /// one-cycle graph is a cycle of 3…n nodes with the remaining nodes attached as a random forest.
    /// Node counts are drawn uniformly from `nodeCounts` (lower bound ≥ 3). Edges are undirected (both
    /// directions listed), features [n, 1] of ones, and every node labelled with its graph's class.
    public static func cyclesVersusTrees(count: Int, nodeCounts: ClosedRange<Int>, generator: RandomGenerator) throws -> [(graph: Graph, label: Int)] {
        guard count >= 0 else { throw GraphError("cycles vs trees: \(count) graphs asked; give a count ≥ 0") }
        guard nodeCounts.lowerBound >= 3 else {
            throw GraphError("cycles vs trees: node counts \(nodeCounts) include graphs under 3 nodes, which cannot hold a cycle; start at 3")
        }
        func draw(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + min(Int(generator.nextUnitFloat() * Float(range.count)), range.count - 1)
        }
        return try (0..<count).map { index in
            let label = index % 2
            let nodeCount = draw(nodeCounts)
            var edges: [(Int, Int)] = []
            // Shuffle node names so neither the cycle nor the root sits at fixed indices.
            let names = generator.permutation(nodeCount)
            var first = 1
            if label == 1 {
                let cycleLength = draw(3...nodeCount)
                for position in 0..<cycleLength { edges.append((names[position], names[(position + 1) % cycleLength])) }
                first = cycleLength
            }
            for node in first..<nodeCount { edges.append((names[draw(0...(node - 1))], names[node])) }
            let graph = try Graph(nodeCount: nodeCount, undirectedEdges: edges, features: Tensor.ones([nodeCount, 1]),
                                  labels: Array(repeating: label, count: nodeCount))
            return (graph, label)
        }
    }

    /// Graphs by their number of triangles: a random tree on `nodeCounts` nodes with 0, 1 or 2 extra
    /// edges each closing a triangle (joining two nodes that share a neighbour and are not yet joined),
    /// classes 0, 1, 2 alternating. A motif-counting task: a node sees a triangle only through its
    /// neighbours' neighbours.
    public static func triangleCounts(count: Int, nodeCounts: ClosedRange<Int>, generator: RandomGenerator) throws -> [(graph: Graph, label: Int)] {
        guard count >= 0 else { throw GraphError("triangle counts: \(count) graphs asked; give a count ≥ 0") }
        guard nodeCounts.lowerBound >= 7 else {
            throw GraphError("triangle counts: node counts \(nodeCounts) include graphs under 7 nodes; start at 7 so two separate triangles fit")
        }
        func draw(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + min(Int(generator.nextUnitFloat() * Float(range.count)), range.count - 1)
        }
        var result: [(graph: Graph, label: Int)] = []
        while result.count < count {
            let label = result.count % 3
            let nodeCount = draw(nodeCounts)
            var parent = [Int](repeating: -1, count: nodeCount)
            var edges: [(Int, Int)] = []
            for node in 1..<nodeCount {
                parent[node] = draw(0...(node - 1))
                edges.append((parent[node], node))
            }
            // Close a triangle between a node and its grandparent; nodes already in a triangle are not reused,
            // so the extra edges make exactly `label` triangles.
            var used = Set<Int>()
            let candidates = generator.permutation(nodeCount).filter { parent[$0] >= 0 && parent[parent[$0]] >= 0 }
            for node in candidates where edges.count < nodeCount - 1 + label {
                let triangle = [node, parent[node], parent[parent[node]]]
                guard triangle.allSatisfy({ !used.contains($0) }) else { continue }
                used.formUnion(triangle)
                edges.append((node, parent[parent[node]]))
            }
            guard edges.count == nodeCount - 1 + label else { continue }   // Too few disjoint triangles: draw again.
            let graph = try Graph(nodeCount: nodeCount, undirectedEdges: edges, features: Tensor.ones([nodeCount, 1]),
                                  labels: Array(repeating: label, count: nodeCount))
            result.append((graph, label))
        }
        return result
    }
}
