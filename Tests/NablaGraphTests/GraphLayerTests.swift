import Nabla
import NablaGraph
import NablaNN
import NablaTestSupport
import Testing

@Suite struct GraphLayerTests {
    @Test func graphConvolutionMatchesHandComputedNormalisation() throws {
        // Path 0–1–2 plus self-loops: degrees 2, 3, 2. With W = I and no bias,
        // h'₀ = x₀/2 + x₁/√6, h'₁ = x₀/√6 + x₁/3 + x₂/√6, h'₂ = x₁/√6 + x₂/2.
        let graph = try Graph(nodeCount: 3, undirectedEdges: [(0, 1), (1, 2)], features: Tensor([1, 2, 4], shape: [3, 1]))
        let layer = GraphConvolution(inputSize: 1, outputSize: 1, bias: false, generator: RandomGenerator(seed: 0))
        layer.weight.assign(Tensor([1], shape: [1, 1]))
        let s6 = 1 / Float(6).squareRoot()
        expectClose(layer(graph.features, GraphStructure(graph)), Tensor([0.5 + 2 * s6, s6 + 2.0 / 3 + 4 * s6, 2 * s6 + 2], shape: [3, 1]), "D^-1/2 (A+I) D^-1/2 x")
    }

    @Test func batchingGivesTheSameOutputsAsOneByOne() throws {
        let generator = RandomGenerator(seed: 5)
        let graphs = try [
            Graph(nodeCount: 3, undirectedEdges: [(0, 1), (1, 2)], features: generator.normal([3, 4])),
            Graph(nodeCount: 1, undirectedEdges: [], features: generator.normal([1, 4])),
            Graph.stochasticBlockModel(blockSizes: [4, 3], within: 0.7, between: 0.2, generator: generator, features: generator.normal([7, 4])),
        ]
        let batch = try GraphBatch(graphs)
        let gcn = GraphConvolution(inputSize: 4, outputSize: 3, generator: generator)
        let sageMean = GraphSAGEConvolution(inputSize: 4, outputSize: 3, aggregation: .mean, generator: generator)
        let sageMax = GraphSAGEConvolution(inputSize: 4, outputSize: 3, aggregation: .max, generator: generator)
        let gat = GraphAttentionConvolution(inputSize: 4, outputSize: 2, heads: 3, generator: generator)
        let gin = GraphIsomorphismConvolution(network: Sequential(Linear(inputSize: 4, outputSize: 5, generator: generator), ReLU(),
                                                                  Linear(inputSize: 5, outputSize: 3, generator: generator)))
        let attention = AttentionReadout(inputSize: 3, generator: generator)
        let together = GraphStructure(batch.graph)
        let layers: [(String, (Tensor, GraphStructure) -> Tensor)] = [
            ("gcn", { gcn($0, $1) }), ("sage mean", { sageMean($0, $1) }), ("sage max", { sageMax($0, $1) }),
            ("gat", { gat($0, $1) }), ("gin", { gin($0, $1) }),
        ]
        for (name, layer) in layers {
            let batched = layer(batch.graph.features, together)
            for (index, member) in graphs.enumerated() {
                expectClose(batch.part(batched, graph: index), layer(member.features, GraphStructure(member)), "\(name), graph \(index)")
            }
        }
        let nodeValues = gcn(batch.graph.features, together)
        for readout in [GraphReadout.sum, .mean, .max] {
            let pooled = readout(nodeValues, graphOfNode: batch.graphOfNode, graphCount: batch.graphCount)
            for (index, member) in graphs.enumerated() {
                let alone = readout(gcn(member.features, GraphStructure(member)), graphOfNode: Array(repeating: 0, count: member.nodeCount), graphCount: 1)
                expectClose(pooled.sliced(axis: 0, start: index, end: index + 1), alone, "readout \(readout), graph \(index)")
            }
        }
        let pooled = attention(nodeValues, graphOfNode: batch.graphOfNode, graphCount: batch.graphCount)
        #expect(pooled.shape == [3, 3])
    }

    @Test func attentionWeightsSumToOnePerNodeAndDropoutOnlyWhileTraining() throws {
        let graph = KarateClub.graph()
        let structure = GraphStructure(graph)
        let gat = GraphAttentionConvolution(inputSize: 34, outputSize: 4, heads: 2, attentionDropout: 0.5, generator: RandomGenerator(seed: 1))
        gat.eval()
        let first = gat(graph.features, structure)
        let weights = gat.lastAttention!.segmentSum(structure.edgesWithSelfLoops.targets, segmentCount: 34)
        expectClose(weights, Tensor.ones([34, 2]), "attention sums")
        expectClose(gat(graph.features, structure), first, "evaluation is deterministic")
        gat.train()
        #expect(gat(graph.features, structure).scalars != first.scalars)
    }

    @Test func twoLayerNetworkLearnsKarateFactionsFromTwoLabels() throws {
        let graph = KarateClub.graph()
        let structure = GraphStructure(graph)
        let generator = RandomGenerator(seed: 0)
        let first = GraphConvolution(inputSize: 34, outputSize: 16, generator: generator)
        let second = GraphConvolution(inputSize: 16, outputSize: 2, generator: generator)
        let parameters = first.parameters() + second.parameters()
        let labelled = Graph.nodes(in: graph.trainMask!)
        let targets = IntTensor(labelled.map { graph.labels![$0] })
        for _ in 0..<200 {
            let logits = second(first(graph.features, structure).relu(), structure).indexSelected(axis: 0, indices: IntTensor(labelled))
            let loss = crossEntropy(logits, targets)
            let gradients = Nabla.gradients(of: loss, withRespectTo: parameters)
            withoutGradients { for (parameter, gradient) in zip(parameters, gradients) { parameter.assign(parameter - gradient * 0.5) } }
        }
        let predictions = withoutGradients { second(first(graph.features, structure).relu(), structure).max(axis: 1).indices.scalars }
        let correct = zip(predictions, graph.labels!).filter { $0 == $1 }.count
        #expect(correct >= 28, "\(correct) of 34 members placed in their faction")
    }
}
