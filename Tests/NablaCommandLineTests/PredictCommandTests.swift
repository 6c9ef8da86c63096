import ArgumentParser
import Foundation
import Nabla
import NablaData
import NablaLabs
@testable import nabla
import Testing

/// `nabla predict` on the test IDX file gives the accuracy the training run reported; `nabla evaluate`
/// scores the same images; NPY, PNG-less CSV inputs are read; inputs of the wrong shape are refused.
@Suite struct PredictCommandTests {
    /// A small stand-in for Fashion-MNIST (class k lights rows 2k…2k+2, but for a quarter of the images).
    static func writeData(to folder: URL, training: Int = 200, test: Int = 40) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (split, count) in [("train", training), ("t10k", test)] {
            var pixels: [Double] = [], labels: [Double] = []
            for index in 0..<count {
                let label = index % 10
                labels.append(Double(label))
                // Every fourth image lights another class's rows, so no model gets them all right.
                let lit = index % 4 == 0 ? (label + 1 + index % 9) % 10 : label
                for row in 0..<28 { for column in 0..<28 { pixels.append(row / 2 == lit ? 200 : Double((index * 31 + row * 7 + column) % 40)) } }
            }
            try IDX.write(pixels, shape: [count, 28, 28], as: .unsignedByte, to: folder.appendingPathComponent("\(split)-images-idx3-ubyte").path)
            try IDX.write(labels, shape: [count], as: .unsignedByte, to: folder.appendingPathComponent("\(split)-labels-idx1-ubyte").path)
        }
    }

    @Test func predictGivesTheAccuracyTheRunReportedAndEvaluateAgrees() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-predict-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        try Self.writeData(to: data)
        let run = root.appendingPathComponent("run")
        var options = LabRunOptions()
        options.quick = true
        options.overrides = ["epochs=1", "batch_size=20", "test_examples=40"]
        options.output = run.path
        options.dataFolder = data.path
        _ = try LabRunner.run(FashionClassifierLab.mlp, options: options)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("summary.json"))) as? [String: Any])
        let reported = try #require(summary["test_accuracy"] as? Double)
        #expect(reported > 0.5 && reported < 1, "the data are made so that the run gets some but not all right: \(reported)")

        let images = data.appendingPathComponent("t10k-images-idx3-ubyte").path
        let csv = root.appendingPathComponent("predictions.csv").path
        try PredictCommand.parse([run.path, images, "--output", csv]).run()
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        #expect(lines[0].prefix(5) == ["index", "label", "predicted", "name", "probability"])
        let rows = lines.dropFirst()
        #expect(rows.count == 40)
        let correct = rows.filter { $0[1] == $0[2] }.count
        #expect(abs(Double(correct) / 40 - reported) < 1e-9, "predict: \(correct)/40, the run reported \(reported)")
        for row in rows {
            let probabilities = row[5...].compactMap(Double.init)
            #expect(probabilities.count == 10 && abs(probabilities.reduce(0, +) - 1) < 1e-4)
            #expect(Double(row[4]) == probabilities.max())
        }

        // The same images as NPY (0–255 values) and as a labelled CSV give the same predictions.
        let array = try IDX.read(images)
        let npy = root.appendingPathComponent("images.npy").path
        try NPY.write(array.tensor(), to: npy)
        let fromNPY = try ClassifierInputs.read(npy)
        #expect(fromNPY.pixels.shape == [40, 1, 28, 28] && fromNPY.labels == nil)
        let fromIDX = try ClassifierInputs.read(images)
        #expect(fromNPY.pixels.scalars == fromIDX.pixels.scalars)
        let labelled = root.appendingPathComponent("images.csv").path
        let pixels = array.tensor().scalars
        let csvRows = (0..<40).map { index in
            (["\(index % 10)"] + pixels[(index * 784)..<((index + 1) * 784)].map { "\(Int($0))" }).joined(separator: ",")
        }
        try (["label," + (1...784).map { "pixel\($0)" }.joined(separator: ",")] + csvRows).joined(separator: "\n")
            .write(toFile: labelled, atomically: true, encoding: .utf8)
        let fromCSV = try ClassifierInputs.read(labelled)
        #expect(fromCSV.labels == fromIDX.labels)
        #expect(fromCSV.pixels.scalars == fromIDX.pixels.scalars)

        let scores = ClassificationScores(predictions: try RunFolderClassifier.load(run.path).classifier.predictions(fromCSV.pixels),
                                          labels: fromCSV.labels!, classCount: 10)
        #expect(abs(scores.accuracy - reported) < 1e-9)
        try EvaluateCommand.parse([run.path, "--data-folder", data.path]).run()
        try EvaluateCommand.parse([run.path, "--data", labelled]).run()

        // An array of the wrong shape is refused with the shapes it accepts.
        let wrong = root.appendingPathComponent("wrong.npy").path
        try NPY.write(Tensor.zeros([3, 27, 28]), to: wrong)
        #expect(throws: ExitCode.self) { try PredictCommand.parse([run.path, wrong]).run() }
    }

    @Test func scoresFollowScikitLearn() {
        // sklearn.metrics.classification_report on y_true [0,0,1,1,2], y_pred [0,1,1,1,0]:
        // precision 0.5, 0.6667, 0; recall 0.5, 1, 0; f1 0.5, 0.8, 0.
        let scores = ClassificationScores(predictions: [0, 1, 1, 1, 0], labels: [0, 0, 1, 1, 2], classCount: 3)
        #expect(scores.confusion == [[1, 1, 0], [0, 2, 0], [1, 0, 0]])
        #expect(abs(scores.precision(1) - 2.0 / 3) < 1e-12 && scores.recall(1) == 1 && abs(scores.f1(1) - 0.8) < 1e-12)
        #expect(scores.precision(2) == 0 && scores.f1(2) == 0 && scores.accuracy == 0.6)
    }
}
