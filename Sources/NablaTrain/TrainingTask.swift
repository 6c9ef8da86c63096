import Nabla
import NablaCheckpoint
import NablaNN
import NablaOptim

/// What a training task is to the `Trainer`: named models and optimisers, an epoch's batches drawn from
/// seeded generators, one training step, and (optionally) an evaluation after each epoch.
///
/// The trainer owns everything around the step: epochs, progress, metrics files, learning-rate
/// schedules, early stopping, divergence checks, checkpoints and bit-exact resume. The task owns the
/// maths: in `trainStep` it computes its losses, runs its backward passes and steps its optimisers —
/// with `minimize(_:with:)` for the common zero-grad → backward → step, or by hand when one step drives
/// several optimisers (a GAN's discriminator then generator).
///
/// ```swift
/// final class Regression: TrainingTask {
///     let model = Linear(inputSize: 10, outputSize: 1, generator: RandomGenerator(seed: 1))
///     lazy var optimizer = SGD(model.parameters(), configuration: .init(learningRate: 0.01))
///     let data = RandomGenerator(seed: 2)
///     var models: KeyValuePairs<String, Module> { ["model": model] }
///     var optimizers: KeyValuePairs<String, any Optimizer> { ["sgd": optimizer] }
///     var generators: KeyValuePairs<String, RandomGenerator> { ["data": data] }
///     var batchesPerEpoch: Int { 100 }
///     func epochBatches(epoch: Int) -> AnyIterator<Tensor> { ... }   // draws its order from `data`
///     func trainStep(_ batch: Tensor) throws -> StepResult {
///         let loss = meanSquaredError(model(batch), targets(batch))
///         minimize(loss, with: optimizer)
///         return StepResult(loss: loss, count: batch.shape[0])
///     }
/// }
/// ```
///
/// For bit-exact resume, everything the trainer cannot see must be rebuilt from the seed exactly as in a
/// fresh run before `Trainer.fit()` (models, data, splits), and every generator whose state matters must
/// be listed in `generators` (generators held by the models' layers, e.g. dropout's, are found by
/// themselves). Counters the task keeps of its own go into `saveState(into:)`.
public protocol TrainingTask: AnyObject {
    associatedtype Batch

    /// The models, by name; saved in checkpoints as `<name>.<PyTorch key>` and restored on resume.
    var models: KeyValuePairs<String, Module> { get }
    /// The optimisers, by name; their state is saved and restored with the models.
    var optimizers: KeyValuePairs<String, any Optimizer> { get }
    /// Learning-rate schedulers the trainer steps after every training step (see `LearningRateScheduleKind`).
    var schedulers: KeyValuePairs<String, LearningRateScheduler> { get }
    /// Every generator whose state decides the run (data order, augmentation, noise), by name.
    var generators: KeyValuePairs<String, RandomGenerator> { get }

    /// The number of batches `epochBatches` yields (for progress and mid-epoch resume).
    var batchesPerEpoch: Int { get }
    /// One epoch's batches. Randomness comes from the task's `generators`; a trainer resuming mid-epoch
    /// calls this with the generators as they were when the epoch started and skips the batches done.
    func epochBatches(epoch: Int) -> AnyIterator<Batch>
    /// One training step on `batch`: forward, backward, optimiser steps. Called in training mode.
    func trainStep(_ batch: Batch) throws -> StepResult
    /// Metrics after an epoch (validation loss and accuracy, ...), keyed as they go into metrics.jsonl.
    func evaluate(epoch: Int) throws -> [(key: String, value: Double)]

    /// Saves the task's own counters and records beside the trainer's (`checkpoint.setRecord`).
    func saveState(into checkpoint: inout TrainingCheckpoint) throws
    /// Puts back what `saveState` saved.
    func restoreState(from checkpoint: TrainingCheckpoint) throws
    /// Why there is nothing left to train, when the task has spent its own budget before the last epoch
    /// (an environment-step budget that updates of varying size overshoot); the trainer then ends the
    /// run after the epoch, logs this and resumes as finished. nil (the default) while there is work left.
    var finishedEarly: String? { get }
    /// Throws `MemoryLimitError` when a training step would need more memory than `MemoryBudget` allows
    /// (see `TrainingMemoryEstimate`). The trainer calls it before the first step; the default checks nothing.
    func checkMemory() throws
}

extension TrainingTask {
    public var schedulers: KeyValuePairs<String, LearningRateScheduler> { [:] }
    public var generators: KeyValuePairs<String, RandomGenerator> { [:] }
    public func evaluate(epoch: Int) throws -> [(key: String, value: Double)] { [] }
    public func saveState(into checkpoint: inout TrainingCheckpoint) throws {}
    public func restoreState(from checkpoint: TrainingCheckpoint) throws {}
    public func checkMemory() throws {}
    public var finishedEarly: String? { nil }

    /// The common step: clears `optimizer`'s gradients, back-propagates `loss` and takes one step.
    public func minimize(_ loss: Tensor, with optimizer: any Optimizer) {
        optimizer.zeroGradients()
        loss.backward()
        optimizer.step()
    }

    /// Every model in training mode (dropout on, batch norm on batch statistics).
    public func setTraining(_ training: Bool) {
        for (_, model) in models { training ? model.train() : model.eval() }
    }
}

/// What one training step reports: its loss (what progress shows and the divergence check watches),
/// how many examples it covered (the weight of its figures in the epoch's means), and any other figures.
public struct StepResult {
    public var loss: Double
    public var count: Int
    /// Further figures, averaged over the epoch like the loss and written as `train_<key>`.
    public var metrics: [(key: String, value: Double)]

    public init(loss: Double, count: Int, metrics: [(key: String, value: Double)] = []) {
        self.loss = loss
        self.count = count
        self.metrics = metrics
    }

    /// Reads the loss tensor's value (a scalar).
    public init(loss: Tensor, count: Int, metrics: [(key: String, value: Double)] = []) {
        self.init(loss: Double(loss.item), count: count, metrics: metrics)
    }
}
