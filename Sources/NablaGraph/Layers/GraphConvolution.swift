import Nabla
import NablaNN

/// The graph convolution of Kipf and Welling (2017), like PyTorch Geometric's `GCNConv`:
/// H' = D^{-1/2}(A + I)D^{-1/2} · H W + b. Each node averages its neighbours' (and its own) transformed
/// features, weighted by 1/√(dᵢ dⱼ) so high-degree nodes do not dominate.
///
/// Parameters `weight` [outputSize, inputSize] (Glorot uniform, as PyG) and `bias` [outputSize]
/// (zeros). Shapes: [nodes, inputSize] → [nodes, outputSize].
public final class GraphConvolution: Module {
    public let weight: Tensor
    public let bias: Tensor?

    public init(inputSize: Int, outputSize: Int, bias: Bool = true, generator: RandomGenerator) {
        weight = Initialization.xavierUniform([outputSize, inputSize], generator: generator)
        self.bias = bias ? Tensor.zeros([outputSize]) : nil
        super.init()
    }

    public func callAsFunction(_ features: Tensor, _ structure: GraphStructure) -> Tensor {
        precondition(features.rank == 2 && features.shape == [structure.nodeCount, weight.shape[1]],
                     "GraphConvolution: features \(features.shape) for \(structure.nodeCount) nodes and \(weight.shape[1]) inputs")
        // Transform first when it shrinks the width: the sparse product then moves fewer columns.
        let propagated: Tensor
        if weight.shape[0] <= weight.shape[1] {
            propagated = structure.normalizedAdjacency.matmul(matmul(features, weight.transposed()))
        } else {
            propagated = matmul(structure.normalizedAdjacency.matmul(features), weight.transposed())
        }
        guard let bias else { return propagated }
        return propagated + bias
    }
}

/// GraphSAGE (Hamilton et al., 2017), like PyG's `SAGEConv`: h'ᵢ = W₁ · agg_{j→i} hⱼ + W₂ hᵢ (+ b on
/// the neighbour term), with the mean or the element-wise max of the neighbours. An isolated node's
/// aggregate is 0.
public final class GraphSAGEConvolution: Module {
    public enum Aggregation: String, Sendable { case mean, max }
    public let aggregation: Aggregation
    public let neighbors: Linear
    public let root: Linear

    public init(inputSize: Int, outputSize: Int, aggregation: Aggregation = .mean, generator: RandomGenerator) {
        self.aggregation = aggregation
        neighbors = Linear(inputSize: inputSize, outputSize: outputSize, generator: generator)
        root = Linear(inputSize: inputSize, outputSize: outputSize, bias: false, generator: generator)
        super.init()
    }

    public func callAsFunction(_ features: Tensor, _ structure: GraphStructure) -> Tensor {
        let aggregated: Tensor
        switch aggregation {
        case .mean: aggregated = structure.meanAdjacency.matmul(features)
        case .max:
            let graph = structure.graph
            aggregated = features.indexSelected(axis: 0, indices: IntTensor(graph.sources))
                .segmentMax(graph.targets, segmentCount: graph.nodeCount)
        }
        return neighbors(aggregated) + root(features)
    }
}

/// The graph isomorphism network layer (Xu et al., 2019), like PyG's `GINConv`:
/// h'ᵢ = MLP((1 + ε) hᵢ + Σ_{j→i} hⱼ). Sum aggregation keeps multiset sizes apart, which mean and max
/// cannot; ε is 0 unless `trainEpsilon`.
public final class GraphIsomorphismConvolution: Module {
    public let network: any Layer
    public let epsilon: Tensor?

    public init(network: any Layer, trainEpsilon: Bool = false) {
        self.network = network
        epsilon = trainEpsilon ? Tensor.zeros([1]) : nil
        super.init()
    }

    public func callAsFunction(_ features: Tensor, _ structure: GraphStructure) -> Tensor {
        let neighbours = structure.sumAdjacency.matmul(features)
        let own = epsilon.map { features * ($0 + 1) } ?? features
        return network(own + neighbours)
    }
}
