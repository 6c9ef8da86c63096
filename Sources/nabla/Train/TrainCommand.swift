import ArgumentParser
import Foundation
import Nabla
import NablaCheckpoint
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
            + ". Options left out take the recipe's defaults. A checkpoint (checkpoint.safetensors) is written "
            + "atomically at the end of every epoch, and the trained weights as model.safetensors at the end; "
            + "--resume DIR continues an interrupted run with the settings in DIR/config.json, ending exactly "
            + "as an uninterrupted run would."
    )

    @Argument(help: "The recipe to train: \(Recipe.all.map(\.name).joined(separator: ", ")) (default \(Recipe.fashionCNN.name)).")
    var recipe: String?

    @Option(help: "Passes over the training set.") var epochs: Int?
    @Option(help: "Examples per mini-batch.") var batchSize: Int?
    @Option(help: "The optimiser's learning rate.") var learningRate: Double?
    @Option(help: "adam, adamw or sgd (momentum 0.9, Nesterov).") var optimizer: TrainingSettings.OptimizerKind?
    @Option(help: "constant, cosine, step or onecycle (stepped every batch).") var schedule: TrainingSettings.ScheduleKind?
    @Option(help: "Seed of every random choice: initial weights, validation split, batch order (default 0).") var seed: UInt64?
    @Option(help: "Share of the training set held out for validation.") var validationFraction: Double?
    @Option(help: "Folder for the run's files (default runs/RECIPE-DATE-TIME).") var output: String?
    @Option(help: "Folder holding the Fashion-MNIST files (default $\(FashionMNIST.environmentVariable) or \(FashionMNIST.defaultFolder)).")
    var dataFolder: String?
    @Flag(inversion: .prefixedNo, help: "Normalise inputs to the training set's mean and deviation.") var normalize: Bool?
    @Option(help: ArgumentHelp("Continue the run in this folder from its last checkpoint, with the settings of its config.json.",
                               valueName: "run-folder"))
    var resume: String?
    @Option(help: "Also write a checkpoint every N optimiser steps (0: only at the end of each epoch).") var checkpointEvery = 0
    @Option(help: ArgumentHelp("Stop with a checkpoint after N optimiser steps in all (simulates an interruption).", visibility: .hidden))
    var stopAfterSteps: Int?
    @Option(help: ArgumentHelp("Stop with a checkpoint after N epochs in all (simulates an interruption).", visibility: .hidden))
    var stopAfterEpochs: Int?

    func validate() throws {
        if let recipe, Recipe.named(recipe) == nil {
            throw ValidationError("unknown recipe '\(recipe)'; choose one of: \(Recipe.all.map(\.name).joined(separator: ", "))")
        }
        if checkpointEvery < 0 { throw ValidationError("--checkpoint-every must not be negative, not \(checkpointEvery)") }
        if let stopAfterSteps, stopAfterSteps < 1 { throw ValidationError("--stop-after-steps must be at least 1, not \(stopAfterSteps)") }
        if let stopAfterEpochs, stopAfterEpochs < 1 { throw ValidationError("--stop-after-epochs must be at least 1, not \(stopAfterEpochs)") }
        if resume != nil, let output { throw ValidationError("--output \(output) cannot be combined with --resume, which continues in its own folder") }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, not \(epochs)") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1, not \(batchSize)") }
        if let learningRate, !(learningRate > 0) { throw ValidationError("--learning-rate must be positive, not \(learningRate)") }
        if let validationFraction, !(0..<1).contains(validationFraction) {
            throw ValidationError("--validation-fraction must be in [0, 1), not \(validationFraction)")
        }
    }

    func run() throws {
        do {
            var run: TrainingRun
            if let resume {
                run = try resumedRun(folder: resume)
            } else {
                let chosen = Recipe.named(recipe ?? Recipe.fashionCNN.name)!
                let folder = URL(fileURLWithPath: output ?? Self.defaultOutput(recipe: chosen.name))
                run = TrainingRun(recipe: chosen, settings: apply(to: chosen.defaults), dataFolder: dataFolder, outputFolder: folder)
            }
            run.checkpointEvery = checkpointEvery
            run.stopAfterSteps = stopAfterSteps
            run.stopAfterEpochs = stopAfterEpochs
            try run.run()
        } catch let error as DataError {
            throw failure("\(error)")
        } catch let error as ValidationFailure {
            throw failure("\(error)")
        } catch let error as CheckpointError {
            throw failure("\(error)")
        }
    }

    /// The options given on the command line, over `settings`.
    private func apply(to settings: TrainingSettings) -> TrainingSettings {
        var settings = settings
        settings.epochs = epochs ?? settings.epochs
        settings.batchSize = batchSize ?? settings.batchSize
        settings.learningRate = learningRate ?? settings.learningRate
        settings.optimizer = optimizer ?? settings.optimizer
        settings.schedule = schedule ?? settings.schedule
        settings.normalizeInputs = normalize ?? settings.normalizeInputs
        settings.validationFraction = validationFraction ?? settings.validationFraction
        settings.seed = seed ?? settings.seed
        return settings
    }

    /// The run recorded in `folder`/config.json, refusing options that would change it: a resumed run
    /// must train exactly as it started, or it would not end as the uninterrupted run does.
    private func resumedRun(folder: String) throws -> TrainingRun {
        let configPath = URL(fileURLWithPath: folder).appendingPathComponent("config.json").path
        let config: [String: Any]
        do {
            let bytes = try FileReading.bytes(at: configPath)
            guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                throw ValidationFailure("cannot resume: \(configPath) is not a JSON object")
            }
            config = object
        } catch let error as DataError {
            throw ValidationFailure("cannot resume from \(folder): \(error) (is it the folder of a `nabla train` run?)")
        } catch let error as ValidationFailure {
            throw error
        } catch {
            throw ValidationFailure("cannot resume: \(configPath) is not valid JSON: \(error.localizedDescription)")
        }
        func value<Value>(_ key: String, _ type: Value.Type) throws -> Value {
            guard let found = config[key] as? Value else {
                throw ValidationFailure("cannot resume: \(configPath) lacks '\(key)' or it is not a \(Value.self)")
            }
            return found
        }
        let recipeName = try value("recipe", String.self)
        guard let chosen = Recipe.named(recipeName) else {
            throw ValidationFailure("cannot resume: \(configPath) names the unknown recipe '\(recipeName)'")
        }
        guard let optimizerKind = TrainingSettings.OptimizerKind(rawValue: try value("optimizer", String.self)),
              let scheduleKind = TrainingSettings.ScheduleKind(rawValue: try value("schedule", String.self)) else {
            throw ValidationFailure("cannot resume: \(configPath) names an unknown optimizer or schedule")
        }
        let recorded = TrainingSettings(
            epochs: try value("epochs", NSNumber.self).intValue, batchSize: try value("batch_size", NSNumber.self).intValue,
            learningRate: try value("learning_rate", NSNumber.self).doubleValue, optimizer: optimizerKind, schedule: scheduleKind,
            normalizeInputs: try value("normalize_inputs", Bool.self),
            validationFraction: try value("validation_fraction", NSNumber.self).doubleValue,
            seed: try value("seed", NSNumber.self).uint64Value)

        var conflicts: [String] = []
        func check<Value: Equatable>(_ option: String, _ given: Value?, _ saved: Value) {
            if let given, given != saved { conflicts.append("\(option) \(given) (the run has \(saved))") }
        }
        check("recipe", recipe, recipeName)
        check("--epochs", epochs, recorded.epochs)
        check("--batch-size", batchSize, recorded.batchSize)
        check("--learning-rate", learningRate, recorded.learningRate)
        check("--optimizer", optimizer?.rawValue, recorded.optimizer.rawValue)
        check("--schedule", schedule?.rawValue, recorded.schedule.rawValue)
        check("--normalize", normalize, recorded.normalizeInputs)
        check("--validation-fraction", validationFraction, recorded.validationFraction)
        check("--seed", seed, recorded.seed)
        guard conflicts.isEmpty else {
            throw ValidationFailure("cannot resume \(folder) with different settings: " + conflicts.joined(separator: ", ")
                                    + "; a resumed run keeps the settings of its config.json (leave these options out, or start a new run)")
        }
        var run = TrainingRun(recipe: chosen, settings: recorded, dataFolder: dataFolder ?? config["data_folder"] as? String,
                              outputFolder: URL(fileURLWithPath: folder))
        run.resume = true
        return run
    }

    static func defaultOutput(recipe: String) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "runs/\(recipe)-\(formatter.string(from: Date()))"
    }
}

extension TrainingSettings.OptimizerKind: ExpressibleByArgument {}
extension TrainingSettings.ScheduleKind: ExpressibleByArgument {}
