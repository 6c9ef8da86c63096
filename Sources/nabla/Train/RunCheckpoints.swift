import Foundation
import Nabla
import NablaCheckpoint
import NablaData
import NablaNN
import NablaOptim

/// Where a `nabla train` run is, saved in every checkpoint beside the tensors: enough to continue it
/// so that it ends exactly as an uninterrupted run would.
struct TrainingProgress: Codable {
    /// Epochs trained to the end (and validated, and written to the metrics).
    var completedEpochs = 0
    /// Optimiser steps taken in all.
    var step = 0
    /// The epoch in progress: batches done and their running loss (all zero between epochs).
    var epochTotals = ClassifierTraining.EpochTotals()
    /// The generator's state when the epoch in progress started, from which its batch order is drawn.
    var epochStartGeneratorState: [UInt64] = []
    /// The learning rate when the epoch in progress started (what its metrics row reports).
    var epochStartLearningRate = 0.0
    /// Training time of the completed epochs.
    var trainingSeconds = 0.0
    /// The metrics rows of the completed epochs.
    var metrics: [[String: Double]] = []
}

/// Writes and reads the checkpoint of one run folder: `checkpoint.safetensors`, replaced atomically, so a
/// crash while saving leaves the previous checkpoint whole.
struct RunCheckpoints {
    let path: String
    let settings: TrainingSettings
    let model: any Layer
    let optimizer: any Optimizer
    let scheduler: LearningRateScheduler?
    let generator: RandomGenerator

    /// The data generator (shuffling, augmentation) and any generator the model's layers keep (dropout).
    private var generators: [String: RandomGenerator] {
        var all = TrainingCheckpoint.generators(of: model, excluding: [generator])
        all["data"] = generator
        return all
    }

    func save(_ progress: TrainingProgress) throws {
        var checkpoint = try TrainingCheckpoint(model: model, optimizer: optimizer, scheduler: scheduler, generators: generators)
        try checkpoint.setRecord(progress, forKey: "progress")
        try checkpoint.setRecord(settings, forKey: "settings")
        try checkpoint.write(to: path)
    }

    /// Puts the checkpoint's state into the freshly built model, optimiser, schedule and generator, and
    /// returns where the run stopped. Throws `ValidationFailure` naming the problem when there is no
    /// checkpoint or it does not fit.
    func restore() throws -> TrainingProgress {
        guard FileReading.exists(path) else {
            throw ValidationFailure("cannot resume: there is no checkpoint at \(path); a run writes one at the end of each epoch")
        }
        do {
            let checkpoint = try TrainingCheckpoint.read(path)
            guard let saved = try checkpoint.record(TrainingSettings.self, forKey: "settings"),
                  let progress = try checkpoint.record(TrainingProgress.self, forKey: "progress") else {
                throw ValidationFailure("cannot resume: \(path) is not a checkpoint of `nabla train` (it has no settings or progress record)")
            }
            guard try Self.json(saved) == Self.json(settings) else {
                throw ValidationFailure("cannot resume: the checkpoint \(path) was written with settings \(try Self.json(saved)), "
                                        + "which differ from the run's config.json \(try Self.json(settings))")
            }
            guard progress.epochTotals.batches == 0 || progress.epochStartGeneratorState.count == 4 else {
                throw ValidationFailure("cannot resume: the checkpoint \(path) stops inside an epoch but lacks the generator state of that epoch's start")
            }
            try checkpoint.restore(model: model, optimizer: optimizer, scheduler: scheduler, generators: generators, file: path)
            return progress
        } catch let error as CheckpointError {
            throw ValidationFailure("cannot resume: \(error)")
        } catch let error as DataError {
            throw ValidationFailure("cannot resume: the checkpoint is unreadable: \(error)")
        }
    }

    private static func json(_ settings: TrainingSettings) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(settings), as: UTF8.self)
    }
}
