import ArgumentParser
import Foundation
import Nabla
import NablaData
import NablaNN
import NablaLabs
import NablaOptim
import NablaTrain
#if canImport(Glibc)
import Glibc
#endif

/// `nabla bench train`: each Fashion-MNIST recipe trained for exactly one epoch as
/// ../shared/reference/PEERS.md defines the PyTorch reference run: batch 64, Adam(lr 1e-3),
/// cross-entropy, the 60,000 training images in a fresh random order, pixels in [0, 1] (no
/// normalisation, no validation split), then accuracy on the 10,000 test images.
struct TrainBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "One epoch of each Fashion-MNIST recipe, as the PyTorch reference run in PEERS.md.",
        discussion: """
            Prints one JSON object per recipe: samples_per_s, test_acc, train_s and peak_rss_mb. With --quick the \
            epoch is the first \(quickTrainingCount) training images and the test the first \(quickTestCount) test \
            images; those lines say "quick": true and name the workload "<recipe>-quick", so they are never read \
            as a full epoch.
            """
    )

    static let quickTrainingCount = 6400, quickTestCount = 2000

    @Option(help: "Recipes to run (default: all).") var recipe: [String] = TrainCommand.recipes.map(\.name)
    @Option(help: "Folder holding the Fashion-MNIST files.") var dataFolder: String?
    @Option(parsing: .unconditional, help: "Seed for initial weights and batch order.", transform: NumericOption.seed("--seed")) var seed: UInt64 = 0
    @Flag(help: "A tenth of an epoch and a fifth of the test set: checks the command works, measures little.") var quick = false

    func validate() throws {
        for name in recipe where !TrainCommand.recipes.contains(where: { $0.name == name }) {
            throw ValidationError("unknown recipe '\(name)'; choose from: \(TrainCommand.recipes.map(\.name).joined(separator: ", "))")
        }
    }

    func run() throws {
        var training: any Dataset, test: any Dataset
        do {
            training = try FashionMNIST(.training, folder: dataFolder)
            test = try FashionMNIST(.test, folder: dataFolder)
        } catch let error as DataError {
            throw failure("\(error)")
        }
        if quick {
            training = DatasetSubset(base: training, indices: Array(0..<min(Self.quickTrainingCount, training.count)))
            test = DatasetSubset(base: test, indices: Array(0..<min(Self.quickTestCount, test.count)))
        }
        for name in recipe {
            let chosen = TrainCommand.recipes.first { $0.name == name }!
            let generator = RandomGenerator(seed: seed)
            let model = chosen.makeModel(generator)
            let optimizer = Adam(model.parameters(), configuration: .init(learningRate: 1e-3))
            let loader = DataLoader(training, batchSize: 64, shuffle: true, generator: generator)
            // The lab's trainer and task, in a scratch run folder: the benchmark times what `nabla train` runs.
            let task = ClassificationTask(model: model, optimizer: optimizer, loader: loader, dataGenerator: generator)
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-bench-train-\(getpid())")
            defer { try? FileManager.default.removeItem(at: scratch) }
            let folder = try RunFolderWriter(folder: scratch, mode: .create(overwrite: true))
            var options = TrainerOptions(epochs: 1)
            options.progress = ProgressDisplay(isTerminal: false)
            options.progress.isSilent = true
            options.log = { _ in }
            let outcome = try Trainer(task: task, folder: folder, options: options).fit()
            let epoch = outcome.state.metrics[0]
            let evaluation = task.evaluate(test)
            printJSONLine(["benchmark": "train", "workload": quick ? name + "-quick" : name, "quick": quick,
                           "recipe": name, "samples_per_s": epoch["samples_per_s"]!,
                           "test_acc": evaluation.accuracy, "train_s": epoch["seconds"]!,
                           "peak_rss_mb": Self.peakResidentMegabytes()])
        }
    }

    /// The process's largest resident set so far (Linux reports kilobytes).
    static func peakResidentMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
