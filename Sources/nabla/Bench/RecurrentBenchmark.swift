import ArgumentParser
import Foundation
import Nabla
import NablaData
import NablaNN
import NablaOptim

/// `nabla bench lstm`: LSTM training on sequential Fashion-MNIST (each image read row by row: 28 steps of
/// 28 features), exactly as scripts/peers/torch_lstm.py times PyTorch's nn.LSTM: one layer of 128 hidden
/// units, a linear classifier on the last hidden state, cross-entropy, batch 64, Adam(1e-3).
struct RecurrentBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lstm",
        abstract: "LSTM training throughput on sequential Fashion-MNIST (samples/s), as scripts/peers/torch_lstm.py times PyTorch.",
        discussion: "Prints one JSON object: samples_per_s, seconds, batches and the last loss. With --quick, 10 batches."
    )

    @Option(parsing: .unconditional, help: "Timed batches (default 300; 10 with --quick), after 3 warm-up batches.") var batches: Int?
    @Option(parsing: .unconditional, help: "Sequences per batch.") var batchSize = 64
    @Option(parsing: .unconditional, help: "Hidden units.") var hidden = 128
    @Option(help: "Folder holding the Fashion-MNIST files.") var dataFolder: String?
    @Flag(help: "Time the composed (unfused) recurrent loop instead of the fused LSTM operation.") var composed = false
    @Flag(help: "10 batches: checks the command works, measures little.") var quick = false

    func validate() throws {
        if let batches, !(1...100_000).contains(batches) { throw ValidationError("--batches must lie in 1...100000, not \(batches)") }
        guard (1...4096).contains(batchSize) else { throw ValidationError("--batch-size must lie in 1...4096, not \(batchSize)") }
        guard (1...4096).contains(hidden) else { throw ValidationError("--hidden must lie in 1...4096, not \(hidden)") }
    }

    func run() throws {
        let training: FashionMNIST
        do { training = try FashionMNIST(.training, folder: dataFolder) } catch let error as DataError { throw failure("\(error)") }
        let random = RandomGenerator(seed: 0)
        let lstm = LSTM(inputSize: 28, hiddenSize: hidden, batchFirst: true, generator: random)
        lstm.usesFusedKernels = !composed
        let head = Linear(inputSize: hidden, outputSize: 10, generator: random)
        let optimizer = Adam(lstm.parameters() + head.parameters(), configuration: .init(learningRate: 1e-3))
        let order = random.permutation(training.count)
        let timed = batches ?? (quick ? 10 : 300), warmUp = 3
        var lastLoss: Float = .nan
        var start = Date()
        for index in 0..<(warmUp + timed) {
            if index == warmUp { start = Date() }
            let first = (index * batchSize) % (training.count - batchSize)
            let batch = training.batch(at: Array(order[first..<(first + batchSize)]))
            optimizer.zeroGradients()
            let (_, state) = lstm(batch.inputs.reshaped([batchSize, 28, 28]))
            let loss = crossEntropy(head(state.hidden.squeezed(axis: 0)), batch.labels)
            loss.backward()
            optimizer.step()
            lastLoss = loss.item
        }
        let seconds = Date().timeIntervalSince(start)
        printJSONLine(["benchmark": "lstm", "workload": quick ? "lstm-sequential-fashion-quick" : "lstm-sequential-fashion", "quick": quick,
                       "fused": !composed, "batches": timed, "batch_size": batchSize, "hidden": hidden,
                       "samples_per_s": Double(timed * batchSize) / seconds, "seconds": seconds, "loss": Double(lastLoss)])
    }
}
