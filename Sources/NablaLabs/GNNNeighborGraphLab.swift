import Foundation
import Nabla
import NablaClassic
import NablaGraph
import NablaNN
import NablaOptim
import NablaTrain
import NablaViz

/// Node classification on a k-nearest-neighbour graph of Fashion-MNIST. (Lecture: graph neural networks.)
///
/// Images become nodes, each joined to its nearest images (`FashionNeighborGraph`); only 20 images of
/// each class are labelled. A graph network may use the unlabelled images through the edges: a node
/// whose neighbours look like trousers is probably trousers. Four two-layer networks train on the same
/// 200 labels (GCN, GAT, GraphSAGE and an MLP that ignores the edges), beside NablaClassic's label
/// propagation on the same graph, which uses the edges but no learnt features. The graph is written to
/// `graph.npz` in the run folder, so a PyTorch Geometric peer can train on exactly the same nodes, edges
/// and labels (scripts/peers/pyg_gcn.py, `nabla bench gnn`).
public struct GNNNeighborGraphLab: Lab {
    public init() {}

    public var name: String { "gnn-knn" }
    public var lecture: String { "Graph neural networks" }
    public var summary: String { "GCN, GAT, GraphSAGE, an MLP and label propagation on a k-NN graph of Fashion-MNIST with 20 labels per class" }
    public var settings: [LabSetting] {
        [.integer("nodes", 10_000, quick: 2_000, in: 100...60_000, "training images drawn as nodes"),
         .integer("neighbors", 10, in: 1...100, "each node's nearest images joined to it (then made undirected)"),
         .integer("labelled_per_class", 20, in: 1...1_000, "labelled nodes of each class"),
         .integer("validation_nodes", 500, in: 0...10_000, "validation nodes (the rest are test nodes)"),
         .integer("epochs", 200, quick: 100, in: 1...10_000, "full-graph Adam steps per network"),
         .integer("hidden_units", 16, in: 1...1_024, "hidden width of GCN, GraphSAGE and the MLP"),
         .integer("attention_units", 8, in: 1...256, "hidden units of each of GAT's 8 heads"),
         .real("dropout", 0.5, in: 0...0.95, "dropout on the input and hidden features (and GAT's attention)"),
         .real("learning_rate", 0.01, in: 1e-6...1, "Adam's step size"),
         .real("weight_decay", 5e-4, in: 0...1, "L2 penalty added to the gradient, as torch.optim.Adam's weight_decay")]
    }
    public var tinySettings: [String] { ["nodes=300", "labelled_per_class=3", "validation_nodes=50", "epochs=3", "attention_units=2"] }
    public var baseline: Baseline {
        Baseline(metric: "gcn_test_accuracy", value: 0.74,
                 source: "within a point of the MLP that ignores the graph on the same 200 labels (measured 0.751 full, 0.756 quick)", quickValue: 0.70)
    }

