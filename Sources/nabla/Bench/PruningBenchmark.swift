import ArgumentParser
import Foundation
import Nabla
import NablaCompression
import NablaData
import NablaLabs
import NablaNN
import NablaTrust

/// `nabla bench pruning`: the plain fashion-cnn before and after structured pruning of a fraction of
/// every layer's channels and neurons (rebuilt as smaller layers, not fine-tuned here), timed on the
/// test set in batches of 256.
struct PruningBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pruning",
        abstract: "Inference of the plain fashion-cnn before and after structured pruning (images/s, test accuracy).",
        discussion: "Prints one JSON object per model. Accuracy is without fine-tuning after pruning."
    )

    @Option(name: .customLong("run"), help: "A fashion-cnn run folder (model=plain) whose weights to prune.") var runFolder: String?
    @Option(parsing: .unconditional, help: "Fraction of channels/neurons removed per layer, in [0, 1) (default 0.5).") var sparsity = 0.5
    @Option(parsing: .unconditional, help: "Images per batch (default 256).") var batchSize = 256
    @Option(help: "Folder holding the Fashion-MNIST files.") var dataFolder: String?
    @Flag(help: "1,024 test images and one repetition.") var quick = false

    func validate() throws {
        guard sparsity >= 0, sparsity < 1 else { throw ValidationError("--sparsity must lie in [0, 1), not \(sparsity)") }
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must lie in 1...10000, not \(batchSize)") }
    }

    func run() throws {
        let test: FashionMNIST
        do { test = try FashionMNIST(.test, folder: dataFolder) } catch { throw failure("\(error)") }
        let model: Sequential, mean: Float, deviation: Float
        do {
            if let runFolder {
                let loaded = try RunFolderClassifier.load(runFolder)
                guard let sequential = loaded.classifier.model as? Sequential, loaded.architecture == .cnn else {
                    throw failure("\(runFolder) is not a plain fashion-cnn run (\(loaded.description)); train one with `nabla train fashion-cnn`")
                }
                (model, mean, deviation) = (sequential, loaded.classifier.mean[0], loaded.classifier.standardDeviation[0])
            } else {
                model = FashionArchitecture.cnn.makeModel(RandomGenerator(seed: 0)) as! Sequential
                (mean, deviation) = (FashionMNIST.mean, FashionMNIST.standardDeviation)
            }
        } catch let exit as ExitCode { throw exit } catch { throw failure("\(error)") }
        model.eval()
        let pruned: Sequential
        do { pruned = StructuredPruning.rebuilt(model, plan: try StructuredPruning.plan(model, sparsity: sparsity)) } catch { throw failure("\(error)") }
        pruned.eval()
        let count = quick ? min(1024, test.count) : test.count
        let batches = stride(from: 0, to: count, by: batchSize).map { start -> (Tensor, [Int]) in
            let batch = test.batch(at: Array(start..<min(start + batchSize, count)))
            return ((batch.inputs - mean) / deviation, batch.labels.scalars)
        }
        let contenders = [model, pruned]
        for contender in contenders { _ = withoutGradients { contender(batches[0].0) } }
        var seconds = [[Double]](repeating: [], count: 2), correct = [0, 0]
        for repetition in 0..<(quick ? 1 : 3) {
            for index in repetition.isMultiple(of: 2) ? [0, 1] : [1, 0] {
                let start = DispatchTime.now().uptimeNanoseconds
                var right = 0
                for (inputs, labels) in batches {
                    let logits = withoutGradients { contenders[index](inputs) }
                    right += zip(logits.argmax(axis: 1).scalars, labels).filter { $0 == $1 }.count
                }
                seconds[index].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                correct[index] = right
            }
        }
        let best = seconds.map { $0.min()! }
        let workload = quick ? "fashion-cnn-quick" : "fashion-cnn"
        printJSONLine(["benchmark": "pruning", "workload": workload, "model": "original", "parameters": model.parameterCount(),
                       "seconds": best[0], "images_per_s": Double(count) / best[0], "test_acc": Double(correct[0]) / Double(count)])
        printJSONLine(["benchmark": "pruning", "workload": workload, "model": "structured", "sparsity": sparsity,
                       "parameters": pruned.parameterCount(), "seconds": best[1], "images_per_s": Double(count) / best[1],
                       "test_acc": Double(correct[1]) / Double(count), "speedup": best[0] / best[1], "fine_tuned": false])
    }
}
