import ArgumentParser
import Foundation
import NablaLabs
import NablaTrain

/// `nabla train RECIPE`: the Fashion-MNIST labs under their familiar options — a thin alias of
/// `nabla lab run fashion-mlp|fashion-cnn`, with each option passed on as the lab setting of that name.
struct TrainCommand: ParsableCommand {
    static let recipes = [FashionClassifierLab.mlp, FashionClassifierLab.cnn]

    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on Fashion-MNIST and write its metrics and report (the labs fashion-mlp and fashion-cnn).",
        discussion: "Recipes: " + recipes.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")
            + ". Options left out take the lab's defaults (see nabla lab run --help). A checkpoint (checkpoint.safetensors) is written "
            + "atomically at the end of every epoch, and the trained weights as model.safetensors at the end; "
            + "--resume DIR continues an interrupted run with the settings in DIR/config.json, ending exactly "
            + "as an uninterrupted run would.\n\nDefaults:\n" + recipes.map(defaultsLine).joined(separator: "\n")
            + "\n\nExamples:\n  nabla train fashion-mlp --epochs 3\n  nabla train fashion-cnn --optimizer sgd --learning-rate 0.05 --schedule onecycle"
            + "\n  nabla train --resume runs/fashion-cnn-20260101-120000"
    )

    /// One recipe's defaults for the options of this command (the CNN's pinned plain-model settings included).
    static func defaultsLine(_ lab: FashionClassifierLab) -> String {
        let pinned = lab.name == FashionClassifierLab.cnn.name ? FashionClassifierLab.plainCNNSettings : []
        let values = (try? LabRunner.resolve(lab, quick: false, overrides: pinned))?.values ?? [:]
        let shown = ["epochs", "batch_size", "learning_rate", "optimizer", "schedule", "validation_fraction", "normalize_inputs"]
        return "  \(lab.name): " + shown.compactMap { key in values[key].map { "\(key.replacingOccurrences(of: "_", with: "-")) \($0)" } }
            .joined(separator: ", ")
    }

    @Argument(help: "The recipe to train: \(recipes.map(\.name).joined(separator: ", ")) (default fashion-cnn).")
    var recipe: String?

    @Option(parsing: .unconditional, help: "Passes over the training set.", transform: NumericOption.integer("--epochs", in: 1...1000)) var epochs: Int?
    @Option(parsing: .unconditional, help: "Examples per mini-batch.", transform: NumericOption.integer("--batch-size", in: 1...60_000)) var batchSize: Int?
    @Option(parsing: .unconditional, help: "The optimiser's learning rate.", transform: NumericOption.real("--learning-rate", "a finite number above 0", accepts: { $0 > 0 })) var learningRate: Double?
    @Option(help: "adam, adamw or sgd (momentum 0.9, Nesterov).") var optimizer: String?
    @Option(help: "constant, cosine, step or onecycle (stepped every batch).") var schedule: String?
    @Option(parsing: .unconditional, help: "Seed of every random choice: initial weights, validation split, batch order (default 0).", transform: NumericOption.integer("--seed", in: 0...Int.max)) var seed: Int?
    @Option(parsing: .unconditional, help: "Share of the training set held out for validation.", transform: NumericOption.real("--validation-fraction", "a number from 0 to 0.99", accepts: { $0 >= 0 && $0 <= 0.99 })) var validationFraction: Double?
    @Option(help: "Folder for the run's files (default runs/RECIPE-DATE-TIME).") var output: String?
    @Option(help: "Folder holding the Fashion-MNIST files (default $NABLA_FASHION_MNIST or /usr/share/datasets/fashion-mnist).")
    var dataFolder: String?
    @Flag(inversion: .prefixedNo, help: "Normalise inputs to the training set's mean and deviation.") var normalize: Bool?
    @Flag(help: "The lab's quick setting (a smoke test).") var quick = false
    @Flag(help: "Replace the run files in a --output folder that holds a previous run.") var overwrite = false
    @Flag(help: "Train on through a NaN or infinite loss instead of stopping there.") var keepGoingOnNan = false
    @Option(help: ArgumentHelp("Continue the run in this folder from its last checkpoint, with the settings of its config.json.",
                               valueName: "run-folder"))
    var resume: String?
    @Option(parsing: .unconditional, help: "Also write a checkpoint every N optimiser steps (0: only at the end of each epoch).", transform: NumericOption.integer("--checkpoint-every", in: 0...Int.max)) var checkpointEvery = 0
    @Option(parsing: .unconditional, help: ArgumentHelp("Stop with a checkpoint after N optimiser steps in all (simulates an interruption).", visibility: .hidden),
            transform: NumericOption.integer("--stop-after-steps", in: 1...Int.max))
    var stopAfterSteps: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp("Stop with a checkpoint after N epochs in all (simulates an interruption).", visibility: .hidden),
            transform: NumericOption.integer("--stop-after-epochs", in: 1...Int.max))
    var stopAfterEpochs: Int?
    @OptionGroup var memory: MemoryLimitOption

    func validate() throws {
        if let recipe, !Self.recipes.contains(where: { $0.name == recipe }) {
            throw ValidationError("unknown recipe '\(recipe)'; choose one of: \(Self.recipes.map(\.name).joined(separator: ", "))")
        }
        if resume != nil, let output { throw ValidationError("--output \(output) cannot be combined with --resume, which continues in its own folder") }
    }

    func run() throws {
        memory.apply()
        InterruptRequest.install()
        try reportingInputErrors {
            let name = try recipe ?? resume.map(LabRunner.labName(inRunFolder:)) ?? FashionClassifierLab.cnn.name
            var options = LabRunOptions()
            options.quick = quick
            options.output = output ?? (resume == nil ? LabRunner.defaultOutput(name) : nil)
            options.resume = resume
            options.overwrite = overwrite
            options.dataFolder = dataFolder
            options.keepGoingOnNonFiniteLoss = keepGoingOnNan
            options.checkpointEvery = checkpointEvery
            options.stopAfterSteps = stopAfterSteps
            options.stopAfterEpochs = stopAfterEpochs
            let given: [(String, String?)] = [
                ("epochs", epochs.map(String.init)), ("batch_size", batchSize.map(String.init)),
                ("learning_rate", learningRate.map { "\($0)" }), ("optimizer", optimizer), ("schedule", schedule),
                ("seed", seed.map(String.init)), ("validation_fraction", validationFraction.map { "\($0)" }),
                ("normalize_inputs", normalize.map { "\($0)" }),
            ]
            // `nabla train fashion-cnn` keeps training the plain CNN of PEERS.md, as before the labs existed.
            let pinned = resume == nil && name == FashionClassifierLab.cnn.name ? FashionClassifierLab.plainCNNSettings : []
            options.overrides = pinned + given.compactMap { key, value in value.map { "\(key)=\($0)" } }
            try LabRunner.run(try LabRegistry.lab(named: name), options: options)
        }
        // Stopped by SIGINT or SIGTERM (checkpoint written, resume command printed): exit as the signal would.
        if let signal = InterruptRequest.signal { throw ExitCode(128 + signal) }
    }
}
