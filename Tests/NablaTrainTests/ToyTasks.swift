import Foundation
import Nabla
import NablaCheckpoint
import NablaData
import NablaNN
import NablaOptim
@testable import NablaTrain

/// Two regression models trained side by side by two optimisers in one step (the GAN pattern of manual
/// optimisation), with a schedule, a data generator that draws both an epoch order and per-batch noise
/// lazily, dropout inside a model (a generator the trainer must find), and a counter of its own.
final class TwoModelTask: TrainingTask {
    let first: Linear
    let second: Sequential
    let firstOptimizer: Adam
    let secondOptimizer: SGD
    let scheduler: LearningRateScheduler
    let data = RandomGenerator(seed: 11)
    let inputs: Tensor
    let targets: Tensor
    let batchSize = 8
    var stepsSeen = 0
    var learningRate: Double

    init(seed: UInt64 = 3, examples: Int = 40, epochs: Int = 3, learningRate: Double = 0.05) {
        let generator = RandomGenerator(seed: seed)
        self.learningRate = learningRate
        first = Linear(inputSize: 4, outputSize: 1, generator: generator)
        second = Sequential(Linear(inputSize: 4, outputSize: 8, generator: generator), ReLU(),
                            Dropout(probability: 0.2, generator: RandomGenerator(seed: seed + 1)),
                            Linear(inputSize: 8, outputSize: 1, generator: generator))
        firstOptimizer = Adam(first.parameters(), configuration: .init(learningRate: learningRate))
        secondOptimizer = SGD(second.parameters(), configuration: .init(learningRate: learningRate, momentum: 0.9))
        inputs = generator.normal([examples, 4])
        targets = (inputs.sum(axis: 1, keepDims: true) * 0.5)
        scheduler = LearningRateScheduleKind.cosine.makeScheduler(firstOptimizer, totalSteps: epochs * ((examples + 7) / 8))!
    }

    var models: KeyValuePairs<String, Module> { ["first": first, "second": second] }
    var optimizers: KeyValuePairs<String, any Optimizer> { ["first": firstOptimizer, "second": secondOptimizer] }
    var schedulers: KeyValuePairs<String, LearningRateScheduler> { ["first": scheduler] }
    var generators: KeyValuePairs<String, RandomGenerator> { ["data": data] }
    var batchesPerEpoch: Int { (inputs.shape[0] + batchSize - 1) / batchSize }

    func epochBatches(epoch: Int) -> AnyIterator<(Tensor, Tensor)> {
        let order = data.permutation(inputs.shape[0])
        var start = 0
        return AnyIterator { [self] in
            guard start < order.count else { return nil }
            let indices = Array(order[start..<min(start + batchSize, order.count)])
            start += batchSize
            // Noise drawn as the batch is made: resume must replay these draws too.
            let noise = data.normal([indices.count, 4], standardDeviation: 0.01)
            return (gatherRows(inputs, indices) + noise, gatherRows(targets, indices))
        }
    }

    func trainStep(_ batch: (Tensor, Tensor)) throws -> StepResult {
        let firstLoss = mseLoss(first(batch.0), batch.1)
        minimize(firstLoss, with: firstOptimizer)
        secondOptimizer.zeroGradients()
        let secondLoss = mseLoss(second(batch.0), batch.1)
        secondLoss.backward()
        secondOptimizer.step()
        stepsSeen += 1
        return StepResult(loss: Double(firstLoss.item) + Double(secondLoss.item), count: batch.0.shape[0],
                          metrics: [("second_loss", Double(secondLoss.item))])
    }

    func evaluate(epoch: Int) throws -> [(key: String, value: Double)] {
        [("val_loss", Double(mseLoss(first(inputs), targets).item))]
    }

    func saveState(into checkpoint: inout TrainingCheckpoint) throws { try checkpoint.setRecord(stepsSeen, forKey: "steps_seen") }
    func restoreState(from checkpoint: TrainingCheckpoint) throws { stepsSeen = try checkpoint.record(Int.self, forKey: "steps_seen") ?? -1 }

    /// Every parameter and buffer, as raw bits, by name.
    func parameterBits() -> [String: [UInt32]] {
        var all: [String: [UInt32]] = [:]
        for (name, model) in models {
            for (key, tensor) in model.stateDictionary() { all[name + "." + key] = tensor.scalars.map(\.bitPattern) }
        }
        return all
    }
}

func temporaryRunFolder(_ name: String = "run") -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("nabla-train-tests-\(UUID().uuidString)").appendingPathComponent(name)
}

func quietOptions(epochs: Int) -> TrainerOptions {
    var options = TrainerOptions(epochs: epochs)
    options.progress = ProgressDisplay(isTerminal: false)
    options.progress.isSilent = true
    options.log = { _ in }
    return options
}
