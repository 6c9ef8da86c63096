import Foundation
import Nabla
import NablaGraph
import NablaNN
import NablaOptim
import NablaTrain

/// A two-layer node classifier of one of four kinds, each as in PyTorch Geometric's examples:
/// dropout → layer → ReLU → dropout → layer, logits [nodes, classes].
/// - `gcn`: two `GraphConvolution`s (Kipf and Welling, 2017);
/// - `gat`: `GraphAttentionConvolution` with `heads` heads of `hiddenSize` units concatenated (attention
///   dropout = `dropout`), then one averaged head (Veličković et al., 2018; ReLU, as Nabla has no ELU);
/// - `sage`: two mean-aggregating `GraphSAGEConvolution`s (Hamilton et al., 2017);
/// - `mlp`: two `Linear` layers that never look at the edges: what the features alone give.
public final class NodeClassifier: Module {
    public enum Kind: String, CaseIterable, Sendable { case gcn, gat, sage, mlp }

    public let kind: Kind
    let inputDropout: Dropout
    let hiddenDropout: Dropout
    let firstGCN, secondGCN: GraphConvolution?
    let firstGAT, secondGAT: GraphAttentionConvolution?
    let firstSAGE, secondSAGE: GraphSAGEConvolution?
    let firstLinear, secondLinear: Linear?

    public init(kind: Kind, inputSize: Int, hiddenSize: Int, classCount: Int, dropout: Float, heads: Int = 8,
                generator: RandomGenerator) {
        self.kind = kind
        inputDropout = Dropout(probability: dropout, generator: generator)
        hiddenDropout = Dropout(probability: dropout, generator: generator)
        (firstGCN, secondGCN) = kind == .gcn
            ? (GraphConvolution(inputSize: inputSize, outputSize: hiddenSize, generator: generator),
               GraphConvolution(inputSize: hiddenSize, outputSize: classCount, generator: generator)) : (nil, nil)
        (firstGAT, secondGAT) = kind == .gat
            ? (GraphAttentionConvolution(inputSize: inputSize, outputSize: hiddenSize, heads: heads, attentionDropout: dropout, generator: generator),
               GraphAttentionConvolution(inputSize: hiddenSize * heads, outputSize: classCount, heads: 1, concatenatesHeads: false,
                                         attentionDropout: dropout, generator: generator)) : (nil, nil)
        (firstSAGE, secondSAGE) = kind == .sage
            ? (GraphSAGEConvolution(inputSize: inputSize, outputSize: hiddenSize, generator: generator),
               GraphSAGEConvolution(inputSize: hiddenSize, outputSize: classCount, generator: generator)) : (nil, nil)
        (firstLinear, secondLinear) = kind == .mlp
            ? (Linear(inputSize: inputSize, outputSize: hiddenSize, generator: generator),
               Linear(inputSize: hiddenSize, outputSize: classCount, generator: generator)) : (nil, nil)
        super.init()
    }

    /// Logits [nodes, classes] for features [nodes, inputSize].
    public func callAsFunction(_ features: Tensor, _ structure: GraphStructure) -> Tensor {
        let input = inputDropout(features)
        let hidden: Tensor
        switch kind {
        case .gcn: hidden = firstGCN!(input, structure)
        case .gat: hidden = firstGAT!(input, structure)
        case .sage: hidden = firstSAGE!(input, structure)
        case .mlp: hidden = firstLinear!(input)
        }
        let next = hiddenDropout(hidden.relu())
        switch kind {
        case .gcn: return secondGCN!(next, structure)
        case .gat: return secondGAT!(next, structure)
        case .sage: return secondSAGE!(next, structure)
        case .mlp: return secondLinear!(next)
        }
    }
}

/// Full-graph semi-supervised training of a `NodeClassifier`: one Adam step (L2 weight decay, as
/// `torch.optim.Adam(weight_decay=)`) per epoch on the cross-entropy of the labelled nodes; after each
/// epoch the validation and test accuracy in evaluation mode.
final class NodeClassificationTask: TrainingTask {
    let graph: Graph
    let structure: GraphStructure
    let network: NodeClassifier
    let optimizer: Adam
    let generator: RandomGenerator
    let labelled: IntTensor
    let labelledClasses: IntTensor

