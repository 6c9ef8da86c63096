import Nabla

/// Many small graphs as one block-diagonal graph: node indices of graph k are shifted by the node
/// counts of graphs 0..<k, so no edge crosses between graphs and message passing runs on all of them in
/// one pass. `graphOfNode` says which graph each node came from (PyTorch Geometric's `batch` vector),
/// for the readouts that pool each graph's nodes.
public struct GraphBatch {
    /// The block-diagonal union (labels: the node labels when every graph has them).
    public let graph: Graph
    /// For every node of `graph`, the index of the graph it came from.
    public let graphOfNode: [Int]
    /// Where each graph's nodes start in `graph`, plus the total at the end.
    public let nodeOffsets: [Int]
    public var graphCount: Int { nodeOffsets.count - 1 }

    /// Throws when the graphs' feature widths differ.
    public init(_ graphs: [Graph]) throws {
        let widths = Set(graphs.map(\.featureCount))
        guard widths.count <= 1 else { throw GraphError("graph batch: feature widths \(widths.sorted()) differ; every graph needs the same") }
        var offsets = [0], sources = [Int](), targets = [Int](), owners = [Int]()
        for (index, member) in graphs.enumerated() {
            let offset = offsets.last!
            sources += member.sources.map { $0 + offset }
            targets += member.targets.map { $0 + offset }
            owners += repeatElement(index, count: member.nodeCount)
            offsets.append(offset + member.nodeCount)
        }
        let features = graphs.isEmpty ? Tensor.zeros([0, 0]) : Tensor.concat(graphs.map(\.features), axis: 0)
        let labels: [Int]? = graphs.allSatisfy { $0.labels != nil } ? graphs.flatMap { $0.labels! } : nil
        graph = try Graph(nodeCount: offsets.last!, sources: sources, targets: targets, features: features, labels: labels)
        graphOfNode = owners
        nodeOffsets = offsets
    }

    /// Rows `nodeOffsets[k]..<nodeOffsets[k+1]` of a per-node tensor: graph k's part.
    public func part(_ nodeValues: Tensor, graph index: Int) -> Tensor {
        nodeValues.sliced(axis: 0, start: nodeOffsets[index], end: nodeOffsets[index + 1])
    }
}
