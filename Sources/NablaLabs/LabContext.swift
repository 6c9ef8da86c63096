import Foundation
import Nabla
import NablaData
import NablaTrain

/// What a running lab gets: its settings, the seed, the run folder, and `train`, which runs a task with
/// the trainer's progress, metrics, checkpoints and resume.
public final class LabContext {
    public let lab: any Lab
    public let settings: LabValues
    /// Whether this is the quick setting.
    public let isQuick: Bool
    /// The run folder (locked while the lab runs).
    public let folder: RunFolderWriter
    /// The data folder given on the command line, if any (each data set has its own default).
    public let dataFolder: String?
    /// Whether the run continues from checkpoints in `folder`.
    public let isResuming: Bool
    let options: LabRunOptions
    /// Steps trained in the stages finished so far (a lab may train several times).
    private var stepsBefore = 0
    private var stages: Set<String> = []

    init(lab: any Lab, settings: LabValues, isQuick: Bool, folder: RunFolderWriter, options: LabRunOptions, isResuming: Bool) {
        self.lab = lab
        self.settings = settings
        self.isQuick = isQuick
        self.folder = folder
        self.dataFolder = options.dataFolder
        self.isResuming = isResuming
        self.options = options
    }

    /// The seed of every random choice of the run (the `seed` setting).
    public var seed: UInt64 { UInt64(settings.integer("seed")) }

    /// A generator seeded from the run's seed; `stream` tells apart generators for different purposes
    /// (data order, noise, initial weights) so they do not repeat one another.
    public func generator(stream: UInt64 = 0) -> RandomGenerator {
        RandomGenerator(seed: seed &+ stream &* 0x9E37_79B9_7F4A_7C15)
    }

    public func log(_ line: String) { print(line) }

    /// Trains `task` for `epochs` epochs in this lab's run folder and returns how it ended. A lab that
    /// trains several times (one model per optimiser, say) names each `stage`; each keeps its own
    /// checkpoint (`checkpoint.<stage>.safetensors`), so a resumed lab skips the finished stages (restoring
    /// their final state) and continues the interrupted one. Early stopping watches an evaluation metric.
    ///
    /// When the outcome is not `isOver` (an interruption), return `LabResult.interrupted` at once.
    public func train<Task: TrainingTask>(_ task: Task, epochs: Int, stage: String = "", earlyStopping: EarlyStoppingRule? = nil) throws -> TrainingOutcome {
        precondition(stages.insert(stage).inserted, "LabContext.train: the stage '\(stage)' is trained twice; give each training its own stage name")
        var trainerOptions = TrainerOptions(epochs: epochs)
        trainerOptions.checkpointFile = stage.isEmpty ? "checkpoint.safetensors" : "checkpoint.\(stage).safetensors"
        trainerOptions.stage = stage
        trainerOptions.checkpointEvery = options.checkpointEvery
        trainerOptions.stopAfterSteps = options.stopAfterSteps.map { $0 - stepsBefore }
        trainerOptions.stopAfterEpochs = stage.isEmpty ? options.stopAfterEpochs : nil
        trainerOptions.stopOnNonFiniteLoss = !options.keepGoingOnNonFiniteLoss
        trainerOptions.earlyStopping = earlyStopping
        trainerOptions.settingsRecord = settings.record
        trainerOptions.resumeCommand = "nabla lab run --resume \(folder.folder.path)"
        trainerOptions.keepGoingHint = "--keep-going-on-nan"
        // A later stage of a resumed run may not have started before the interruption: it starts fresh.
        trainerOptions.resume = isResuming && FileManager.default.fileExists(atPath: folder.path(trainerOptions.checkpointFile))
        if let limit = trainerOptions.stopAfterSteps, limit <= 0 { trainerOptions.stopAfterSteps = nil }
        let outcome = try Trainer(task: task, folder: folder, options: trainerOptions).fit()
        stepsBefore += outcome.state.step
        return outcome
    }

    /// Adds `entries` to config.json (what a user needs to reproduce the run elsewhere, e.g. the input
    /// normalisation), keeping what is there.
    public func recordConfiguration(_ entries: [String: Any]) throws {
        var config = (try? readConfig()) ?? [:]
        for (key, value) in entries { config[key] = value }
        try folder.writeJSON(config, to: "config.json")
    }

    private func readConfig() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder.path("config.json")))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }
}
