import ArgumentParser
import Foundation
import Nabla
import NablaData
import NablaNN
import NablaViz

/// `nabla train RECIPE`: trains a recipe on Fashion-MNIST with progress, per-epoch validation, a final
/// test accuracy, and a run folder holding the configuration, metrics and an HTML report.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on Fashion-MNIST and write its metrics and report.",
        discussion: "Recipes: " + Recipe.all.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")
            + ". Options left out take the recipe's defaults."
    )

    @Argument(help: "The recipe to train: \(Recipe.all.map(\.name).joined(separator: ", ")).")
    var recipe = Recipe.fashionCNN.name

    @Option(help: "Passes over the training set.") var epochs: Int?
    @Option(help: "Examples per mini-batch.") var batchSize: Int?
    @Option(help: "The optimiser's learning rate.") var learningRate: Double?
    @Option(help: "adam, adamw or sgd (momentum 0.9, Nesterov).") var optimizer: TrainingSettings.OptimizerKind?
    @Option(help: "constant, cosine, step or onecycle (stepped every batch).") var schedule: TrainingSettings.ScheduleKind?
    @Option(help: "Seed of every random choice: initial weights, validation split, batch order.") var seed: UInt64 = 0
    @Option(help: "Share of the training set held out for validation.") var validationFraction: Double?
    @Option(help: "Folder for the run's files (default runs/RECIPE-DATE-TIME).") var output: String?
    @Option(help: "Folder holding the Fashion-MNIST files (default $\(FashionMNIST.environmentVariable) or \(FashionMNIST.defaultFolder)).")
    var dataFolder: String?
    @Flag(inversion: .prefixedNo, help: "Normalise inputs to the training set's mean and deviation.") var normalize: Bool?

    func validate() throws {
        guard Recipe.named(recipe) != nil else {
            throw ValidationError("unknown recipe '\(recipe)'; choose one of: \(Recipe.all.map(\.name).joined(separator: ", "))")
        }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, not \(epochs)") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1, not \(batchSize)") }
        if let learningRate, !(learningRate > 0) { throw ValidationError("--learning-rate must be positive, not \(learningRate)") }
        if let validationFraction, !(0..<1).contains(validationFraction) {
            throw ValidationError("--validation-fraction must be in [0, 1), not \(validationFraction)")
        }
    }

    func run() throws {
        let chosen = Recipe.named(recipe)!
        var settings = chosen.defaults
        settings.epochs = epochs ?? settings.epochs
        settings.batchSize = batchSize ?? settings.batchSize
        settings.learningRate = learningRate ?? settings.learningRate
        settings.optimizer = optimizer ?? settings.optimizer
        settings.schedule = schedule ?? settings.schedule
        settings.normalizeInputs = normalize ?? settings.normalizeInputs
        settings.validationFraction = validationFraction ?? settings.validationFraction
        settings.seed = seed
        let folder = URL(fileURLWithPath: output ?? Self.defaultOutput(recipe: chosen.name))
        do {
            try TrainingRun(recipe: chosen, settings: settings, dataFolder: dataFolder, outputFolder: folder).run()
        } catch let error as DataError {
            throw failure("\(error)")
        } catch let error as ValidationFailure {
            throw failure("\(error)")
        }
    }

    static func defaultOutput(recipe: String) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "runs/\(recipe)-\(formatter.string(from: Date()))"
    }
}

extension TrainingSettings.OptimizerKind: ExpressibleByArgument {}
extension TrainingSettings.ScheduleKind: ExpressibleByArgument {}
