import ArgumentParser
import Foundation
import Nabla
import NablaGraph
import NablaLabs

/// `nabla bench gnn`: the gnn-knn lab's two-layer GCN on its k-NN graph of Fashion-MNIST, trained once
/// per seed, as scripts/peers/pyg_gcn.py trains PyTorch Geometric's GCN on the same graph (written
/// with --export-graph): hidden 16, dropout 0.5, Adam lr 0.01 with weight decay 5e-4 on every
/// parameter, 200 full-graph epochs, 20 labelled nodes per class, test accuracy after the last epoch.
struct GraphBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gnn",
        abstract: "Two-layer GCN on the gnn-knn lab's k-NN graph of Fashion-MNIST (ms per epoch, accuracy over seeds).",
        discussion: "Prints one JSON object: ms_per_epoch (median over every epoch of every seed), the mean and deviation of the test accuracy over seeds, and the graph's size. With --quick, 2,000 nodes, 2 seeds, 50 epochs."
    )

    @Option(parsing: .unconditional, help: "Images drawn as nodes (default 10000; 2000 with --quick).") var nodes: Int?
    @Option(parsing: .unconditional, help: "Seeds trained (default 10; 2 with --quick).") var seeds: Int?
    @Option(parsing: .unconditional, help: "Epochs per seed (default 200; 50 with --quick).") var epochs: Int?
    @Option(parsing: .unconditional, help: "Nearest neighbours per node.") var neighbors = 10
    @Option(help: "Write the graph as NPZ (PyTorch Geometric's layout) to this file, for the peer.") var exportGraph: String?
    @Option(help: "Folder holding the Fashion-MNIST files.") var dataFolder: String?
    @Flag(help: "2,000 nodes, 2 seeds, 50 epochs: checks the command works, measures little.") var quick = false

    func validate() throws {
        if let nodes, !(300...60_000).contains(nodes) { throw ValidationError("--nodes must lie in 300...60000, not \(nodes)") }
        if let seeds, !(1...100).contains(seeds) { throw ValidationError("--seeds must lie in 1...100, not \(seeds)") }
        if let epochs, !(1...10_000).contains(epochs) { throw ValidationError("--epochs must lie in 1...10000, not \(epochs)") }
        guard (1...100).contains(neighbors) else { throw ValidationError("--neighbors must lie in 1...100, not \(neighbors)") }
    }

    func run() throws {
        let nodeCount = nodes ?? (quick ? 2_000 : 10_000), seedCount = seeds ?? (quick ? 2 : 10), epochCount = epochs ?? (quick ? 50 : 200)
        let built: FashionNeighborGraph
        do {
            built = try FashionNeighborGraph.build(nodeCount: nodeCount, neighborCount: neighbors, labelledPerClass: 20, validationCount: 500,
                                                   generator: RandomGenerator(seed: 0), folder: dataFolder)
            if let exportGraph { try FashionNeighborGraph.export(built.graph, to: exportGraph) }
        } catch {
            throw failure("\(error)")
        }
        let structure = GraphStructure(built.graph)
        var accuracies: [Double] = [], seconds: [Double] = []
        for seed in 0..<seedCount {
            let run = try NodeClassificationRun.train(graph: built.graph, structure: structure, kind: .gcn, hiddenSize: 16, dropout: 0.5,
                                                      learningRate: 0.01, weightDecay: 5e-4, epochs: epochCount, seed: UInt64(seed))
            accuracies.append(run.testAccuracy)
            // The first epoch of the first seed also builds the cached propagation matrix; PyG's cached GCN does the same.
            seconds += run.epochSeconds
        }
        let mean = accuracies.reduce(0, +) / Double(seedCount)
        let deviation = (accuracies.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(seedCount - 1, 1))).squareRoot()
        let median = seconds.sorted()[seconds.count / 2]
        printJSONLine(["benchmark": "gnn", "workload": quick ? "gcn-fashion-knn-quick" : "gcn-fashion-knn", "quick": quick,
                       "nodes": nodeCount, "edges": built.graph.edgeCount, "seeds": seedCount, "epochs": epochCount,
                       "ms_per_epoch": median * 1000, "test_acc": mean, "test_acc_std": deviation,
                       "seconds": seconds.reduce(0, +)])
    }
}
