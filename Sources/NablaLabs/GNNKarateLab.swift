import Foundation
import Nabla
import NablaCheckpoint
import NablaGraph
import NablaNN
import NablaOptim
import NablaTrain
import NablaViz

/// Graph convolutional networks on Zachary's karate club. (Lecture: graph neural networks.)
///
/// Each member knows only who their friends are (one-hot features); only the instructor and the
/// administrator are labelled. Two graph convolutions H' = tanh(D^{-1/2}(A + I)D^{-1/2} H W) map every
/// member to a point in the plane, and a linear classifier reads the faction off that point. Because a
/// layer mixes each member with their friends, the labels of two people spread along the friendships:
/// the animation shows the 2-D embedding of all 34 members as training proceeds, coloured by the faction
/// they actually joined after the club split.
public struct GNNKarateLab: Lab {
    public init() {}

    public var name: String { "gnn-karate" }
    public var lecture: String { "Graph neural networks" }
    public var summary: String { "GCN embedding of Zachary's karate club from two labelled members" }
    public var settings: [LabSetting] {
        [.integer("epochs", 300, quick: 150, in: 1...10_000, "full-graph Adam steps"),
         .integer("hidden_units", 16, in: 1...256, "width of the first graph convolution"),
         .real("learning_rate", 0.01, in: 1e-6...1, "Adam's step size"),
         .integer("frames", 30, in: 2...200, "frames of the embedding animation")]
    }
    public var tinySettings: [String] { ["epochs=3", "frames=2"] }
    public var baseline: Baseline {
        Baseline(metric: "unlabelled_accuracy", value: 0.85, source: "Kipf and Welling (2017) separate the karate club's factions with one label per faction",
                 quickValue: 0.7)
    }

    public func run(_ context: LabContext) throws -> LabResult {
        let epochs = context.settings.integer("epochs")
        let frameCount = min(context.settings.integer("frames"), epochs)
        let task = KarateTask(hiddenUnits: context.settings.integer("hidden_units"),
                              learningRate: context.settings.real("learning_rate"),
                              generator: context.generator(stream: 0),
                              frameEpochs: Set((0..<frameCount).map { ($0 + 1) * epochs / frameCount }))
        let outcome = try context.train(task, epochs: epochs, stage: "gcn")
        guard outcome.isOver else { return .interrupted }
        let graph = task.graph
        let (embedding, predictions) = task.embeddingAndPredictions()
        let unlabelled = Graph.nodes(in: graph.testMask!)
        let correct = unlabelled.filter { predictions[$0] == graph.labels![$0] }.count
        let accuracy = Double(correct) / Double(unlabelled.count)
        context.log("unlabelled members placed in their faction: \(correct) of \(unlabelled.count)")
        let names = ["Mr. Hi's faction", "Officer's faction"]
        let frames = task.frames.sorted { $0.key < $1.key }.map { epoch, points in
            ScatterPlot(width: 420, height: 360, title: "epoch \(epoch)", xLabel: "embedding 1", yLabel: "embedding 2",
                        x: points.map { $0[0] }, y: points.map { $0[1] }, classes: graph.labels!, classNames: names).rendered()
        }
        var sections: [ReportSection] = []
        if !frames.isEmpty {
            sections.append(.animation("Embedding of the 34 members during training", frames: frames, frameSeconds: 0.25,
                                       caption: "Only members 0 (Mr. Hi) and 33 (the Officer) are labelled; colours are the factions after the split."))
        }
        sections.append(.scatter("Final embedding", x: embedding.map { $0[0] }, y: embedding.map { $0[1] },
                                 classes: graph.labels!, classNames: names, xLabel: "embedding 1", yLabel: "embedding 2"))
        let wrong = unlabelled.filter { predictions[$0] != graph.labels![$0] }
        sections.append(.table("Result", headers: ["quantity", "value"],
                               rows: [["unlabelled members correct", "\(correct) of \(unlabelled.count)"],
                                      ["misplaced members", wrong.isEmpty ? "none" : wrong.map(String.init).joined(separator: ", ")]]))
        return LabResult(headline: accuracy, summary: [("unlabelled_accuracy", accuracy), ("correct", correct)], sections: sections)
    }
}

