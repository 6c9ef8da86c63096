import Foundation
import Nabla
import NablaGraph
import NablaNN
import NablaTrain
import NablaViz

/// Graph classification with the graph isomorphism network. (Lecture: graph neural networks.)
///
/// Two synthetic sets where the class is a fact of a graph's shape (every node's feature is 1): trees
/// against graphs with one cycle, and trees with 0, 1 or 2 triangles. Many small graphs train together
/// as one block-diagonal graph per batch (`GraphBatch`); a readout pools each graph's nodes into one
/// vector. GIN sums its neighbours and its nodes, so it can count; a GCN with a mean readout averages,
/// which blurs how many edges a graph has (Xu et al., 2019). The report shows example graphs, both
/// models' test accuracy per set, and their curves.
public struct GNNGraphClassificationLab: Lab {
    public init() {}

    public var name: String { "gnn-graphs" }
    public var lecture: String { "Graph neural networks" }
    public var summary: String { "GIN against GCN with mean readout on cycles vs trees and triangle counting, batching many small graphs" }
    public var settings: [LabSetting] {
        [.integer("graphs", 1_200, quick: 600, in: 12...100_000, "graphs per set (a quarter are test graphs)"),
         .integer("min_nodes", 7, in: 7...200, "fewest nodes of a graph"),
         .integer("max_nodes", 14, in: 7...200, "most nodes of a graph"),
         .integer("epochs", 40, quick: 20, in: 1...10_000, "passes over the training graphs"),
         .integer("batch_size", 32, in: 1...4_096, "graphs per Adam step"),
         .integer("hidden_units", 16, in: 1...512, "width of every message-passing layer"),
         .integer("layers", 2, in: 1...8, "message-passing layers"),
         .real("learning_rate", 0.01, in: 1e-6...1, "Adam's step size")]
    }
    public var tinySettings: [String] { ["graphs=24", "epochs=2", "batch_size=8", "hidden_units=8", "layers=2"] }
    public var baseline: Baseline {
        Baseline(metric: "gin_mean_test_accuracy", value: 0.9,
                 source: "GIN separates graphs that differ in their edge count (Xu et al., 2019); chance is 0.5 and 0.33",
                 quickValue: 0.8)
    }

    /// The two sets, in report order.
    enum GraphSet: String, CaseIterable {
        case cycles, triangles
        var title: String { self == .cycles ? "cycles vs trees" : "triangle count" }
        var classNames: [String] { self == .cycles ? ["tree", "one cycle"] : ["0 triangles", "1 triangle", "2 triangles"] }
    }

    public func run(_ context: LabContext) throws -> LabResult {
        let settings = context.settings
        let minimum = settings.integer("min_nodes"), maximum = settings.integer("max_nodes")
        guard minimum <= maximum else {
            throw LabError("gnn-graphs: min_nodes \(minimum) exceeds max_nodes \(maximum); choose min_nodes ≤ max_nodes")
        }
        var results: [(set: GraphSet, kind: GraphClassifier.Kind, accuracy: Double, curve: [Double])] = []
        var examples: [(graph: Graph, label: Int, set: GraphSet)] = []
        for (setIndex, set) in GraphSet.allCases.enumerated() {
            let generator = context.generator(stream: UInt64(10 + setIndex))
            let count = settings.integer("graphs")
            let graphs = set == .cycles
                ? try SyntheticGraphSet.cyclesVersusTrees(count: count, nodeCounts: minimum...maximum, generator: generator)
                : try SyntheticGraphSet.triangleCounts(count: count, nodeCounts: minimum...maximum, generator: generator)
            let testCount = max(count / 4, 1)
            let test = Array(graphs.prefix(testCount)), training = Array(graphs.dropFirst(testCount))
            examples += graphs.prefix(set == .cycles ? 4 : 6).map { ($0.graph, $0.label, set) }
            for (kindIndex, kind) in GraphClassifier.Kind.allCases.enumerated() {
                let task = try GraphClassificationTask(
                    training: training, test: test, kind: kind, hiddenSize: settings.integer("hidden_units"),
                    layerCount: settings.integer("layers"), batchSize: settings.integer("batch_size"),
                    learningRate: settings.real("learning_rate"), generator: context.generator(stream: UInt64(20 + 2 * setIndex + kindIndex)))
                let outcome = try context.train(task, epochs: settings.integer("epochs"), stage: "\(set.rawValue)-\(kind.rawValue)")
                guard outcome.isOver else { return .interrupted }
                let curve = outcome.state.metrics.compactMap { $0["test_accuracy"] }
                results.append((set, kind, curve.last ?? .nan, curve))
                context.log("\(set.title), \(kind.rawValue): test accuracy \(String(format: "%.4f", curve.last ?? .nan))")
            }
        }
        let gin = results.filter { $0.kind == .gin }.map(\.accuracy)
        let ginMean = gin.reduce(0, +) / Double(gin.count)
        let names = results.map { "\($0.set.title): \($0.kind.rawValue.uppercased())" }
        let bars = BarChart(width: 640, height: 400, title: "Test accuracy by set and model", yLabel: "test accuracy",
                            categories: names, values: results.map(\.accuracy),
                            colors: results.map { Palette.color(forCategory: $0.kind == .gin ? 0 : 1) }, showsValues: true)
        let curves = results.enumerated().map { index, result in
            LineChart.Series(name: names[index], x: result.curve.indices.map { Double($0 + 1) }, y: result.curve, color: Palette.color(forLine: index))
        }
        let pictures = examples.map { Self.drawing(of: $0.graph, color: Palette.color(forCategory: $0.label + 2)) }
        let captions = examples.map { ImageCaption(["\($0.set.title)", $0.set.classNames[$0.label], "\($0.graph.nodeCount) nodes"]) }
        var summary: [(key: String, value: Any)] = [("gin_mean_test_accuracy", ginMean)]
        for result in results { summary.append(("\(result.set.rawValue)_\(result.kind.rawValue)_test_accuracy", result.accuracy)) }
        return LabResult(headline: ginMean, summary: summary, sections: [
            .figure("Test accuracy", bars, caption: "GIN (sum aggregation, sum readout) against GCN (normalised mean aggregation, mean readout); chance is 0.5 for cycles vs trees and 0.33 for triangle counts."),
            .lineChart("Test accuracy during training", xLabel: "epoch", yLabel: "test accuracy", series: curves),
            .imageGrid("Example graphs", images: pictures, captions: captions, columns: 5,
                       caption: "The first graphs of each set (force-directed layout); every node's only feature is the constant 1."),
        ])
    }

