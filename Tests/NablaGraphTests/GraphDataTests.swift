import Nabla
import NablaGraph
import NablaNN
import NablaTestSupport
import Testing

@Suite struct GraphDataTests {
    @Test func karateClubIsZacharysPublishedGraph() {
        let graph = KarateClub.graph()
        #expect(graph.nodeCount == 34)
        #expect(KarateClub.edges.count == 78)
        #expect(graph.edgeCount == 156)
        #expect(Set(KarateClub.edges.map { "\($0.0)-\($0.1)" }).count == 78)
        let degrees = graph.inDegrees
        // Published degrees: the instructor 16, the administrator 17, member 33 (index 32) 12.
        #expect(degrees[0] == 16 && degrees[33] == 17 && degrees[32] == 12 && degrees[11] == 1)
        #expect(degrees.reduce(0, +) == 156)
        let factions = KarateClub.factions
        #expect(factions.filter { $0 == 0 }.count == 17 && factions[0] == 0 && factions[33] == 1 && factions[8] == 0 && factions[9] == 1)
    }

    @Test func badEdgesAndArraysAreRefusedByName() {
        #expect(throws: GraphError.self) { try Graph(nodeCount: 3, sources: [0, 3], targets: [1, 2], features: Tensor.zeros([3, 1])) }
        #expect(throws: GraphError.self) { try Graph(nodeCount: 3, sources: [0, -1], targets: [1, 2], features: Tensor.zeros([3, 1])) }
        #expect(throws: GraphError.self) { try Graph(nodeCount: 3, sources: [0], targets: [1, 2], features: Tensor.zeros([3, 1])) }
        #expect(throws: GraphError.self) { try Graph(nodeCount: 3, sources: [0], targets: [1], features: Tensor.zeros([2, 1])) }
        #expect(throws: GraphError.self) { try Graph(nodeCount: 3, sources: [0], targets: [1], features: Tensor.zeros([3, 1]), labels: [0, 1]) }
        do {
            _ = try Graph(nodeCount: 3, sources: [0, 5], targets: [1, 2], features: Tensor.zeros([3, 1]))
        } catch let error as GraphError {
            #expect(error.message.contains("edge 1 (5 → 2)") && error.message.contains("0..<3"))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func selfLoopsDuplicatesIsolatedNodesAndEmptyGraphs() throws {
        // Edges: 0→1 twice, a self-loop on 2, node 3 isolated.
        let graph = try Graph(nodeCount: 4, sources: [0, 0, 2], targets: [1, 1, 2], features: Tensor([1, 2, 3, 4], shape: [4, 1]))
        expectValues(graph.adjacency().matmul(graph.features), [0, 2, 3, 0], "duplicates count twice, as in PyG")
        let cleaned = graph.withoutSelfLoopsOrDuplicates()
        #expect(cleaned.sources == [0] && cleaned.targets == [1])
        // GCN normalisation adds a loop only where none exists: node 2 keeps its single loop.
        let normalised = graph.normalizedAdjacency().dense()
        #expect(normalised[2, 2] == 1 && normalised[3, 3] == 1)
        let structure = GraphStructure(graph)
        let sage = GraphSAGEConvolution(inputSize: 1, outputSize: 2, aggregation: .max, generator: RandomGenerator(seed: 0))
        #expect(sage(graph.features, structure).shape == [4, 2])
        let empty = try Graph(nodeCount: 0, sources: [], targets: [], features: Tensor.zeros([0, 3]))
        let gcn = GraphConvolution(inputSize: 3, outputSize: 2, generator: RandomGenerator(seed: 0))
        #expect(gcn(empty.features, GraphStructure(empty)).shape == [0, 2])
        let gat = GraphAttentionConvolution(inputSize: 3, outputSize: 2, heads: 2, generator: RandomGenerator(seed: 0))
        #expect(gat(empty.features, GraphStructure(empty)).shape == [0, 4])
    }

    @Test func nearestNeighbourGraphIsSymmetricWithoutLoops() throws {
        let points = Tensor([0, 0, 1, 0, 0, 1, 10, 10, 11, 10], shape: [5, 2])
        let graph = try Graph.nearestNeighbors(features: points, neighborCount: 1)
        let pairs = Set(zip(graph.sources, graph.targets).map { "\($0)-\($1)" })
        // 0's nearest is 1 (tie with 2 broken by index), 1's and 2's is 0, 3 and 4 are each other's.
        #expect(pairs == ["0-1", "1-0", "2-0", "0-2", "3-4", "4-3"])
        #expect(throws: GraphError.self) { try Graph.nearestNeighbors(features: points, neighborCount: 5) }
    }

    @Test func stochasticBlockModelDensities() throws {
        let graph = try Graph.stochasticBlockModel(blockSizes: [60, 60], within: 0.3, between: 0.02, generator: RandomGenerator(seed: 3))
        let labels = graph.labels!
        let inside = zip(graph.sources, graph.targets).filter { labels[$0] == labels[$1] }.count / 2
        let across = graph.edgeCount / 2 - inside
        // Expected 2·C(60,2)·0.3 = 1062 inside and 3600·0.02 = 72 across.
        #expect(abs(inside - 1062) < 120 && abs(across - 72) < 30)
        #expect(throws: GraphError.self) { try Graph.stochasticBlockModel(blockSizes: [3], within: 1.5, between: 0, generator: RandomGenerator(seed: 0)) }
    }
}
