import ArgumentParser
import Foundation
import NablaData
import NablaLabs
import NablaTrust

/// `nabla evaluate RUN_DIR`: accuracy, per-class precision/recall/F1 and the confusion matrix of a trained
/// fashion-mlp / fashion-cnn run on the Fashion-MNIST test set (or on another labelled file).
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Accuracy, per-class precision/recall/F1 and the confusion matrix of a trained fashion-mlp or fashion-cnn run.",
        discussion: """
            By default on the Fashion-MNIST test set (10,000 images) of --data-folder, NABLA_FASHION_MNIST or \
            \(FashionMNIST.defaultFolder); --data FILE evaluates on a labelled IDX images file (its labels file \
            beside it) or a CSV whose first column is the label.

            Example:
              nabla evaluate runs/fashion-cnn
            """
    )

    @Argument(help: "A run folder of fashion-cnn or fashion-mlp.") var runFolder: String
    @Option(help: "A labelled IDX images file or CSV (default: the Fashion-MNIST test set).") var data: String?
    @Option(help: "The Fashion-MNIST folder (default: NABLA_FASHION_MNIST, else \(FashionMNIST.defaultFolder)).") var dataFolder: String?

    func run() throws {
        let classifier: PixelClassifier, description: String, inputs: ClassifierInputs
        do {
            let loaded = try RunFolderClassifier.load(runFolder)
            (classifier, description) = (loaded.classifier, loaded.description)
            if let data {
                inputs = try ClassifierInputs.read(data)
                guard inputs.labels != nil else {
                    throw LabError("\(data) comes without labels; give an IDX images file with its labels file beside it, or a CSV whose first column is the label")
                }
            } else {
                let test = try FashionMNIST(.test, folder: dataFolder)
                inputs = ClassifierInputs(pixels: test.images.reshaped([test.count, 1, 28, 28]), labels: test.labels.scalars,
                                          labelSource: "the Fashion-MNIST test set")
            }
        } catch {
            throw failure("\(error)")
        }
        let labels = inputs.labels!
        let scores = ClassificationScores(predictions: classifier.predictions(inputs.pixels), labels: labels, classCount: classifier.classCount)
        print("\(description) on \(scores.total) images of \(inputs.labelSource ?? data ?? "the input")")
        print("accuracy \(String(format: "%.4f", scores.accuracy))")
        print("")
        let names = FashionMNIST.classNames
        let width = max(names.map(\.count).max()!, 5)
        func padded(_ text: String, _ size: Int) -> String { String(repeating: " ", count: max(0, size - text.count)) + text }
        print(padded("class", width + 4) + "  precision  recall      f1  support")
        for k in 0..<scores.classCount {
            print(padded("\(k) \(names[k])", width + 4) + "  " + padded(String(format: "%.4f", scores.precision(k)), 9)
                  + "  " + padded(String(format: "%.4f", scores.recall(k)), 6) + "  " + padded(String(format: "%.4f", scores.f1(k)), 6)
                  + "  " + padded("\(scores.support(k))", 7))
        }
        print("")
        print("confusion matrix (rows: true class, columns: predicted class)")
        print(padded("", 4) + (0..<scores.classCount).map { padded("\($0)", 6) }.joined())
        for k in 0..<scores.classCount {
            print(padded("\(k)", 4) + scores.confusion[k].map { padded("\($0)", 6) }.joined())
        }
    }
}