    /// A force-directed picture of a small graph (Fruchterman and Reingold, 1991): nodes start on a
    /// circle, edges pull, all pairs push, 150 cooling steps; deterministic.
    static func drawing(of graph: Graph, color: Color, size: Int = 160) -> Canvas {
        let count = graph.nodeCount
        var positions = (0..<count).map { index -> (Double, Double) in
            let angle = 2 * Double.pi * Double(index) / Double(max(count, 1))
            return (cos(angle), sin(angle))
        }
        let ideal = 2 / Double(max(count, 1)).squareRoot()
        for step in 0..<150 {
            var moves = [(Double, Double)](repeating: (0, 0), count: count)
            for first in 0..<count {
                for second in 0..<count where second != first {
                    let dx = positions[first].0 - positions[second].0, dy = positions[first].1 - positions[second].1
                    let distance = max((dx * dx + dy * dy).squareRoot(), 1e-3)
                    let push = ideal * ideal / distance
                    moves[first].0 += dx / distance * push
                    moves[first].1 += dy / distance * push
                }
            }
            for (source, target) in zip(graph.sources, graph.targets) where source != target {
                let dx = positions[target].0 - positions[source].0, dy = positions[target].1 - positions[source].1
                let distance = max((dx * dx + dy * dy).squareRoot(), 1e-3)
                let pull = distance * distance / ideal / 2   // Each undirected edge is listed twice.
                moves[source].0 += dx / distance * pull
                moves[source].1 += dy / distance * pull
            }
            let temperature = 0.2 * (1 - Double(step) / 150)
            for node in 0..<count {
                let length = max((moves[node].0 * moves[node].0 + moves[node].1 * moves[node].1).squareRoot(), 1e-9)
                let scale = min(length, temperature) / length
                positions[node].0 += moves[node].0 * scale
                positions[node].1 += moves[node].1 * scale
            }
        }
        let xs = positions.map(\.0), ys = positions.map(\.1)
        let (minX, maxX, minY, maxY) = (xs.min() ?? 0, xs.max() ?? 1, ys.min() ?? 0, ys.max() ?? 1)
        let margin = 12.0, span = Double(size) - 2 * margin
        let scale = span / max(maxX - minX, maxY - minY, 1e-9)
        func point(_ node: Int) -> Point {
            Point(x: margin + (positions[node].0 - minX) * scale + (span - (maxX - minX) * scale) / 2,
                  y: margin + (positions[node].1 - minY) * scale + (span - (maxY - minY) * scale) / 2)
        }
        var canvas = Canvas(width: size, height: size)
        for (source, target) in zip(graph.sources, graph.targets) where source < target {
            canvas.strokePolyline([point(source), point(target)], color: .darkGrey, thickness: 1.5)
        }
        for node in 0..<count { canvas.fillCircle(center: point(node), radius: 4, color: color) }
        return canvas
    }
}
