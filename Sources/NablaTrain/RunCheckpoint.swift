import Foundation
import Nabla
import NablaCheckpoint
import NablaData
import NablaNN
import NablaOptim

/// Where a run is, saved in every checkpoint beside the tensors: enough to continue it so that it ends
/// exactly as an uninterrupted run would.
public struct TrainerState: Codable, Equatable {
    /// Epochs trained to the end (and evaluated, and written to the metrics).
    public var completedEpochs = 0
    /// Training steps taken in all.
    public var step = 0
    /// The epoch in progress (all zero between epochs).
    public var epochTotals = EpochTotals()
    /// Every generator's state when the epoch in progress started, from which its batches are drawn.
    public var epochStartGenerators: [String: [UInt64]] = [:]
    /// The learning rate when the epoch in progress started (what its metrics row reports).
    public var epochStartLearningRate = 0.0
    /// Training time of the completed epochs.
    public var trainingSeconds = 0.0
    /// The metrics rows of this training's completed epochs (its stage's rows only, never another
    /// stage's of the same run), and the run's column order when it was saved.
    public var metrics: [[String: Double]] = []
    public var metricColumns: [String] = []
    /// Set when early stopping ended the run (the epoch it stopped after).
    public var stoppedEarlyAfterEpoch: Int?

    public init() {}
}

/// Running sums of an epoch in progress, saved in checkpoints so a resumed epoch reports the same means
/// as an uninterrupted one.
public struct EpochTotals: Codable, Equatable {
    public var batches = 0
    public var samples = 0
    public var lossSum = 0.0
    /// Sums of the steps' other metrics, each weighted by its step's example count.
    public var metricSums: [String: Double] = [:]
    public var metricOrder: [String] = []
    public var seconds = 0.0

    public init() {}
}

/// Writes and reads one checkpoint file of a run folder, replaced atomically, so a crash while saving
/// leaves the previous checkpoint whole. It holds every named model (`model.<name>.<key>`), all named
/// optimisers as one (`NamedOptimizers`), each scheduler's position, every generator (the task's and
/// those inside the models), the trainer's `TrainerState`, the caller's settings record, and the task's
/// own records.
struct RunCheckpoint<Task: TrainingTask> {
    let path: String
    let task: Task
    /// The caller's settings as JSON text; a checkpoint written with other settings is refused.
    let settings: String
    let models: ModuleDictionary<Module>
    let optimizers: NamedOptimizers?

    init(path: String, task: Task, settings: String) {
        self.path = path
        self.task = task
        self.settings = settings
        models = ModuleDictionary(task.models.map { (key: $0.key, module: $0.value) })
        optimizers = task.optimizers.isEmpty ? nil : NamedOptimizers(task.optimizers.map { (name: $0.key, optimizer: $0.value) })
    }

    /// The task's named generators, plus any generator the models hold that is not one of them.
    var generators: [String: RandomGenerator] {
        var all = TrainingCheckpoint.generators(of: models, excluding: task.generators.map(\.value))
            .reduce(into: [String: RandomGenerator]()) { $0["model." + $1.key] = $1.value }
        for (name, generator) in task.generators { all[name] = generator }
        return all
    }

    func save(_ state: TrainerState) throws {
        var checkpoint = try TrainingCheckpoint(model: models, optimizer: optimizers, generators: generators)
        try checkpoint.setRecord(state, forKey: "trainer")
        checkpoint.records["settings"] = settings
        for (name, scheduler) in task.schedulers { try checkpoint.setRecord(scheduler.stateDictionary(), forKey: "scheduler." + name) }
        try task.saveState(into: &checkpoint)
        try checkpoint.write(to: path)
    }

    /// Puts the checkpoint's state into the freshly built task and returns where the run stopped.
    /// Throws `RunFolderError` naming the problem when there is no checkpoint, it does not fit, or its
    /// counters are impossible for a run of `epochs` epochs.
    func restore(epochs: Int) throws -> TrainerState {
        guard FileReading.exists(path) else {
            throw RunFolderError("cannot resume: there is no checkpoint at \(path); a run writes one at the end of each epoch")
        }
        do {
            let checkpoint = try TrainingCheckpoint.read(path)
            guard let state = try checkpoint.record(TrainerState.self, forKey: "trainer"), let saved = checkpoint.records["settings"] else {
                throw RunFolderError("cannot resume: \(path) is not a checkpoint of a Nabla trainer (it has no trainer or settings record)")
            }
            guard saved == settings else {
                throw RunFolderError("cannot resume: the checkpoint \(path) was written with settings \(saved), which differ from the run's \(settings)")
            }
            try validate(state, epochs: epochs)
            try checkpoint.restore(model: models, optimizer: optimizers, generators: generators, file: path)
            for (name, scheduler) in task.schedulers {
                guard let position = try checkpoint.record(LearningRateSchedulerState.self, forKey: "scheduler." + name) else {
                    throw RunFolderError("cannot resume: the checkpoint \(path) has no position for the scheduler '\(name)'")
                }
                try scheduler.loadStateDictionary(position)
            }
            try task.restoreState(from: checkpoint)
            return state
        } catch let error as CheckpointError {
            throw RunFolderError("cannot resume: \(error)")
        } catch let error as DataError {
            throw RunFolderError("cannot resume: the checkpoint is unreadable: \(error)")
        } catch let error as OptimizerStateError {
            throw RunFolderError("cannot resume: \(path): \(error.description)")
        }
    }

    /// A checkpoint is input like any other file: hand-edited counters are refused with their key.
    private func validate(_ state: TrainerState, epochs: Int) throws {
        func refuse(_ key: String, _ value: Any, _ allowed: String) -> RunFolderError {
            RunFolderError("cannot resume: the checkpoint \(path) has \(key) = \(value), but it must be \(allowed)")
        }
        guard (0...epochs).contains(state.completedEpochs) else {
            throw refuse("completedEpochs", state.completedEpochs, "in 0...\(epochs) (the run's epochs)")
        }
        guard state.step >= 0 else { throw refuse("step", state.step, "at least 0") }
        let totals = state.epochTotals
        // A run stopped on an epoch's last batch is saved before that epoch's end: batches == batchesPerEpoch.
        guard totals.batches >= 0 && totals.batches <= task.batchesPerEpoch else {
            throw refuse("epochTotals.batches", totals.batches, "in 0...\(task.batchesPerEpoch) (batches per epoch)")
        }
        guard totals.samples >= 0 else { throw refuse("epochTotals.samples", totals.samples, "at least 0") }
        guard totals.batches == 0 || Set(state.epochStartGenerators.keys) == Set(generators.keys) else {
            throw refuse("epochStartGenerators", state.epochStartGenerators.keys.sorted(), "the generators \(generators.keys.sorted()) (the checkpoint stops inside an epoch)")
        }
        guard state.metrics.count <= state.completedEpochs else {
            throw refuse("metrics", "\(state.metrics.count) rows", "at most completedEpochs (\(state.completedEpochs)) rows")
        }
        guard state.trainingSeconds >= 0 else {
            throw refuse("trainingSeconds", state.trainingSeconds, "at least 0")
        }
    }
}
