import Foundation
import Nabla
import NablaData
import NablaNN
import NablaOptim

/// The training loop of a classifier: mini-batches through the model, cross-entropy, backward, an
/// optimiser step and a learning-rate schedule step; and evaluation on a whole data set.
final class ClassifierTraining {
    let model: any Layer
    let optimizer: any Optimizer
    let scheduler: LearningRateScheduler?
    /// Applied to every batch before the model, in training and in evaluation alike.
    let inputTransform: Normalize?

    init(model: any Layer, optimizer: any Optimizer, scheduler: LearningRateScheduler?, inputTransform: Normalize?) {
        self.model = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.inputTransform = inputTransform
    }

    struct EpochResult {
        let meanLoss: Double
        let samples: Int
        let seconds: Double
        var samplesPerSecond: Double { Double(samples) / seconds }
    }

    /// Running totals of an epoch in progress, saved in checkpoints so a resumed epoch reports the same
    /// mean loss as an uninterrupted one.
    struct EpochTotals: Codable, Equatable {
        var batches = 0
        var samples = 0
        var lossSum = 0.0
        var seconds = 0.0
    }

    /// One pass over `loader`; `progress` hears after every batch (batches done, samples seen, mean loss).
    func trainEpoch(_ loader: DataLoader, progress: (_ batches: Int, _ samples: Int, _ meanLoss: Double) -> Void) -> EpochResult {
        var batches = loader.makeIterator()
        return trainEpoch(&batches, from: EpochTotals(), progress: progress, afterBatch: { _ in true }).result
    }

    /// Trains on the rest of an epoch: the batches left in `batches`, continuing the totals `start` (all
    /// zero for a fresh epoch). `afterBatch` hears the totals after every optimiser step and returns false
    /// to stop there; `finished` tells whether the epoch ran to its end.
    func trainEpoch(_ batches: inout DataLoader.Iterator, from start: EpochTotals,
                    progress: (_ batches: Int, _ samples: Int, _ meanLoss: Double) -> Void,
                    afterBatch: (EpochTotals) throws -> Bool) rethrows -> (result: EpochResult, totals: EpochTotals, finished: Bool) {
        model.train()
        let clock = Date()
        var totals = start
        var finished = true
        while let (inputs, labels) = batches.next() {
            optimizer.zeroGradients()
            let loss = crossEntropy(model(prepare(inputs)), labels)
            loss.backward()
            optimizer.step()
            scheduler?.step()
            totals.lossSum += Double(loss.item) * Double(labels.count)
            totals.samples += labels.count
            totals.batches += 1
            progress(totals.batches, totals.samples, totals.lossSum / Double(totals.samples))
            var current = totals
            current.seconds = start.seconds + Date().timeIntervalSince(clock)
            if try !afterBatch(current) {
                finished = false
                break
            }
        }
        totals.seconds = start.seconds + Date().timeIntervalSince(clock)
        let result = EpochResult(meanLoss: totals.lossSum / Double(max(totals.samples, 1)), samples: totals.samples,
                                 seconds: totals.seconds)
        return (result, totals, finished)
    }

    struct Evaluation {
        let meanLoss: Double
        let accuracy: Double
        let predictions: [Int]
        let labels: [Int]
    }

    /// Loss, accuracy and every prediction on `dataset`, in evaluation mode and without recording.
    func evaluate(_ dataset: any Dataset, batchSize: Int = 1000) -> Evaluation {
        model.eval()
        defer { model.train() }
        var totalLoss = 0.0
        var predictions: [Int] = [], labels: [Int] = []
        predictions.reserveCapacity(dataset.count)
        withoutGradients {
            for start in stride(from: 0, to: dataset.count, by: batchSize) {
                let batch = dataset.batch(at: Array(start..<min(start + batchSize, dataset.count)))
                let logits = model(prepare(batch.inputs))
                totalLoss += Double(crossEntropy(logits, batch.labels, reduction: .sum).item)
                predictions += logits.argmax(axis: 1).scalars
                labels += batch.labels.scalars
            }
        }
        let correct = zip(predictions, labels).filter { $0 == $1 }.count
        return Evaluation(meanLoss: totalLoss / Double(max(dataset.count, 1)),
                          accuracy: Double(correct) / Double(max(dataset.count, 1)),
                          predictions: predictions, labels: labels)
    }

    private func prepare(_ inputs: Tensor) -> Tensor {
        guard let inputTransform else { return inputs }
        return inputTransform.apply(inputs, generator: RandomGenerator(seed: 0))
    }
}

extension TrainingSettings {
    /// The optimiser these settings name, over `parameters`.
    func makeOptimizer(_ parameters: [Tensor]) -> any Optimizer {
        switch optimizer {
        case .adam: return Adam(parameters, configuration: .init(learningRate: learningRate))
        case .adamw: return AdamW(parameters, configuration: .init(learningRate: learningRate))
        case .sgd: return SGD(parameters, configuration: .init(learningRate: learningRate, momentum: 0.9, nesterov: true))
        }
    }

    /// The schedule these settings name, stepped once per batch over `totalSteps` batches.
    func makeScheduler(_ optimizer: any Optimizer, totalSteps: Int) -> LearningRateScheduler? {
        switch schedule {
        case .constant: return nil
        case .cosine: return LearningRateScheduler(optimizer, schedule: CosineAnnealingSchedule(period: totalSteps))
        case .step: return LearningRateScheduler(optimizer, schedule: StepSchedule(stepSize: max(1, totalSteps / 3), gamma: 0.1))
        case .onecycle: return LearningRateScheduler(optimizer, schedule: OneCycleSchedule(totalSteps: totalSteps))
        }
    }
}
