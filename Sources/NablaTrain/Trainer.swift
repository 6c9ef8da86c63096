import Foundation
import Nabla
import NablaCheckpoint
import NablaData
import NablaNN
import NablaOptim

/// How a `Trainer` runs: epochs, checkpoints, interruptions, divergence and early stopping.
public struct TrainerOptions {
    public var epochs: Int
    /// The checkpoint's file name in the run folder (a lab that trains several times names each).
    public var checkpointFile = "checkpoint.safetensors"
    /// The name of this training within its run, when a run trains several times (one per optimiser,
    /// say), each with its own `checkpointFile`. Its metrics rows carry it as `stage` in metrics.jsonl
    /// and metrics.csv, and its checkpoint holds only its own rows: a resumed run restores each stage's
    /// rows in turn and the files end with every epoch of every stage exactly once.
    public var stage = ""
    /// Also write a checkpoint every this many steps (0: only at the end of each epoch).
    public var checkpointEvery = 0
    /// Stop (with a checkpoint) once this many steps have been taken in all, to simulate an interruption.
    public var stopAfterSteps: Int?
    /// Stop (with a checkpoint) once this many epochs are complete.
    public var stopAfterEpochs: Int?
    /// Stop at the first loss that is NaN or infinite (the default); false trains on regardless.
    public var stopOnNonFiniteLoss = true
    /// Stop when an evaluation metric stops improving.
    public var earlyStopping: EarlyStoppingRule?
    /// Continue from the checkpoint in the run folder instead of starting afresh.
    public var resume = false
    /// The caller's settings as JSON text, kept in the checkpoint: resuming with other settings is refused.
    public var settingsRecord = "{}"
    /// What to tell the user to type to continue an interrupted run.
    public var resumeCommand = "--resume"
    /// How to ask for training to go on through a non-finite loss (named in the divergence message).
    public var keepGoingHint = "--keep-going-on-nan"
    public var progress = ProgressDisplay()
    /// Where the trainer's lines go (standard output by default).
    public var log: (String) -> Void = { print($0) }

    public init(epochs: Int) { self.epochs = epochs }
}

/// Stop when `metric` (a key of the evaluation's metrics) has not improved for `patience` epochs.
public struct EarlyStoppingRule {
    public var metric: String
    public var patience: Int
    public var minimumDelta: Double
    public var mode: MetricMode

    public init(metric: String, patience: Int, minimumDelta: Double = 0, mode: MetricMode = .minimize) {
        self.metric = metric
        self.patience = patience
        self.minimumDelta = minimumDelta
        self.mode = mode
    }
}

/// How a call to `Trainer.fit()` ended.
public enum TrainingStop: Equatable {
    /// Every epoch trained.
    case finished
    /// Early stopping ended training after this epoch.
    case stoppedEarly(epoch: Int)
    /// The loss was not finite at this step; the run folder keeps the last good checkpoint.
    case diverged(step: Int, epoch: Int, loss: Double)
    /// Stopped on request (`stopAfterSteps`, `stopAfterEpochs`) with a checkpoint, to be resumed.
    case interrupted
}

public struct TrainingOutcome {
    public var state: TrainerState
    public var stop: TrainingStop
    /// Whether the run is over (the caller writes its final figures and report); false when interrupted.
    public var isOver: Bool { stop != .interrupted }
}

/// The one training loop: runs a `TrainingTask` for a number of epochs with progress, per-epoch metrics
/// (metrics.jsonl and metrics.csv), learning-rate schedules, early stopping, a stop on divergence and
/// atomic checkpoints, in a run folder.
///
/// A checkpoint is replaced at the end of every epoch and, with `checkpointEvery`, every that many steps.
/// A resumed run rebuilds its task from the seed exactly as a fresh one, puts the checkpoint's state in
/// and continues where it stopped — mid-epoch too — so it ends with the same parameters, bit for bit, as a
/// run that was never interrupted.
///
/// ```swift
/// let folder = try RunFolderWriter(folder: URL(fileURLWithPath: "runs/a"), mode: .create(overwrite: false))
/// let outcome = try Trainer(task: task, folder: folder, options: TrainerOptions(epochs: 10)).fit()
/// ```
public final class Trainer<Task: TrainingTask> {
    public let task: Task
    public let folder: RunFolderWriter
    public let options: TrainerOptions

