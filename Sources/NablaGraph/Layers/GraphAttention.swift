import Nabla
import NablaNN

/// Graph attention (Veličković et al., 2018), like PyTorch Geometric's `GATConv`: each of `heads`
/// heads scores every edge j → i (self-loops added) by e = LeakyReLU₀.₂(aₛ·Whⱼ + a_d·Whᵢ), turns the
/// scores into a softmax over node i's incoming edges, drops attention weights with probability
/// `attentionDropout` while training, and sums the weighted messages. Heads are concatenated
/// ([nodes, heads · outputSize]) or averaged ([nodes, outputSize]).
///
/// Parameters: `weight` [heads · outputSize, inputSize], `sourceAttention` and `targetAttention`
/// [heads, outputSize] (Glorot uniform, as PyG), `bias` (zeros).
public final class GraphAttentionConvolution: Module {
    public let heads: Int
    public let outputSize: Int
    public let concatenatesHeads: Bool
    public let weight: Tensor
    public let sourceAttention: Tensor
    public let targetAttention: Tensor
    public let bias: Tensor
    public let attentionDropout: Dropout
    public let negativeSlope: Float

    public init(inputSize: Int, outputSize: Int, heads: Int = 1, concatenatesHeads: Bool = true,
                attentionDropout: Float = 0, negativeSlope: Float = 0.2, generator: RandomGenerator) {
        precondition(heads >= 1, "GraphAttentionConvolution: \(heads) heads; need at least 1")
        self.heads = heads
        self.outputSize = outputSize
        self.concatenatesHeads = concatenatesHeads
        self.negativeSlope = negativeSlope
        weight = Initialization.xavierUniform([heads * outputSize, inputSize], generator: generator)
        // PyG initialises the [1, heads, out] attention vectors with fans (heads, out).
        sourceAttention = Initialization.xavierUniform([heads, outputSize], generator: generator)
        targetAttention = Initialization.xavierUniform([heads, outputSize], generator: generator)
        bias = Tensor.zeros([concatenatesHeads ? heads * outputSize : outputSize])
        self.attentionDropout = Dropout(probability: attentionDropout, generator: generator)
        super.init()
    }

    /// The attention weights of the last call, [edges with self-loops, heads] (for plots).
    public var lastAttention: Tensor? { lastAttentionHolder.first }
    /// Held in an array so that `Module` does not take it for a parameter (which would put it in the
    /// state dictionary and checkpoints, and make a fresh layer refuse a trained one's checkpoint).
    private var lastAttentionHolder: [Tensor] = []

    public func callAsFunction(_ features: Tensor, _ structure: GraphStructure) -> Tensor {
        let nodeCount = structure.nodeCount
        let (sources, targets) = structure.edgesWithSelfLoops
        let sourceIndex = IntTensor(sources), targetIndex = IntTensor(targets)
        let transformed = matmul(features, weight.transposed()).reshaped([nodeCount, heads, outputSize])
        let sourceScores = (transformed * sourceAttention).sum(axis: 2)   // [nodes, heads]
        let targetScores = (transformed * targetAttention).sum(axis: 2)
        let scores = (sourceScores.indexSelected(axis: 0, indices: sourceIndex)
                      + targetScores.indexSelected(axis: 0, indices: targetIndex)).leakyRelu(negativeSlope: negativeSlope)
        let attention = scores.segmentSoftmax(targets, segmentCount: nodeCount)   // [edges, heads]
        lastAttentionHolder = [attention.detached()]
        let dropped = attentionDropout(attention)
        let messages = transformed.indexSelected(axis: 0, indices: sourceIndex) * dropped.unsqueezed(axis: 2)
        let aggregated = messages.segmentSum(targets, segmentCount: nodeCount)   // [nodes, heads, out]
        let combined = concatenatesHeads ? aggregated.reshaped([nodeCount, heads * outputSize]) : aggregated.mean(axis: 1)
        return combined + bias
    }
}

/// Pooling of node values into one row per graph of a `GraphBatch` (PyG's `global_add_pool`,
/// `global_mean_pool`, `global_max_pool`); an empty graph pools to 0.
public enum GraphReadout {
    case sum, mean, max

    public func callAsFunction(_ nodeValues: Tensor, graphOfNode: [Int], graphCount: Int) -> Tensor {
        switch self {
        case .sum: nodeValues.segmentSum(graphOfNode, segmentCount: graphCount)
        case .mean: nodeValues.segmentMean(graphOfNode, segmentCount: graphCount)
        case .max: nodeValues.segmentMax(graphOfNode, segmentCount: graphCount)
        }
    }
}

/// Attention readout (Li et al., 2016; PyG's `AttentionalAggregation` with a linear gate): each node
/// scores itself, the scores become a softmax over its graph's nodes, and the graph's vector is the
/// weighted sum of its nodes' values.
public final class AttentionReadout: Module {
    public let gate: Linear

    public init(inputSize: Int, generator: RandomGenerator) {
        gate = Linear(inputSize: inputSize, outputSize: 1, generator: generator)
        super.init()
    }

    public func callAsFunction(_ nodeValues: Tensor, graphOfNode: [Int], graphCount: Int) -> Tensor {
        let weights = gate(nodeValues).segmentSoftmax(graphOfNode, segmentCount: graphCount)
        return (nodeValues * weights).segmentSum(graphOfNode, segmentCount: graphCount)
    }
}
