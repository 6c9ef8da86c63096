import Foundation
import Nabla
import NablaGraph
import NablaNN
import NablaOptim
import NablaTrain

/// A graph classifier: `layerCount` message-passing layers with ReLU; the readout of every layer's node
/// values (the input's included) pooled per graph and concatenated, then a linear layer to class logits
/// [graphs, classes]. Reading out every layer is GIN's graph-level readout (Xu et al., 2019, eq. 4.2):
/// counts visible after one hop need not survive the later layers.
/// - `gin`: GIN layers (each MLP Linear → ReLU → Linear, ε = 0) and sum readouts;
/// - `gcn`: graph convolutions and a mean readout, which average away how many nodes and edges a graph
///   has: the weaker baseline GIN's paper contrasts.
public final class GraphClassifier: Module {
    public enum Kind: String, CaseIterable, Sendable { case gin, gcn }

    public let kind: Kind
    let ginLayers: [GraphIsomorphismConvolution]
    let gcnLayers: [GraphConvolution]
    let output: Linear

    public init(kind: Kind, inputSize: Int, hiddenSize: Int, layerCount: Int, classCount: Int, generator: RandomGenerator) {
        self.kind = kind
        let widths = [inputSize] + Array(repeating: hiddenSize, count: layerCount)
        ginLayers = kind == .gin ? (0..<layerCount).map { layer in
            GraphIsomorphismConvolution(network: Sequential(Linear(inputSize: widths[layer], outputSize: hiddenSize, generator: generator), ReLU(),
                                                            Linear(inputSize: hiddenSize, outputSize: hiddenSize, generator: generator)))
        } : []
        gcnLayers = kind == .gcn ? (0..<layerCount).map { GraphConvolution(inputSize: widths[$0], outputSize: hiddenSize, generator: generator) } : []
        output = Linear(inputSize: inputSize + layerCount * hiddenSize, outputSize: classCount, generator: generator)
        super.init()
    }

    /// Logits [graphCount, classes] for the graphs of `batch`.
    public func callAsFunction(_ batch: GraphBatch, _ structure: GraphStructure) -> Tensor {
        let readout: GraphReadout = kind == .gin ? .sum : .mean
        var hidden = batch.graph.features
        var pooled = [readout(hidden, graphOfNode: batch.graphOfNode, graphCount: batch.graphCount)]
        for index in 0..<(kind == .gin ? ginLayers.count : gcnLayers.count) {
            hidden = (kind == .gin ? ginLayers[index](hidden, structure) : gcnLayers[index](hidden, structure)).relu()
            pooled.append(readout(hidden, graphOfNode: batch.graphOfNode, graphCount: batch.graphCount))
        }
        return output(Tensor.concat(pooled, axis: 1))
    }
}

/// Mini-batch training of a `GraphClassifier`: each epoch visits the training graphs in a fresh random
/// order, `batchSize` graphs joined into one block-diagonal `GraphBatch` per Adam step; after each
/// epoch the accuracy on the test graphs (all in one batch).
final class GraphClassificationTask: TrainingTask {
    let training: [(graph: Graph, label: Int)]
    let test: GraphBatch
    let testStructure: GraphStructure
    let testLabels: [Int]
    let network: GraphClassifier
    let optimizer: Adam
    let generator: RandomGenerator
    let batchSize: Int

    init(training: [(graph: Graph, label: Int)], test: [(graph: Graph, label: Int)], kind: GraphClassifier.Kind, hiddenSize: Int,
         layerCount: Int, batchSize: Int, learningRate: Double, generator: RandomGenerator) throws {
        self.training = training
        self.test = try GraphBatch(test.map(\.graph))
        testStructure = GraphStructure(self.test.graph)
        testLabels = test.map(\.label)
        let classCount = ((training + test).map(\.label).max() ?? 0) + 1
        network = GraphClassifier(kind: kind, inputSize: training.first?.graph.featureCount ?? 1, hiddenSize: hiddenSize,
                                  layerCount: layerCount, classCount: classCount, generator: generator)
        optimizer = Adam(network.parameters(), configuration: .init(learningRate: learningRate))
        self.generator = generator
        self.batchSize = batchSize
    }

    var models: KeyValuePairs<String, Module> { ["network": network] }
    var optimizers: KeyValuePairs<String, any Optimizer> { ["adam": optimizer] }
    var generators: KeyValuePairs<String, RandomGenerator> { ["order": generator] }
    var batchesPerEpoch: Int { (training.count + batchSize - 1) / batchSize }

    func epochBatches(epoch: Int) -> AnyIterator<[Int]> {
        let order = generator.permutation(training.count)
        var start = 0
        return AnyIterator { [batchSize] in
            guard start < order.count else { return nil }
            defer { start += batchSize }
            return Array(order[start..<min(order.count, start + batchSize)])
        }
    }

    func trainStep(_ members: [Int]) throws -> StepResult {
        let batch = try GraphBatch(members.map { training[$0].graph })
        let loss = crossEntropy(network(batch, GraphStructure(batch.graph)), IntTensor(members.map { training[$0].label }))
        minimize(loss, with: optimizer)
        return StepResult(loss: loss, count: members.count)
    }

    func evaluate(epoch: Int) throws -> [(key: String, value: Double)] {
        [("test_accuracy", testAccuracy())]
    }

    func testPredictions() -> [Int] {
        withoutGradients { network(test, testStructure).argmax(axis: 1).scalars }
    }

    func testAccuracy() -> Double {
        Double(zip(testPredictions(), testLabels).filter { $0 == $1 }.count) / Double(max(testLabels.count, 1))
    }
}
