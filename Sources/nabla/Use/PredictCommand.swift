import ArgumentParser
import Foundation
import Nabla
import NablaData
import NablaLabs
import NablaTrust

/// `nabla predict RUN_DIR INPUT`: the classes a trained fashion-mlp / fashion-cnn run gives to images in
/// a file, with their probabilities; the accuracy too when the file comes with labels.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify images with a trained fashion-mlp or fashion-cnn run (prints or writes predictions with probabilities).",
        discussion: """
            INPUT is an IDX file of images (e.g. t10k-images-idx3-ubyte[.gz]; the labels file beside it, when \
            there, gives the accuracy), an NPY array of (N, 28, 28), (N, 784) or (N, 1, 28, 28), a 28×28 PNG, \
            or a CSV of 784 pixel columns (785 with the label first). Pixels in 0–255 or [0, 1].

            Examples:
              nabla predict runs/fashion-cnn /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz --output predictions.csv
              nabla predict runs/fashion-mlp shirt.png
            """
    )

    @Argument(help: "A run folder of fashion-cnn or fashion-mlp.") var runFolder: String
    @Argument(help: "An IDX, NPY, PNG or CSV file of 28×28 images.") var input: String
    @Option(help: "Write the predictions as CSV (index, label when known, predicted class and name, probability, p0…p9) instead of printing them.")
    var output: String?
    @Option(help: "Rows printed when there is no --output (default 20; 0 prints none, only the summary).") var limit = 20

    func validate() throws {
        guard limit >= 0 else { throw ValidationError("--limit must be at least 0, not \(limit)") }
    }

    func run() throws {
        let classifier: PixelClassifier, description: String, inputs: ClassifierInputs
        do {
            let loaded = try RunFolderClassifier.load(runFolder)
            (classifier, description) = (loaded.classifier, loaded.description)
            inputs = try ClassifierInputs.read(input)
        } catch {
            throw failure("\(error)")
        }
        let probabilities = withoutGradients {
            inputs.pixels.split(size: 500, axis: 0).map { classifier.logits($0).softmax(axis: 1) }
        }
        let flat = probabilities.flatMap(\.scalars)
        let classes = classifier.classCount
        let count = inputs.pixels.shape[0]
        var predictions: [Int] = []
        var rows: [String] = []
        let names = FashionMNIST.classNames
        for index in 0..<count {
            let row = Array(flat[(index * classes)..<((index + 1) * classes)])
            let best = row.indices.max { row[$0] < row[$1] }!
            predictions.append(best)
            let label = inputs.labels.map { "\($0[index])," } ?? ""
            rows.append("\(index),\(label)\(best),\(names[best]),\(String(format: "%.6f", row[best])),"
                        + row.map { String(format: "%.6f", $0) }.joined(separator: ","))
        }
        print("\(description): \(count) image\(count == 1 ? "" : "s") from \(input)")
        let header = "index," + (inputs.labels == nil ? "" : "label,") + "predicted,name,probability,"
            + (0..<classes).map { "p\($0)" }.joined(separator: ",")
        if let output {
            do {
                try writeFileAtomically(([header] + rows).joined(separator: "\n") + "\n", to: output)
            } catch {
                throw failure("cannot write \(output): \(error)")
            }
            print("predictions: \(output)")
        } else if limit > 0 {
            print(header)
            rows.prefix(limit).forEach { print($0) }
            if count > limit { print("… \(count - limit) more (--output FILE.csv writes them all, --limit N prints more)") }
        }
        if let labels = inputs.labels {
            let scores = ClassificationScores(predictions: predictions, labels: labels, classCount: classes)
            print("accuracy \(String(format: "%.4f", scores.accuracy)) (\(scores.total) images, labels from \(inputs.labelSource ?? "the input"))")
        }
    }
}
