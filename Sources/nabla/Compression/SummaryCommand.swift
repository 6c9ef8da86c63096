import ArgumentParser
import NablaCompression
import NablaLabs
import NablaTrust

/// `nabla summary RUN_DIR`: the torchinfo-like table of the model a fashion-mlp / fashion-cnn run trained.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print a model's layers, output shapes, parameters, multiply-adds and memory (like torchinfo).",
        discussion: "RUN_DIR is a folder `nabla train fashion-cnn` (or fashion-mlp) wrote. The table is for one 28×28 image unless --batch-size says otherwise."
    )

    @Argument(help: "A run folder of fashion-cnn or fashion-mlp.") var runFolder: String
    @Option(help: "Images in the batch the table describes (default 1).") var batchSize = 1

    func validate() throws {
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size must lie in 1...100000, not \(batchSize)") }
    }

    func run() throws {
        let loaded: (classifier: PixelClassifier, description: String)
        do {
            let result = try RunFolderClassifier.load(runFolder)
            loaded = (result.classifier, result.description)
        } catch {
            throw failure("\(error)")
        }
        print(loaded.description)
        print(ModelSummary(loaded.classifier.model, inputShape: [batchSize, 1, 28, 28]))
    }
}
