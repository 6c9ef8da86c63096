import Foundation
import Nabla
import NablaClassic
import NablaData
import NablaGraph

/// The node-classification graph of the `gnn-knn` lab and of `nabla bench gnn`: Fashion-MNIST images as
/// nodes, each joined to its nearest images, with a handful of labelled nodes per class.
///
/// - nodes: `nodeCount` images drawn at random from the training split; node features are the 784
///   pixels standardised with the split's published mean and deviation;
/// - edges: the `neighborCount`-nearest-neighbour graph (Euclidean) over the images' first 50 principal
///   components, made undirected without self-loops or duplicates (`Graph.nearestNeighbors`); principal
///   components keep the neighbours of the pixels while the search runs 16× fewer dimensions;
/// - masks: `labelledPerClass` labelled nodes of every class (the first in the random order), then
///   `validationCount` validation nodes, and every other node is a test node.
public struct FashionNeighborGraph {
    public let graph: Graph
    /// The principal components the edges were built on, [nodeCount, 50] (label propagation uses them).
    public let components: Matrix
    public static let componentCount = 50

    public init(graph: Graph, components: Matrix) {
        self.graph = graph
        self.components = components
    }

    public static func build(nodeCount: Int, neighborCount: Int, labelledPerClass: Int, validationCount: Int,
                             generator: RandomGenerator, folder: String? = nil) throws -> FashionNeighborGraph {
        let split = try FashionMNIST(.training, folder: folder)
        guard nodeCount <= split.count else {
            throw GraphError("fashion k-NN graph: \(nodeCount) nodes asked but the training split has \(split.count) images")
        }
        let picked = Array(generator.permutation(split.count).prefix(nodeCount))
        let (images, labelTensor) = split.batch(at: picked)
        let pixels = ((images.reshaped([nodeCount, 784]) - FashionMNIST.mean) / FashionMNIST.standardDeviation).contiguous()
        return try build(pixels: pixels, labels: labelTensor.scalars, neighborCount: neighborCount,
                         labelledPerClass: labelledPerClass, validationCount: validationCount)
    }

    /// The graph over given feature rows and labels (tests use small stand-ins for the images).
    public static func build(pixels: Tensor, labels: [Int], neighborCount: Int, labelledPerClass: Int,
                             validationCount: Int) throws -> FashionNeighborGraph {
        let nodeCount = pixels.shape[0]
        let classCount = (labels.max() ?? 0) + 1
        guard labelledPerClass * classCount + validationCount < nodeCount else {
            throw GraphError("fashion k-NN graph: \(labelledPerClass) labelled per class and \(validationCount) validation nodes leave no test node among \(nodeCount)")
        }
        let componentCount = min(componentCount, pixels.shape[1])
        let pca = try PrincipalComponentAnalysis(componentCount: componentCount).fit(Matrix(pixels))
        let components = try pca.transform(Matrix(pixels))
        var graph = try Graph.nearestNeighbors(features: components.tensor, neighborCount: neighborCount, labels: labels)
        graph.features = pixels
        var train = [Bool](repeating: false, count: nodeCount), validation = train
        var taken = [Int](repeating: 0, count: classCount), validationTaken = 0
        for node in 0..<nodeCount {
            if taken[labels[node]] < labelledPerClass {
                taken[labels[node]] += 1
                train[node] = true
            } else if validationTaken < validationCount {
                validationTaken += 1
                validation[node] = true
            }
        }
        guard taken.allSatisfy({ $0 == labelledPerClass }) else {
            throw GraphError("fashion k-NN graph: only \(taken) labelled nodes found per class; draw more nodes")
        }
        graph.trainMask = train
        graph.validationMask = validation
        graph.testMask = (0..<nodeCount).map { !train[$0] && !validation[$0] }
        return FashionNeighborGraph(graph: graph, components: components)
    }

    /// Writes the graph as NPZ in PyTorch Geometric's layout, for peers that train on the same graph:
    /// `edge_index` int64 [2, edges] (row 0 sources, row 1 targets), `x` float32 [nodes, 784], `y` int64
    /// [nodes], and `train_mask`, `val_mask`, `test_mask` int64 [nodes] of 0 and 1.
    public static func export(_ graph: Graph, to path: String) throws {
        func mask(_ values: [Bool]?) -> IntTensor { IntTensor((values ?? []).map { $0 ? 1 : 0 }) }
        try NPZ.write(["x": graph.features],
                      integers: ["edge_index": IntTensor(graph.sources + graph.targets, shape: [2, graph.edgeCount]),
                                 "y": IntTensor(graph.labels ?? []), "train_mask": mask(graph.trainMask),
                                 "val_mask": mask(graph.validationMask), "test_mask": mask(graph.testMask)],
                      to: path)
    }
}
