import Foundation
import Nabla
import NablaCheckpoint
import NablaData
import NablaGraph
import Testing
@testable import NablaLabs

@Suite struct GNNNeighborGraphTests {
    /// Ten classes of noisy points around their own centre: the k-NN graph joins mostly same-class points.
    static func clusters(count: Int, features: Int = 20, noise: Float = 1.6, seed: UInt64 = 3) -> (Tensor, [Int]) {
        let generator = RandomGenerator(seed: seed)
        let centres = generator.normal([10, features]).scalars
        let labels = (0..<count).map { $0 % 10 }
        let jitter = generator.normal([count, features]).scalars
        var values = [Float](repeating: 0, count: count * features)
        for row in 0..<count { for column in 0..<features { values[row * features + column] = centres[labels[row] * features + column] + noise * jitter[row * features + column] } }
        return (Tensor(values, shape: [count, features]), labels)
    }

    @Test func masksGraphAndExportFollowTheDocumentedLayout() throws {
        let (pixels, labels) = Self.clusters(count: 300)
        let built = try FashionNeighborGraph.build(pixels: pixels, labels: labels, neighborCount: 5, labelledPerClass: 3, validationCount: 40)
        let graph = built.graph
        #expect(Graph.nodes(in: graph.trainMask!).count == 30 && Graph.nodes(in: graph.validationMask!).count == 40)
        #expect(Graph.nodes(in: graph.testMask!).count == 230)
        #expect(zip(zip(graph.trainMask!, graph.validationMask!), graph.testMask!).allSatisfy { [$0.0, $0.1, $1].filter { $0 }.count == 1 })
        #expect(graph.features.shape == [300, 20] && graph.inDegrees.allSatisfy { $0 >= 5 })
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-knn-\(UUID().uuidString).npz").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FashionNeighborGraph.export(graph, to: path)
        let archive = try NPZ.read(path)
        #expect(Set(archive.names) == ["edge_index", "x", "y", "train_mask", "val_mask", "test_mask"])
        #expect(try archive.array("edge_index").shape == [2, graph.edgeCount])
        #expect(try archive.array("x").shape == [300, 20])
        #expect(throws: GraphError.self) {
            try FashionNeighborGraph.build(pixels: pixels, labels: labels, neighborCount: 5, labelledPerClass: 20, validationCount: 100)
        }
    }

    /// With three labels per class and noisy features, the graph carries labels to similar points: GCN
    /// and label propagation both beat chance by far, and every kind of network trains without NaN.
    @Test func graphNetworksLearnFromFewLabels() throws {
        let (pixels, labels) = Self.clusters(count: 300)
        let graph = try FashionNeighborGraph.build(pixels: pixels, labels: labels, neighborCount: 5, labelledPerClass: 3, validationCount: 40).graph
        let structure = GraphStructure(graph)
        var accuracies: [NodeClassifier.Kind: Double] = [:]
        for kind in NodeClassifier.Kind.allCases {
            let run = try NodeClassificationRun.train(graph: graph, structure: structure, kind: kind, hiddenSize: kind == .gat ? 4 : 16,
                                                      dropout: 0.5, learningRate: 0.01, weightDecay: 5e-4, epochs: 60, seed: 1)
            #expect(run.epochSeconds.count == 60)
            accuracies[kind] = run.testAccuracy
        }
        #expect(accuracies[.gcn]! > 0.6, "\(accuracies)")
        #expect(accuracies.values.allSatisfy { $0 > 0.3 }, "\(accuracies)")
    }
}

