import Foundation
import Nabla
import NablaData
import NablaNN
import NablaViz

/// One `nabla train` run from data to report: load and split the data, build the model and optimiser,
/// train with progress and per-epoch validation, test, and write the run folder.
struct TrainingRun {
    let recipe: Recipe
    let settings: TrainingSettings
    let dataFolder: String?
    let outputFolder: URL

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
        try writer.writeJSON(configuration(model: model, trainingCount: loader.dataset.count, validationCount: validation.count),
                             to: "config.json")
        print("model: \(recipe.name), \(model.parameterCount()) parameters; \(settings.epochs) epochs, batch \(settings.batchSize), "
              + "\(settings.optimizer.rawValue) lr \(settings.learningRate), \(settings.schedule.rawValue) schedule; run folder \(outputFolder.path)")

        let display = ProgressDisplay()
        var totalTrainingSeconds = 0.0
        for epoch in 1...settings.epochs {
            let learningRate = optimizer.learningRates.first ?? settings.learningRate
            display.startEpoch()
            let result = trainer.trainEpoch(loader) { batches, samples, loss in
                display.update(epoch: epoch, epochs: settings.epochs, batches: batches, totalBatches: loader.batchCount,
                               samples: samples, meanLoss: loss)
            }
            totalTrainingSeconds += result.seconds
            var row: [String: Double] = ["epoch": Double(epoch), "train_loss": result.meanLoss, "learning_rate": learningRate,
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
        }

        let evaluation = trainer.evaluate(test)
        print("test accuracy: \(format(evaluation.accuracy)) (loss \(format(evaluation.meanLoss)), \(test.count) images; "
              + "training took \(String(format: "%.1f", totalTrainingSeconds)) s)")
        try writer.writeJSON(["test_accuracy": evaluation.accuracy, "test_loss": evaluation.meanLoss,
                              "training_seconds": totalTrainingSeconds, "epochs": settings.epochs,
                              "parameters": model.parameterCount()], to: "summary.json")
        try writer.writeConfusion(predictions: evaluation.predictions, labels: evaluation.labels, classNames: FashionMNIST.classNames)
        let shown = Array(0..<min(40, test.count))
        try writer.writeSamples(images: test.batch(at: shown).inputs, predictions: shown.map { evaluation.predictions[$0] },
                                labels: shown.map { evaluation.labels[$0] }, classNames: FashionMNIST.classNames)
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
