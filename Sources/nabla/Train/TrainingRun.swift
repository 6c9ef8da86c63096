import Foundation
import Nabla
import NablaCheckpoint
import NablaData
import NablaNN
import NablaViz

/// One `nabla train` run from data to report: load and split the data, build the model and optimiser,
/// train with progress and per-epoch validation, test, and write the run folder.
///
/// A checkpoint (`checkpoint.safetensors`, see `RunCheckpoints`) is replaced atomically at the end of every
/// epoch and, with `checkpointEvery`, every that many steps; a resumed run rebuilds everything from the
/// seed exactly as a fresh one, puts the checkpoint's state in, and continues where it stopped, so it ends
/// with the same parameters, bit for bit, as a run that was never interrupted.
struct TrainingRun {
    let recipe: Recipe
    let settings: TrainingSettings
    let dataFolder: String?
    let outputFolder: URL
    /// Continue the run in `outputFolder` from its checkpoint instead of starting afresh.
    var resume = false
    /// Also write a checkpoint every this many optimiser steps (0: only at the end of each epoch).
    var checkpointEvery = 0
    /// Stop (with a checkpoint) once this many optimiser steps have been taken in all, to simulate an interruption.
    var stopAfterSteps: Int? = nil
    /// Stop (with a checkpoint) once this many epochs are complete.
    var stopAfterEpochs: Int? = nil

