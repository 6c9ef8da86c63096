import ArgumentParser
import Dispatch
import Nabla
import NablaData
import NablaLabs
import NablaNN
import NablaOptim

/// `nabla bench step`: where one training step of a Fashion-MNIST network spends its time. Each
/// top-level layer's forward pass is timed on its own (a residual block part by part), every backward
/// rule by operation name (through `BackwardTimes`), and the loss, zero-grad, optimiser step and the
/// lab's augmentation separately; a last line times whole steps as the trainer runs them. Inputs are
/// seeded random images, so no data files are needed.
struct StepBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Profile one training step of a Fashion-MNIST network: forward per layer, backward per operation.",
        discussion: "Prints one JSON object per line with the mean milliseconds per step of each part, largest first."
    )

    @Option(help: "The network: residual (the fashion-cnn lab's full setting), cnn (the plain CNN) or mlp.")
    var model = "residual"
    @Option(parsing: .unconditional, help: "Timed steps (after two untimed warm-up steps).",
            transform: NumericOption.integer("--steps", in: 1...10_000))
    var steps = 20
    @Option(parsing: .unconditional, help: "Images per batch.", transform: NumericOption.integer("--batch-size", in: 2...4096))
    var batchSize = 64
    @Flag(help: "Three timed steps: a check that the command works, not a measurement.") var quick = false

    private var timedSteps: Int { quick ? 3 : steps }

    func validate() throws {
        guard FashionArchitecture(rawValue: model) != nil else {
            throw ValidationError("unknown model '\(model)'; choose from: residual, cnn, mlp")
        }
    }

    func run() {
        let generator = RandomGenerator(seed: 0)
        let network = FashionArchitecture(rawValue: model)!.makeModel(generator)
        let optimizer = Adam(network.parameters(), configuration: .init(learningRate: 1e-3))
        let images = generator.normal([batchSize, 1, 28, 28])
        let labels = IntTensor((0..<batchSize).map { _ in generator.integer(in: 0..<10) })
        let augmentations: [any BatchTransform] = [RandomCrop(padding: 2), RandomHorizontalFlip()]
        var parts = PartTimes()

        for step in 0..<(timedSteps + 2) {
            if step == 2 { parts = PartTimes(); BackwardTimes.shared.reset(enabled: true) }
            _ = parts.time("augmentation") { augmentations.reduce(images) { $1.apply($0, generator: generator) } }
            parts.time("zero_grad") { optimizer.zeroGradients() }
            let logits = forward(network, images, name: "", parts: &parts)
            let loss = parts.time("forward loss") { crossEntropy(logits, labels) }
            parts.time("backward (engine)") { loss.backward() }
            parts.time("optimizer step") { optimizer.step() }
        }
        printTable(parts)
        BackwardTimes.shared.reset(enabled: false)

        // Whole steps, as ClassificationTask.trainStep runs them (no timing hooks).
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<timedSteps {
            optimizer.zeroGradients()
            let loss = crossEntropy(network(images), labels)
            loss.backward()
            optimizer.step()
        }
        let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 / Double(timedSteps)
        printJSONLine(["benchmark": "step", "model": model, "part": "whole step (untimed parts)", "ms": rounded(milliseconds), "quick": quick,
                       "batch_size": batchSize, "images_per_s": rounded(Double(batchSize) / milliseconds * 1000)])
    }

    /// The forward pass of `layer`, each top-level layer (and each part of a residual block) timed.
    private func forward(_ layer: any Layer, _ input: Tensor, name: String, parts: inout PartTimes) -> Tensor {
        if let sequential = layer as? Sequential {
            var value = input
            for (index, inner) in sequential.layers.enumerated() {
                value = forward(inner, value, name: name + "\(index).", parts: &parts)
            }
            return value
        }
        if let block = layer as? ResidualBlock {
            let first = parts.time("forward \(name)conv1") { block.conv1(input) }
            let normalized = parts.time("forward \(name)bn1+relu") { block.bn1(first).relu() }
            let second = parts.time("forward \(name)conv2") { block.conv2(normalized) }
            return parts.time("forward \(name)bn2+add+relu") { (input + block.bn2(second)).relu() }
        }
        return parts.time("forward \(name)\(type(of: layer))") { layer(input) }
    }

    private func printTable(_ parts: PartTimes) {
        let rows = parts.seconds.map { ($0.key, $0.value) } + BackwardTimes.shared.totals.map { ("backward " + $0.name, $0.seconds) }
        for (name, seconds) in rows.sorted(by: { $0.1 > $1.1 }) {
            printJSONLine(["benchmark": "step", "model": model, "part": name, "ms": rounded(seconds * 1000 / Double(timedSteps))])
        }
    }

    private func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}

/// Seconds per named part, summed over steps.
private struct PartTimes {
    var seconds: [String: Double] = [:]

    @discardableResult
    mutating func time<Result>(_ name: String, _ body: () -> Result) -> Result {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        seconds[name, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return result
    }
}