    public func run(_ context: LabContext) throws -> LabResult {
        let settings = context.settings
        let built = try FashionNeighborGraph.build(
            nodeCount: settings.integer("nodes"), neighborCount: settings.integer("neighbors"),
            labelledPerClass: settings.integer("labelled_per_class"), validationCount: settings.integer("validation_nodes"),
            generator: context.generator(stream: 0), folder: context.dataFolder)
        let graph = built.graph
        try FashionNeighborGraph.export(graph, to: context.folder.path("graph.npz"))
        context.log("k-NN graph: \(graph.nodeCount) nodes, \(graph.edgeCount / 2) undirected edges, "
                    + "\(Graph.nodes(in: graph.trainMask!).count) labelled (written to graph.npz)")
        let structure = GraphStructure(graph)
        var results: [MethodResult] = []
        for (index, kind) in NodeClassifier.Kind.allCases.enumerated() {
            let isAttention = kind == .gat
            let task = NodeClassificationTask(
                graph: graph, structure: structure, kind: kind,
                hiddenSize: settings.integer(isAttention ? "attention_units" : "hidden_units"),
                dropout: Float(settings.real("dropout")), learningRate: settings.real("learning_rate"),
                weightDecay: settings.real("weight_decay"), generator: context.generator(stream: UInt64(index + 1)))
            let start = Date()
            let outcome = try context.train(task, epochs: settings.integer("epochs"), stage: kind.rawValue)
            guard outcome.isOver else { return .interrupted }
            let rows = outcome.state.metrics
            results.append(MethodResult(name: Self.displayName(kind), key: kind.rawValue, testAccuracy: rows.last?["test_accuracy"] ?? .nan,
                                        validationAccuracy: rows.last?["val_accuracy"] ?? .nan,
                                        seconds: Date().timeIntervalSince(start), curve: rows.compactMap { $0["test_accuracy"] }))
        }
        let start = Date()
        let partial: [Int?] = (0..<graph.nodeCount).map { graph.trainMask![$0] ? graph.labels![$0] : nil }
        let propagated = try LabelPropagation(graph: .nearestNeighbors(count: settings.integer("neighbors")))
            .fit(built.components, labels: partial)
        results.append(MethodResult(name: "label propagation", key: "label_propagation",
                                    testAccuracy: NodeClassificationTask.accuracy(propagated.labels, graph.labels!, graph.testMask!),
                                    validationAccuracy: NodeClassificationTask.accuracy(propagated.labels, graph.labels!, graph.validationMask!),
                                    seconds: Date().timeIntervalSince(start), curve: []))
        for result in results {
            context.log("\(result.name): test accuracy \(String(format: "%.4f", result.testAccuracy)) (\(String(format: "%.1f", result.seconds)) s)")
        }
        return LabResult(headline: results[0].testAccuracy,
                         summary: results.map { ("\($0.key)_test_accuracy", $0.testAccuracy) }
                            + [("nodes", graph.nodeCount), ("undirected_edges", graph.edgeCount / 2)],
                         sections: Self.sections(results, graph: graph))
    }

    static func displayName(_ kind: NodeClassifier.Kind) -> String {
        switch kind {
        case .gcn: "GCN"
        case .gat: "GAT"
        case .sage: "GraphSAGE"
        case .mlp: "MLP (no edges)"
        }
    }

    struct MethodResult {
        let name: String
        /// The name in summary.json keys.
        let key: String
        let testAccuracy: Double
        let validationAccuracy: Double
        let seconds: Double
        /// Test accuracy after each epoch (empty for label propagation).
        let curve: [Double]
    }

    static func sections(_ results: [MethodResult], graph: Graph) -> [ReportSection] {
        let labelled = Graph.nodes(in: graph.trainMask!).count, tested = Graph.nodes(in: graph.testMask!).count
        let bars = BarChart(width: 640, height: 400, title: "Test accuracy with \(labelled) labelled nodes of \(graph.nodeCount)",
                            yLabel: "test accuracy", categories: results.map(\.name), values: results.map(\.testAccuracy),
                            colors: results.indices.map { Palette.color(forCategory: $0) }, showsValues: true)
        let curves = results.enumerated().filter { !$0.element.curve.isEmpty }.map { index, result in
            LineChart.Series(name: result.name, x: result.curve.indices.map { Double($0 + 1) }, y: result.curve, color: Palette.color(forLine: index))
        }
        return [
            .figure("Accuracy by method", bars,
                    caption: "Accuracy on the \(tested) test nodes; every method sees the same labels, graph and pixels."),
            .lineChart("Test accuracy during training", xLabel: "epoch", yLabel: "test accuracy", series: curves),
            .table("Methods", headers: ["method", "test accuracy", "validation accuracy", "seconds"],
                   rows: results.map { [$0.name, String(format: "%.4f", $0.testAccuracy), String(format: "%.4f", $0.validationAccuracy),
                                        String(format: "%.1f", $0.seconds)] },
                   caption: "Seconds: wall-clock time of each method's training (or propagation) in this run."),
        ]
    }
}
