import ArgumentParser
import Foundation
import Nabla
import NablaData
import NablaGenerative

/// `nabla bench gan`: DCGAN training throughput on Fashion-MNIST, exactly as scripts/peers/torch_dcgan.py
/// times PyTorch: the generator and discriminator, batch 64, Adam(2e-4, β = (0.5, 0.999)), one
/// discriminator and one generator step per batch, images scaled to [−1, 1], non-saturating loss.
struct GanBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gan",
        abstract: "DCGAN training throughput on Fashion-MNIST (images/s), as scripts/peers/torch_dcgan.py times PyTorch.",
        discussion: "Prints one JSON object: images_per_s, seconds, batches and the last losses. With --quick, 10 batches."
    )

    @Option(parsing: .unconditional, help: "Timed batches (default 200; 10 with --quick), after 3 warm-up batches.") var batches: Int?
    @Option(parsing: .unconditional, help: "Images per batch.") var batchSize = 64
    @Option(help: "Folder holding the Fashion-MNIST files.") var dataFolder: String?
    @Flag(help: "10 batches: checks the command works, measures little.") var quick = false

    func validate() throws {
        if let batches, !(1...100_000).contains(batches) { throw ValidationError("--batches must lie in 1...100000, not \(batches)") }
        guard (2...4096).contains(batchSize) else { throw ValidationError("--batch-size must lie in 2...4096, not \(batchSize)") }
    }

    func run() throws {
        let training: FashionMNIST
        do { training = try FashionMNIST(.training, folder: dataFolder) } catch let error as DataError { throw failure("\(error)") }
        let random = RandomGenerator(seed: 0)
        let step = AdversarialTrainingStep(generator: DCGANGenerator(generator: random),
                                           discriminator: DCGANDiscriminator(generator: random), loss: .nonsaturating)
        let order = random.permutation(training.count)
        let timed = batches ?? (quick ? 10 : 200), warmUp = 3
        var last = AdversarialStepLosses(discriminator: .nan, generator: .nan)
        var start = Date()
        for index in 0..<(warmUp + timed) {
            if index == warmUp { start = Date() }
            let first = (index * batchSize) % (training.count - batchSize)
            let images = training.batch(at: Array(order[first..<(first + batchSize)])).inputs * 2 - 1
            last = step(real: images, discriminatorNoise: random.normal([batchSize, 100]),
                        generatorNoise: random.normal([batchSize, 100]), mixing: random.uniform([batchSize]))
        }
        let seconds = Date().timeIntervalSince(start)
        printJSONLine(["benchmark": "gan", "workload": quick ? "dcgan-fashion-quick" : "dcgan-fashion", "quick": quick,
                       "batches": timed, "batch_size": batchSize, "images_per_s": Double(timed * batchSize) / seconds,
                       "seconds": seconds, "discriminator_loss": Double(last.discriminator), "generator_loss": Double(last.generator)])
    }
}