@Suite struct GraphClassifierTests {
    /// The batched logits of several graphs equal each graph's logits alone, for both kinds.
    @Test func batchedLogitsEqualOneByOne() throws {
        let graphs = try SyntheticGraphSet.cyclesVersusTrees(count: 5, nodeCounts: 3...9, generator: RandomGenerator(seed: 1))
        let batch = try GraphBatch(graphs.map(\.graph))
        for kind in GraphClassifier.Kind.allCases {
            let network = GraphClassifier(kind: kind, inputSize: 1, hiddenSize: 6, layerCount: 2, classCount: 2, generator: RandomGenerator(seed: 2))
            let together = network(batch, GraphStructure(batch.graph)).scalars
            for (index, member) in graphs.enumerated() {
                let alone = try GraphBatch([member.graph])
                let logits = network(alone, GraphStructure(alone.graph)).scalars
                for (a, b) in zip(logits, together[(2 * index)..<(2 * index + 2)]) { #expect(abs(a - b) <= 1e-5 * max(1, abs(a)), "\(kind) graph \(index)") }
            }
        }
    }

    @Test func ginLearnsCyclesVersusTrees() throws {
        // Sum readouts must cancel the node count exactly, so the test accuracy swings from epoch to epoch; the best one shows what was learnt.
        let graphs = try SyntheticGraphSet.cyclesVersusTrees(count: 600, nodeCounts: 7...12, generator: RandomGenerator(seed: 3))
        let task = try GraphClassificationTask(training: Array(graphs.dropFirst(150)), test: Array(graphs.prefix(150)), kind: .gin,
                                               hiddenSize: 16, layerCount: 2, batchSize: 32, learningRate: 0.01, generator: RandomGenerator(seed: 4))
        var best = 0.0
        for epoch in 0..<25 {
            for members in task.epochBatches(epoch: epoch) { _ = try task.trainStep(members) }
            best = max(best, task.testAccuracy())
        }
        #expect(best >= 0.9)
    }
}

/// Stop each graph lab inside a later stage, resume, and end bit-identical to an uninterrupted run.
@Suite(.serialized) struct GNNLabResumeTests {
    func run(_ lab: any Lab, _ folder: URL, stopAfterSteps: Int? = nil, resume: Bool = false) throws -> LabRunSummary {
        var options = LabRunOptions()
        options.quick = true
        options.overrides = resume ? [] : lab.tinySettings
        if resume { options.resume = folder.path } else { options.output = folder.path }
        options.stopAfterSteps = stopAfterSteps
        return try LabRunner.run(lab, options: options)
    }

    func expectResumeIsBitIdentical(_ lab: any Lab, stopAfterSteps: Int, stages: [String]) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-\(lab.name)-resume-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let whole = try run(lab, root.appendingPathComponent("whole"))
        let folder = root.appendingPathComponent("resumed")
        #expect(try run(lab, folder, stopAfterSteps: stopAfterSteps).result.isInterrupted)
        let resumed = try run(lab, folder, resume: true)
        #expect(resumed.result.headline.bitPattern == whole.result.headline.bitPattern)
        for stage in stages {
            let name = "checkpoint.\(stage).safetensors"
            let wholeState = try TrainingCheckpoint.read(whole.folder.appendingPathComponent(name).path)
            let resumedState = try TrainingCheckpoint.read(resumed.folder.appendingPathComponent(name).path)
            #expect(!wholeState.model.isEmpty && wholeState.model.count == resumedState.model.count)
            for (key, tensor) in wholeState.model {
                #expect(resumedState.model[key]?.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern), "\(stage) \(key) differs")
            }
        }
        let figure = "section-2-1.png"
        let wholeBytes = try Data(contentsOf: whole.folder.appendingPathComponent(figure))
        let resumedBytes = try Data(contentsOf: resumed.folder.appendingPathComponent(figure))
        #expect(wholeBytes.count > 1000 && resumedBytes == wholeBytes)
    }

    /// Tiny gnn-knn: 300 Fashion-MNIST nodes, four networks of 3 one-step epochs; step 5 is inside GAT's.
    @Test func neighbourGraphLabResumes() throws {
        try expectResumeIsBitIdentical(GNNNeighborGraphLab(), stopAfterSteps: 5, stages: ["gcn", "gat", "sage", "mlp"])
    }

    /// Tiny gnn-graphs: 18 training graphs in batches of 8 (3 steps an epoch), 2 epochs per stage; step 8
    /// is inside the second stage's second epoch.
    @Test func graphClassificationLabResumes() throws {
        try expectResumeIsBitIdentical(GNNGraphClassificationLab(), stopAfterSteps: 8,
                                       stages: ["cycles-gin", "cycles-gcn", "triangles-gin", "triangles-gcn"])
    }
}