    public init(task: Task, folder: RunFolderWriter, options: TrainerOptions) {
        self.task = task
        self.folder = folder
        self.options = options
    }

    public func fit() throws -> TrainingOutcome {
        let epochs = options.epochs
        guard epochs >= 1 else { throw RunFolderError("epochs must be at least 1, not \(epochs)") }
        guard epochs <= Int.max / max(task.batchesPerEpoch, 1) else {
            throw RunFolderError("epochs \(epochs) × \(task.batchesPerEpoch) batches per epoch is more steps than can be counted")
        }
        // Before anything is allocated for the run: a batch too large for memory is refused with its estimate.
        try task.checkMemory()
        let checkpoint = RunCheckpoint(path: folder.path(options.checkpointFile), task: task, settings: options.settingsRecord)
        for (name, optimizer) in task.optimizers where !(optimizer is any OptimizerStateSaving) {
            throw RunFolderError("the optimiser '\(name)' (\(type(of: optimizer))) cannot save its state, so its run could not be resumed")
        }
        var state = TrainerState()
        if options.resume {
            state = try checkpoint.restore(epochs: epochs)
            try folder.restore(metrics: state.metrics, columns: state.metricColumns, stage: options.stage)
            if state.completedEpochs > 0 || state.epochTotals.batches > 0 {
                options.log("resuming \(folder.folder.path) after epoch \(state.completedEpochs)"
                            + (state.epochTotals.batches > 0 ? " and \(state.epochTotals.batches) batches of epoch \(state.completedEpochs + 1)" : "")
                            + " (step \(state.step))")
            }
            if state.stoppedEarlyAfterEpoch != nil || state.completedEpochs == epochs {
                return TrainingOutcome(state: state, stop: state.stoppedEarlyAfterEpoch.map { .stoppedEarly(epoch: $0) } ?? .finished)
            }
        }
        let generators = checkpoint.generators
        let display = options.progress
        let batchCount = task.batchesPerEpoch
        task.setTraining(true)
        for epoch in stride(from: state.completedEpochs + 1, through: epochs, by: 1) {
            // The batches of an epoch come from the generators' states when it starts, so a run resumed
            // mid-epoch rebuilds them from those states, skips the batches already trained, and puts
            // back the generators' states at the checkpoint.
            var batches: AnyIterator<Task.Batch>
            if state.epochTotals.batches > 0 {
                let current = generators.mapValues(\.state)
                for (name, generator) in generators { generator.state = state.epochStartGenerators[name]! }
                batches = task.epochBatches(epoch: epoch)
                for _ in 0..<state.epochTotals.batches { _ = batches.next() }
                for (name, generator) in generators { generator.state = current[name]! }
            } else {
                state.epochStartGenerators = generators.mapValues(\.state)
                state.epochStartLearningRate = task.optimizers.first?.value.learningRates.first ?? 0
                batches = task.epochBatches(epoch: epoch)
            }
            display.startEpoch()
            let clock = Date()
            let startSeconds = state.epochTotals.seconds
            var stop: TrainingStop?
            while let batch = batches.next() {
                let result = try task.trainStep(batch)
                for (_, scheduler) in task.schedulers { scheduler.step() }
                state.step += 1
                var totals = state.epochTotals
                totals.batches += 1
                totals.samples += result.count
                totals.lossSum += result.loss * Double(result.count)
                for (key, value) in result.metrics {
                    if totals.metricSums[key] == nil { totals.metricOrder.append(key) }
                    totals.metricSums[key, default: 0] += value * Double(result.count)
                }
                totals.seconds = startSeconds + Date().timeIntervalSince(clock)
                state.epochTotals = totals
                display.update(epoch: epoch, epochs: epochs, batches: totals.batches, totalBatches: batchCount,
                               samples: totals.samples, meanLoss: totals.lossSum / Double(max(totals.samples, 1)))
                if !result.loss.isFinite && options.stopOnNonFiniteLoss {
                    stop = .diverged(step: state.step, epoch: epoch, loss: result.loss)
                    break
                }
                if let limit = options.stopAfterSteps, state.step >= limit {
                    try checkpoint.save(state)
                    stop = .interrupted
                    break
                }
                if InterruptRequest.signal != nil {
                    try checkpoint.save(state)
                    stop = .interrupted
                    break
                }
                if options.checkpointEvery > 0 && state.step % options.checkpointEvery == 0 && totals.batches < batchCount {
                    try checkpoint.save(state)
                }
            }
            if stop == .interrupted {
                display.finishEpoch((InterruptRequest.signalName.map { "\($0): " } ?? "") + "stopped after step \(state.step) (epoch \(epoch), batch \(state.epochTotals.batches)/\(batchCount)); "
                                    + "checkpoint written; continue with: \(options.resumeCommand)")
                return TrainingOutcome(state: state, stop: .interrupted)
            }
            let totals = state.epochTotals
            let seconds = totals.seconds
            var row: [(key: String, value: Double)] = [("epoch", Double(epoch)), ("train_loss", totals.lossSum / Double(max(totals.samples, 1)))]
            row += totals.metricOrder.map { ("train_" + $0, totals.metricSums[$0]! / Double(max(totals.samples, 1))) }
            var line = (options.stage.isEmpty ? "" : options.stage + " ") + "epoch \(epoch)/\(epochs): train loss \(format(row[1].value))"
            if case .diverged = stop {} else {
                task.setTraining(false)
                let evaluation = try task.evaluate(epoch: epoch)
                task.setTraining(true)
                row += evaluation
                line += evaluation.map { ", \($0.key) \(format($0.value))" }.joined()
            }
            row += [("learning_rate", state.epochStartLearningRate), ("seconds", seconds),
                    ("samples_per_s", Double(totals.samples) / max(seconds, 1e-9))]
            line += "  (\(String(format: "%.1f", seconds)) s, \(Int(Double(totals.samples) / max(seconds, 1e-9))) samples/s)"
            display.finishEpoch(line)
            try folder.append(epochMetrics: row, stage: options.stage)
            state.trainingSeconds += seconds
            state.metrics = folder.metrics(ofStage: options.stage)
            state.metricColumns = folder.metricColumns
            if case .diverged(let step, _, let loss) = stop {
                options.log("training stopped: the loss is \(loss) at step \(step) (epoch \(epoch), batch \(totals.batches)/\(batchCount)); "
                            + "the learning rate is probably too high (it is \(String(format: "%g", task.optimizers.first?.value.learningRates.first ?? 0))): "
                            + "try a lower one, or pass \(options.keepGoingHint) to train on regardless. "
                            + (state.completedEpochs > 0 ? "The checkpoint of epoch \(state.completedEpochs), the last finished one, is kept." : ""))
                return TrainingOutcome(state: state, stop: stop!)
            }
            state.completedEpochs = epoch
            state.epochTotals = EpochTotals()
            if let rule = options.earlyStopping, shouldStopEarly(rule, rows: state.metrics), epoch < epochs {
                state.stoppedEarlyAfterEpoch = epoch
                try checkpoint.save(state)
                options.log("early stopping: \(rule.metric) has not improved for \(rule.patience) epochs; stopped after epoch \(epoch) of \(epochs)")
                return TrainingOutcome(state: state, stop: .stoppedEarly(epoch: epoch))
            }
            if let reason = task.finishedEarly, epoch < epochs {
                state.stoppedEarlyAfterEpoch = epoch
                try checkpoint.save(state)
                options.log("training ended after epoch \(epoch) of \(epochs): \(reason)")
                return TrainingOutcome(state: state, stop: .stoppedEarly(epoch: epoch))
            }
            try checkpoint.save(state)
            if let stopAfterEpochs = options.stopAfterEpochs, epoch >= stopAfterEpochs, epoch < epochs {
                options.log("stopped after epoch \(epoch) of \(epochs); checkpoint written; continue with: \(options.resumeCommand)")
                return TrainingOutcome(state: state, stop: .interrupted)
            }
        }
        return TrainingOutcome(state: state, stop: .finished)
    }

    /// Early stopping replays the recorded metric over every epoch, so a resumed run decides exactly as
    /// an uninterrupted one without saving the rule's state.
    private func shouldStopEarly(_ rule: EarlyStoppingRule, rows: [[String: Double]]) -> Bool {
        var stopping = EarlyStopping(patience: rule.patience, minimumDelta: rule.minimumDelta, mode: rule.mode)
        for row in rows { stopping.update(row[rule.metric] ?? .nan) }
        return stopping.shouldStop
    }

    private func format(_ value: Double) -> String { String(format: "%.4f", value) }
}