    func run() throws {
        let generator = RandomGenerator(seed: settings.seed)
        let loadStart = Date()
        let fullTraining = try FashionMNIST(.training, folder: dataFolder)
        let test = try FashionMNIST(.test, folder: dataFolder)
        let (training, validation) = try fullTraining.split(validation: .fraction(settings.validationFraction),
                                                            stratified: true, generator: generator)
        print("data: \(training.count) training, \(validation.count) validation, \(test.count) test images "
              + "(loaded in \(String(format: "%.2f", Date().timeIntervalSince(loadStart))) s)")

        let model = recipe.makeModel(generator)
        let optimizer = settings.makeOptimizer(model.parameters())
        let loader = DataLoader(training, batchSize: settings.batchSize, shuffle: true, generator: generator)
        let scheduler = settings.makeScheduler(optimizer, totalSteps: loader.batchCount * settings.epochs)
        let normalization = settings.normalizeInputs
            ? Normalize(mean: [FashionMNIST.mean], standardDeviation: [FashionMNIST.standardDeviation]) : nil
        let trainer = ClassifierTraining(model: model, optimizer: optimizer, scheduler: scheduler, inputTransform: normalization)

        var writer = try RunFolderWriter(folder: outputFolder)
        let checkpoints = RunCheckpoints(path: writer.path("checkpoint.safetensors"), settings: settings, model: model,
                                         optimizer: optimizer, scheduler: scheduler, generator: generator)
        var progress = TrainingProgress()
        if resume {
            progress = try checkpoints.restore()
            try writer.restore(metrics: progress.metrics)
            print("resuming \(outputFolder.path) after epoch \(progress.completedEpochs)"
                  + (progress.epochTotals.batches > 0 ? " and \(progress.epochTotals.batches) batches of epoch \(progress.completedEpochs + 1)" : "")
                  + " (step \(progress.step))"
                  + (progress.completedEpochs == settings.epochs ? "; all epochs are trained, so only the test, model.safetensors and report are written" : ""))
        } else {
            try writer.writeJSON(configuration(model: model, trainingCount: loader.dataset.count, validationCount: validation.count),
                                 to: "config.json")
        }
        print("model: \(recipe.name), \(model.parameterCount()) parameters; \(settings.epochs) epochs, batch \(settings.batchSize), "
              + "\(settings.optimizer.rawValue) lr \(settings.learningRate), \(settings.schedule.rawValue) schedule; run folder \(outputFolder.path)")

        let display = ProgressDisplay()
        for epoch in stride(from: progress.completedEpochs + 1, through: settings.epochs, by: 1) {
            // The loader draws the epoch's order from the generator when the epoch starts, so a run resumed
            // mid-epoch rebuilds that order from the generator's state at the start of the epoch, then
            // skips the batches already trained and puts back the generator's state at the checkpoint.
            var batches: DataLoader.Iterator
            if progress.epochTotals.batches > 0 {
                let current = generator.state
                generator.state = progress.epochStartGeneratorState
                batches = loader.makeIterator()
                generator.state = current
                for _ in 0..<progress.epochTotals.batches { _ = batches.next() }
            } else {
                progress.epochStartGeneratorState = generator.state
                progress.epochStartLearningRate = optimizer.learningRates.first ?? settings.learningRate
                batches = loader.makeIterator()
            }
            display.startEpoch()
            let (result, _, finished) = try trainer.trainEpoch(&batches, from: progress.epochTotals) { batches, samples, loss in
                display.update(epoch: epoch, epochs: settings.epochs, batches: batches, totalBatches: loader.batchCount,
                               samples: samples, meanLoss: loss)
            } afterBatch: { totals in
                progress.step += 1
                progress.epochTotals = totals
                let stopping = stopAfterSteps.map { progress.step >= $0 } ?? false
                if stopping || (checkpointEvery > 0 && progress.step % checkpointEvery == 0 && totals.batches < loader.batchCount) {
                    try checkpoints.save(progress)
                }
                return !stopping
            }
            if !finished {
                display.finishEpoch("stopped after step \(progress.step) (epoch \(epoch), batch \(progress.epochTotals.batches)/\(loader.batchCount)); "
                                    + "checkpoint written; continue with: nabla train --resume \(outputFolder.path)")
                return
            }
            var row: [String: Double] = ["epoch": Double(epoch), "train_loss": result.meanLoss, "learning_rate": progress.epochStartLearningRate,
                                         "seconds": result.seconds, "samples_per_s": result.samplesPerSecond]
            var line = "epoch \(epoch)/\(settings.epochs): train loss \(format(result.meanLoss))"
            if validation.count > 0 {
                let evaluation = trainer.evaluate(validation)
                row["val_loss"] = evaluation.meanLoss
                row["val_accuracy"] = evaluation.accuracy
                line += ", validation loss \(format(evaluation.meanLoss)), accuracy \(format(evaluation.accuracy))"
            }
            line += "  (\(String(format: "%.1f", result.seconds)) s, \(Int(result.samplesPerSecond)) samples/s)"
            display.finishEpoch(line)
            try writer.append(epochMetrics: row)
            progress.completedEpochs = epoch
            progress.trainingSeconds += result.seconds
            progress.epochTotals = .init()
            progress.metrics = writer.metrics
            try checkpoints.save(progress)
            if let stopAfterEpochs, epoch >= stopAfterEpochs, epoch < settings.epochs {
                print("stopped after epoch \(epoch) of \(settings.epochs); checkpoint written; continue with: nabla train --resume \(outputFolder.path)")
                return
            }
        }
        let evaluation = trainer.evaluate(test)
        print("test accuracy: \(format(evaluation.accuracy)) (loss \(format(evaluation.meanLoss)), \(test.count) images; "
              + "training took \(String(format: "%.1f", progress.trainingSeconds)) s)")
        try writer.writeJSON(["test_accuracy": evaluation.accuracy, "test_loss": evaluation.meanLoss,
                              "training_seconds": progress.trainingSeconds, "epochs": settings.epochs,
                              "parameters": model.parameterCount()], to: "summary.json")
        try writer.writeConfusion(predictions: evaluation.predictions, labels: evaluation.labels, classNames: FashionMNIST.classNames)
        let shown = Array(0..<min(40, test.count))
        try writer.writeSamples(images: test.batch(at: shown).inputs, predictions: shown.map { evaluation.predictions[$0] },
                                labels: shown.map { evaluation.labels[$0] }, classNames: FashionMNIST.classNames)
        try model.saveSafetensors(to: writer.path("model.safetensors"), metadata: ["format": "pt", "nabla.recipe": recipe.name])
        print("model: \(writer.path("model.safetensors"))")
        let report = try writeRunReport(runFolder: outputFolder)
        print("report: \(report.path)")
    }

    private func configuration(model: any Layer, trainingCount: Int, validationCount: Int) -> [String: Any] {
        ["recipe": recipe.name, "model": recipe.summary, "parameters": model.parameterCount(),
         "epochs": settings.epochs, "batch_size": settings.batchSize, "learning_rate": settings.learningRate,
         "optimizer": settings.optimizer.rawValue, "schedule": settings.schedule.rawValue,
         "normalize_inputs": settings.normalizeInputs, "validation_fraction": settings.validationFraction,
         "seed": settings.seed, "training_examples": trainingCount, "validation_examples": validationCount,
         "data_folder": FashionMNIST.resolveFolder(dataFolder)]
    }

    private func format(_ value: Double) -> String { String(format: "%.4f", value) }
}
