import ArgumentParser
import Foundation
import Nabla
import NablaCheckpoint
import NablaData
import NablaLabs
import NablaNN
import NablaTrust

/// `nabla bench trust`: PGD (L∞, ε 0.1, α 0.01, 20 steps, random start) on the plain fashion-cnn over the
/// first test images, as scripts/peers/torch_trust.py times torchattacks' PGD. The weights are the given
/// ones, or freshly initialised (throughput does not depend on them) and written for the peer to load.
struct TrustBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "PGD-20 throughput on the plain fashion-cnn (images/s), as torchattacks' PGD is timed.",
        discussion: "Prints one JSON object: images_per_s, seconds, count and the adversarial accuracy. With --quick, 500 images."
    )

    @Option(parsing: .unconditional, help: "Test images to attack (default 10000; 500 with --quick).") var count: Int?
    @Option(parsing: .unconditional, help: "Images per batch (torch_trust.py uses 250).") var batchSize = 250
    @Option(help: "Load the plain CNN's weights from this safetensors file instead of initialising them.") var weights: String?
    @Option(help: "Write the weights used to this safetensors file (for the peer).") var saveModel: String?
    @Option(help: "Folder holding the Fashion-MNIST files.") var dataFolder: String?
    @Flag(help: "500 images: checks the command works, measures little.") var quick = false

    func validate() throws {
        if let count, !(1...10_000).contains(count) { throw ValidationError("--count must lie in 1...10000, not \(count)") }
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must lie in 1...10000, not \(batchSize)") }
    }

    func run() throws {
        let test: FashionMNIST
        do { test = try FashionMNIST(.test, folder: dataFolder) } catch let error as DataError { throw failure("\(error)") }
        let model = FashionArchitecture.cnn.makeModel(RandomGenerator(seed: 0))
        do {
            if let weights { try model.loadSafetensors(from: weights) }
            if let saveModel { try model.saveSafetensors(to: saveModel) }
        } catch {
            throw failure("\(error)")
        }
        let chosen = min(count ?? (quick ? 500 : 10_000), test.count)
        let batch = test.batch(at: Array(0..<chosen))
        let classifier = PixelClassifier(model: model, mean: [FashionMNIST.mean], standardDeviation: [FashionMNIST.standardDeviation], classCount: 10)
        let labels = batch.labels.scalars
        // Warm-up: one step over one batch (buffer pool, thread pool), as the peer does.
        let warm = min(batchSize, chosen)
        _ = GradientAttack.pgd(epsilon: 0.1, stepSize: 0.01, steps: 1).perturb(
            classifier, images: batch.inputs.sliced(axis: 0, start: 0, end: warm), labels: Array(labels.prefix(warm)), goal: .untargeted,
            generator: RandomGenerator(seed: 1))
        let result = try AttackEvaluation.run(GradientAttack.pgd(epsilon: 0.1, stepSize: 0.01, steps: 20), on: classifier, images: batch.inputs,
                                              labels: labels, batchSize: batchSize, generator: RandomGenerator(seed: 0))
        printJSONLine(["benchmark": "trust", "workload": quick ? "pgd20-cnn-quick" : "pgd20-cnn", "quick": quick, "count": chosen,
                       "images_per_s": result.imagesPerSecond, "seconds": result.seconds,
                       "clean_acc": result.cleanAccuracy, "adversarial_acc": result.adversarialAccuracy])
    }
}