    init(graph: Graph, structure: GraphStructure, kind: NodeClassifier.Kind, hiddenSize: Int, dropout: Float,
         learningRate: Double, weightDecay: Double, generator: RandomGenerator) {
        self.graph = graph
        self.structure = structure
        self.generator = generator
        let classCount = (graph.labels!.max() ?? 0) + 1
        network = NodeClassifier(kind: kind, inputSize: graph.featureCount, hiddenSize: hiddenSize, classCount: classCount,
                                 dropout: dropout, generator: generator)
        optimizer = Adam(network.parameters(), configuration: .init(learningRate: learningRate, weightDecay: weightDecay))
        let nodes = Graph.nodes(in: graph.trainMask!)
        labelled = IntTensor(nodes)
        labelledClasses = IntTensor(nodes.map { graph.labels![$0] })
    }

    var models: KeyValuePairs<String, Module> { ["network": network] }
    var optimizers: KeyValuePairs<String, any Optimizer> { ["adam": optimizer] }
    var generators: KeyValuePairs<String, RandomGenerator> { ["dropout": generator] }
    var batchesPerEpoch: Int { 1 }
    func epochBatches(epoch: Int) -> AnyIterator<Int> { AnyIterator([epoch].makeIterator()) }

    func trainStep(_ epoch: Int) throws -> StepResult {
        let logits = network(graph.features, structure).indexSelected(axis: 0, indices: labelled)
        let loss = crossEntropy(logits, labelledClasses)
        minimize(loss, with: optimizer)
        return StepResult(loss: loss, count: labelled.count)
    }

    func evaluate(epoch: Int) throws -> [(key: String, value: Double)] {
        let predictions = self.predictions()
        return [("val_accuracy", Self.accuracy(predictions, graph.labels!, graph.validationMask!)),
                ("test_accuracy", Self.accuracy(predictions, graph.labels!, graph.testMask!))]
    }

    /// Each node's most likely class, in evaluation mode (the caller's mode is restored).
    func predictions() -> [Int] {
        let wasTraining = network.isTraining
        network.eval()
        defer { if wasTraining { network.train() } }
        return withoutGradients { network(graph.features, structure).argmax(axis: 1).scalars }
    }

    /// The share of the nodes in `mask` whose prediction is their label.
    static func accuracy(_ predictions: [Int], _ labels: [Int], _ mask: [Bool]) -> Double {
        let nodes = Graph.nodes(in: mask)
        return Double(nodes.filter { predictions[$0] == labels[$0] }.count) / Double(max(nodes.count, 1))
    }
}

/// One full-graph training of a `NodeClassifier` outside a lab (`nabla bench gnn`): the final test
/// accuracy and the seconds of every epoch's training step (forward, backward, Adam step), timed as
/// PyTorch Geometric's examples are.
public struct NodeClassificationRun: Sendable {
    public let testAccuracy: Double
    public let epochSeconds: [Double]

    public static func train(graph: Graph, structure: GraphStructure, kind: NodeClassifier.Kind, hiddenSize: Int, dropout: Float,
                             learningRate: Double, weightDecay: Double, epochs: Int, seed: UInt64) throws -> NodeClassificationRun {
        let task = NodeClassificationTask(graph: graph, structure: structure, kind: kind, hiddenSize: hiddenSize, dropout: dropout,
                                          learningRate: learningRate, weightDecay: weightDecay, generator: RandomGenerator(seed: seed))
        task.network.train()
        var seconds: [Double] = []
        for epoch in 0..<epochs {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try task.trainStep(epoch)
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let accuracy = NodeClassificationTask.accuracy(task.predictions(), graph.labels!, graph.testMask!)
        return NodeClassificationRun(testAccuracy: accuracy, epochSeconds: seconds)
    }
}
