import Nabla
import NablaGraph
import Testing

@Suite struct SyntheticGraphSetTests {
    /// Undirected neighbour sets of a graph.
    func neighbours(_ graph: Graph) -> [Set<Int>] {
        var sets = [Set<Int>](repeating: [], count: graph.nodeCount)
        for (source, target) in zip(graph.sources, graph.targets) { sets[source].insert(target); sets[target].insert(source) }
        return sets
    }

    func isConnected(_ graph: Graph) -> Bool {
        let sets = neighbours(graph)
        var seen: Set<Int> = [0], frontier = [0]
        while let node = frontier.popLast() { for next in sets[node] where seen.insert(next).inserted { frontier.append(next) } }
        return seen.count == graph.nodeCount
    }

    @Test func treesHaveNoCycleAndCycleGraphsExactlyOne() throws {
        let graphs = try SyntheticGraphSet.cyclesVersusTrees(count: 40, nodeCounts: 3...15, generator: RandomGenerator(seed: 2))
        #expect(graphs.map(\.label) == (0..<40).map { $0 % 2 })
        for (graph, label) in graphs {
            #expect(isConnected(graph))
            // A connected graph on n nodes with n − 1 edges is a tree; with n edges it has exactly one cycle.
            #expect(graph.edgeCount / 2 == graph.nodeCount - 1 + label)
            #expect(graph.withoutSelfLoopsOrDuplicates().edgeCount == graph.edgeCount)
            #expect(graph.features.shape == [graph.nodeCount, 1])
        }
        #expect(throws: GraphError.self) { try SyntheticGraphSet.cyclesVersusTrees(count: 2, nodeCounts: 2...5, generator: RandomGenerator(seed: 0)) }
    }

    @Test func triangleCountsAreExact() throws {
        let graphs = try SyntheticGraphSet.triangleCounts(count: 30, nodeCounts: 7...20, generator: RandomGenerator(seed: 4))
        for (graph, label) in graphs {
            let sets = neighbours(graph)
            var triangles = 0
            for a in 0..<graph.nodeCount { for b in sets[a] where b > a { for c in sets[b] where c > b && sets[a].contains(c) { triangles += 1 } } }
            #expect(triangles == label, "\(graph.nodeCount) nodes")
            #expect(isConnected(graph))
        }
        #expect(Set(graphs.map(\.label)) == [0, 1, 2])
        #expect(throws: GraphError.self) { try SyntheticGraphSet.triangleCounts(count: 2, nodeCounts: 4...9, generator: RandomGenerator(seed: 0)) }
    }
}