/// Full-graph training: one Adam step per epoch on the cross-entropy of the two labelled members.
final class KarateTask: TrainingTask {
    let graph = KarateClub.graph()
    let structure: GraphStructure
    let first: GraphConvolution
    let second: GraphConvolution
    let classifier: Linear
    let optimizer: Adam
    let frameEpochs: Set<Int>
    /// The 2-D embedding at each frame epoch (kept in checkpoints, so a resumed run animates them all).
    var frames: [Int: [[Double]]] = [:]
    private var epochsSeen = 0

    init(hiddenUnits: Int, learningRate: Double, generator: RandomGenerator, frameEpochs: Set<Int>) {
        structure = GraphStructure(graph)
        first = GraphConvolution(inputSize: KarateClub.nodeCount, outputSize: hiddenUnits, generator: generator)
        second = GraphConvolution(inputSize: hiddenUnits, outputSize: 2, generator: generator)
        classifier = Linear(inputSize: 2, outputSize: 2, generator: generator)
        optimizer = Adam(first.parameters() + second.parameters() + classifier.parameters(), configuration: .init(learningRate: learningRate))
        self.frameEpochs = frameEpochs
    }

    var models: KeyValuePairs<String, Module> { ["first": first, "second": second, "classifier": classifier] }
    var optimizers: KeyValuePairs<String, any Optimizer> { ["adam": optimizer] }
    var batchesPerEpoch: Int { 1 }
    func epochBatches(epoch: Int) -> AnyIterator<Int> { AnyIterator([epoch].makeIterator()) }

    func embedding() -> Tensor { second(first(graph.features, structure).tanh(), structure).tanh() }

    func trainStep(_ epoch: Int) throws -> StepResult {
        let labelled = Graph.nodes(in: graph.trainMask!)
        let logits = classifier(embedding()).indexSelected(axis: 0, indices: IntTensor(labelled))
        let loss = crossEntropy(logits, IntTensor(labelled.map { graph.labels![$0] }))
        minimize(loss, with: optimizer)
        return StepResult(loss: loss, count: labelled.count)
    }

    func evaluate(epoch: Int) throws -> [(key: String, value: Double)] {
        epochsSeen = epoch + 1
        let (points, predictions) = embeddingAndPredictions()
        if frameEpochs.contains(epoch + 1) || epoch == 0 { frames[epoch + 1] = points }
        let unlabelled = Graph.nodes(in: graph.testMask!)
        let correct = unlabelled.filter { predictions[$0] == graph.labels![$0] }.count
        return [("unlabelled_accuracy", Double(correct) / Double(unlabelled.count))]
    }

    func embeddingAndPredictions() -> (points: [[Double]], predictions: [Int]) {
        withoutGradients {
            let points = embedding()
            let predictions = classifier(points).max(axis: 1).indices.scalars
            let values = points.scalars.map(Double.init)
            return ((0..<graph.nodeCount).map { [values[2 * $0], values[2 * $0 + 1]] }, predictions)
        }
    }

    func saveState(into checkpoint: inout TrainingCheckpoint) throws {
        try checkpoint.setRecord(frames.map { FrameRecord(epoch: $0.key, points: $0.value) }.sorted { $0.epoch < $1.epoch }, forKey: "frames")
    }

    func restoreState(from checkpoint: TrainingCheckpoint) throws {
        let records = try checkpoint.record([FrameRecord].self, forKey: "frames") ?? []
        frames = Dictionary(uniqueKeysWithValues: records.map { ($0.epoch, $0.points) })
    }
}

private struct FrameRecord: Codable {
    let epoch: Int
    let points: [[Double]]
}
