import Foundation
import Nabla
import NablaData
import NablaNN
import NablaOptim

/// The common supervised task: mini-batches of a labelled data set through one model, cross-entropy,
/// one optimiser step (and the scheduler's, stepped by the trainer), and after each epoch the loss and
/// accuracy on a validation set. The Fashion-MNIST labs and `nabla bench train` run this task.
public final class ClassificationTask: TrainingTask {
    public let model: any Layer
    public let optimizer: any Optimizer
    public let scheduler: LearningRateScheduler?
    public let loader: DataLoader
    /// The generator the loader draws its order and augmentation from.
    public let dataGenerator: RandomGenerator
    /// Evaluated after every epoch as `val_loss` and `val_accuracy`; nil or empty: no evaluation.
    public let validation: (any Dataset)?
    /// Applied to every batch before the model, in training and in evaluation alike.
    public let inputTransform: Normalize?
    /// What the user calls the batch size, named when a batch is refused for memory.
    public var batchSizeSettingName = "batch_size"

    public init(model: any Layer, optimizer: any Optimizer, scheduler: LearningRateScheduler? = nil, loader: DataLoader,
                dataGenerator: RandomGenerator, validation: (any Dataset)? = nil, inputTransform: Normalize? = nil) {
        self.model = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.loader = loader
        self.dataGenerator = dataGenerator
        self.validation = validation
        self.inputTransform = inputTransform
    }

    public var models: KeyValuePairs<String, Module> { ["model": model] }
    public var optimizers: KeyValuePairs<String, any Optimizer> { ["optimizer": optimizer] }
    public var schedulers: KeyValuePairs<String, LearningRateScheduler> { scheduler.map { ["schedule": $0] } ?? [:] }
    public var generators: KeyValuePairs<String, RandomGenerator> { ["data": dataGenerator] }
    public var batchesPerEpoch: Int { loader.batchCount }

    public func epochBatches(epoch: Int) -> AnyIterator<Batch> {
        var iterator = loader.makeIterator()
        return AnyIterator { iterator.next() }
    }

    /// Refuses a batch size whose training step would not fit in `MemoryBudget`'s limit, from a dry
    /// pass of the model on one and two training examples (see `TrainingMemoryEstimate`).
    public func checkMemory() throws {
        guard loader.dataset.count > 0 else { return }
        let batchSize = min(loader.batchSize, loader.dataset.count)
        let estimate = TrainingMemoryEstimate(model: model, examples: loader.dataset.batch(at: Array(0..<min(2, loader.dataset.count))).inputs,
                                              transform: inputTransform.map { transform in { transform.apply($0, generator: RandomGenerator(seed: 0)) } })
        try estimate.check(batchSize: batchSize, requestedBatchSize: loader.batchSize, settingName: batchSizeSettingName, model: "the model (\(model.parameterCount()) parameters)")
    }

    public func trainStep(_ batch: Batch) throws -> StepResult {
        optimizer.zeroGradients()
        let loss = crossEntropy(model(prepare(batch.inputs)), batch.labels)
        loss.backward()
        optimizer.step()
        return StepResult(loss: loss, count: batch.labels.count)
    }

    public func evaluate(epoch: Int) throws -> [(key: String, value: Double)] {
        guard let validation, validation.count > 0 else { return [] }
        let evaluation = evaluate(validation)
        return [("val_loss", evaluation.meanLoss), ("val_accuracy", evaluation.accuracy)]
    }

    public struct Evaluation {
        public let meanLoss: Double
        public let accuracy: Double
        public let predictions: [Int]
        public let labels: [Int]
    }

    /// Loss, accuracy and every prediction on `dataset`, in evaluation mode and without recording.
    public func evaluate(_ dataset: any Dataset, batchSize: Int = 1000) -> Evaluation {
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

/// The optimisers a lab setting can name.
public enum OptimizerKind: String, Codable, CaseIterable, Sendable {
    case adam, adamw, sgd

    /// This optimiser over `parameters` with `learningRate` (SGD with momentum 0.9, Nesterov).
    public func make(_ parameters: [Tensor], learningRate: Double) -> any Optimizer {
        switch self {
        case .adam: return Adam(parameters, configuration: .init(learningRate: learningRate))
        case .adamw: return AdamW(parameters, configuration: .init(learningRate: learningRate))
        case .sgd: return SGD(parameters, configuration: .init(learningRate: learningRate, momentum: 0.9, nesterov: true))
        }
    }
}

/// The learning-rate schedules a lab setting can name, stepped once per training step.
public enum LearningRateScheduleKind: String, Codable, CaseIterable, Sendable {
    case constant, cosine, step, onecycle

    /// The schedule over `totalSteps` steps (nil for constant). A run with no steps (an empty data set)
    /// gets a one-step period rather than a trap.
    public func makeScheduler(_ optimizer: any Optimizer, totalSteps: Int) -> LearningRateScheduler? {
        let steps = max(totalSteps, 1)
        switch self {
        case .constant: return nil
        case .cosine: return LearningRateScheduler(optimizer, schedule: CosineAnnealingSchedule(period: steps))
        case .step: return LearningRateScheduler(optimizer, schedule: StepSchedule(stepSize: max(1, steps / 3), gamma: 0.1))
        case .onecycle: return LearningRateScheduler(optimizer, schedule: OneCycleSchedule(totalSteps: steps))
        }
    }
}
