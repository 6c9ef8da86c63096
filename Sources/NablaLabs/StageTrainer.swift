import Foundation
import NablaData
import NablaTrain

/// What runs one training of a lab: a `LabContext` in a lab run (progress, metrics, a checkpoint per
/// stage, resume), or a `ScratchTrainer` when a lab's steps are called as a library (tests, notebooks),
/// which runs the same trainer in a temporary folder of its own. A lab's static functions take one, so
/// the same code trains in both.
public protocol StageTrainer {
    /// Trains `task` for `epochs` epochs as the stage `stage`; see `LabContext.train`.
    func train<Task: TrainingTask>(_ task: Task, epochs: Int, stage: String, earlyStopping: EarlyStoppingRule?) throws -> TrainingOutcome
}

extension LabContext: StageTrainer {}

extension StageTrainer {
    public func train<Task: TrainingTask>(_ task: Task, epochs: Int, stage: String) throws -> TrainingOutcome {
        try train(task, epochs: epochs, stage: stage, earlyStopping: nil)
    }
}

/// Runs stages with the trainer, quietly, in a temporary run folder that is removed when the scratch
/// trainer is released: nothing to resume, nothing left behind.
public final class ScratchTrainer: StageTrainer {
    private let root: URL
    private let folder: RunFolderWriter

    public init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-scratch-\(UUID().uuidString)")
        folder = try RunFolderWriter(folder: root, mode: .create(overwrite: false))
    }

    deinit {
        folder.release()
        try? FileManager.default.removeItem(at: root)
    }

    public func train<Task: TrainingTask>(_ task: Task, epochs: Int, stage: String, earlyStopping: EarlyStoppingRule?) throws -> TrainingOutcome {
        var options = TrainerOptions(epochs: epochs)
        options.stage = stage
        options.checkpointFile = stage.isEmpty ? "checkpoint.safetensors" : "checkpoint.\(stage).safetensors"
        options.earlyStopping = earlyStopping
        options.progress = ProgressDisplay(isTerminal: false)
        options.progress.isSilent = true
        options.log = { _ in }
        return try Trainer(task: task, folder: folder, options: options).fit()
    }
}
