import Foundation
import Nabla
import NablaData
import NablaLanguage
import NablaNN
import NablaOptim
import NablaTrain
import NablaViz

/// A character-level GPT on the fortunes corpus. (Lecture: self-attention, the Transformer and GPT.)
///
/// A decoder-only Transformer (token and learned position embeddings, causal self-attention, pre-norm
/// blocks, tied input and output embeddings: nanoGPT's model and its CPU configuration) learns to predict
/// the next character of Debian's fortunes, trained on random 64-character windows of 90% of the entries
/// and measured on the other 10%. The report shows the loss curves and text sampled at several
/// temperatures: cold samples repeat the commonest words, hot ones invent spellings. The trained model is
/// saved in the run folder, so `nabla generate RUN_DIR --prompt "..."` continues any prompt.
///
/// Baseline: the validation loss (nats per character) against the unigram model, which predicts every
/// character from its training frequency alone; the GPT must come well below it by using the context.
public struct CharGPTLab: Lab {
    public init() {}

    public struct Settings: Equatable, Sendable {
        public var layers = 4
        public var heads = 4
        public var embedding = 128
        public var context = 64
        public var batchSize = 12
        public var learningRate = 1e-3
        public var epochs = 20
        public var stepsPerEpoch = 100
        public var validationWindows = 480
        public var sampleTokens = 300
        public var corpusFolder = FortuneCorpus.defaultFolder

        public init() {}

        public func validate() throws {
            try requireSetting("layers", layers, in: 1...48)
            try requireSetting("heads", heads, in: 1...64)
            try requireSetting("embedding", embedding, in: 1...4096)
            try requireSetting(embedding % heads == 0, key: "embedding", value: embedding, allowed: "a multiple of heads (\(heads))")
            try requireSetting("context", context, in: 2...2048)
            try requireSetting("batch_size", batchSize, in: 1...4096)
            try requireSetting("learning_rate", learningRate, in: 1e-6...1)
            try requireSetting("epochs", epochs, in: 1...10_000)
            try requireSetting("steps_per_epoch", stepsPerEpoch, in: 1...100_000)
            try requireSetting("validation_windows", validationWindows, in: 1...100_000)
            try requireSetting("sample_tokens", sampleTokens, in: 1...10_000)
        }

        var model: (Int) -> GPTConfiguration {
            { GPTConfiguration(vocabularySize: $0, contextLength: context, layerCount: layers, headCount: heads, embeddingSize: embedding) }
        }
    }

    /// The cross-entropy (nats per token) of predicting each token of `validation` by its frequency in
    /// `training` (add-one smoothed, so a character unseen in training costs a finite amount).
    public static func unigramLoss(training: [Int], validation: [Int], vocabularySize: Int) -> Double {
        var counts = [Double](repeating: 1, count: vocabularySize)
        for token in training { counts[token] += 1 }
        let total = counts.reduce(0, +)
        return validation.reduce(0.0) { $0 - log(counts[$1] / total) } / Double(validation.count)
    }

    /// Samples continuing `prompt` at each temperature (nil: greedy), from one seed each.
    public static func samples(_ model: GPT, tokenizer: CharacterTokenizer, prompt: String, count: Int,
                               temperatures: [Float?], seed: UInt64) throws -> [(label: String, text: String)] {
        try temperatures.enumerated().map { index, temperature in
            let decoding: Decoding = temperature.map { .sample(temperature: $0) } ?? .greedy
            let tokens = try model.generate(prompt: try tokenizer.encode(prompt), count: count, decoding: decoding,
                                            generator: RandomGenerator(seed: seed &+ UInt64(index)))
            return (temperature.map { String(format: "temperature %.1f", $0) } ?? "greedy", prompt + tokenizer.decode(tokens))
        }
    }
}

/// Next-character training of a GPT on random windows: each epoch's window offsets are drawn from
/// `generator` when the epoch starts (so a resumed run draws the same), and after each epoch the mean
/// loss over fixed, evenly spread validation windows.
final class CharGPTTrainingTask: TrainingTask {
    let model: GPT
    let optimizer: any Optimizer
    let training: TokenWindows
    let validation: TokenWindows
    let validationOffsets: [Int]
    let batchSize: Int
    let stepsPerEpoch: Int
    let generator: RandomGenerator

    init(model: GPT, optimizer: any Optimizer, training: TokenWindows, validation: TokenWindows, validationWindows: Int,
         batchSize: Int, stepsPerEpoch: Int, generator: RandomGenerator) {
        self.model = model
        self.optimizer = optimizer
        self.training = training
        self.validation = validation
        validationOffsets = validation.evenOffsets(count: Swift.min(validationWindows, validation.windowCount))
        self.batchSize = batchSize
        self.stepsPerEpoch = stepsPerEpoch
        self.generator = generator
    }

    var models: KeyValuePairs<String, Module> { ["gpt": model] }
    var optimizers: KeyValuePairs<String, any Optimizer> { ["optimizer": optimizer] }
    var generators: KeyValuePairs<String, RandomGenerator> { ["data": generator] }
    var batchesPerEpoch: Int { stepsPerEpoch }

    func epochBatches(epoch: Int) -> AnyIterator<[Int]> {
        let offsets = (0..<(stepsPerEpoch * batchSize)).map { _ in generator.integer(in: 0..<training.windowCount) }
        var step = 0
        return AnyIterator { [batchSize, stepsPerEpoch] in
            guard step < stepsPerEpoch else { return nil }
            defer { step += 1 }
            return Array(offsets[(step * batchSize)..<((step + 1) * batchSize)])
        }
    }

    func trainStep(_ offsets: [Int]) throws -> StepResult {
        let (inputs, targets) = training.batch(offsets: offsets)
        let loss = model.loss(inputs, targets)
        minimize(loss, with: optimizer)
        return StepResult(loss: Double(loss.item), count: offsets.count)
    }

    func evaluate(epoch: Int) throws -> [(key: String, value: Double)] {
        [("validation_loss", model.meanLoss(validation, offsets: validationOffsets, batchSize: batchSize))]
    }
}

// MARK: The lab

extension CharGPTLab {
    public var name: String { "char-gpt" }
    public var lecture: String { "Self-attention, the Transformer and GPT" }
    public var summary: String { "a character-level GPT (nanoGPT's CPU configuration) on Debian's fortunes: loss curves and samples" }
    public var baseline: Baseline {
        Baseline(metric: "validation_loss_to_unigram_ratio", value: 0.65, higherIsBetter: false,
                 source: "the validation loss (nats per character) over that of the unigram model, which predicts each character "
                     + "by its training frequency: at most 0.65 (0.8 quick)",
                 quickValue: 0.8)
    }

    public var settings: [LabSetting] {
        let full = Settings()
        return [.integer("layers", full.layers, in: 1...48, "Transformer blocks"),
                .integer("heads", full.heads, in: 1...64, "attention heads per block"),
                .integer("embedding", full.embedding, in: 1...4096, "embedding size (a multiple of heads)"),
                .integer("context", full.context, in: 2...2048, "characters the model reads at once"),
                .integer("batch_size", full.batchSize, in: 1...4096, "windows per step"),
                .real("learning_rate", full.learningRate, in: 1e-6...1, "AdamW's learning rate"),
                .integer("epochs", full.epochs, quick: 3, in: 1...10_000, "evaluations of the validation loss (steps_per_epoch steps each)"),
                .integer("steps_per_epoch", full.stepsPerEpoch, in: 1...100_000, "training steps between evaluations"),
                .integer("validation_windows", full.validationWindows, quick: 120, in: 1...100_000, "validation windows the loss is averaged over"),
                .integer("sample_tokens", full.sampleTokens, quick: 200, in: 1...10_000, "characters generated per sample in the report"),
                .text("corpus_folder", full.corpusFolder, "the folder of fortune files (Debian's fortunes package)")]
    }

    public var tinySettings: [String] {
        ["layers=1", "heads=2", "embedding=16", "context=16", "batch_size=4", "epochs=2", "steps_per_epoch=3",
         "validation_windows=8", "sample_tokens=20"]
    }

    public func run(_ context: LabContext) throws -> LabResult {
        let values = context.settings
        var settings = Settings()
        settings.layers = values.integer("layers")
        settings.heads = values.integer("heads")
        settings.embedding = values.integer("embedding")
        settings.context = values.integer("context")
        settings.batchSize = values.integer("batch_size")
        settings.learningRate = values.real("learning_rate")
        settings.epochs = values.integer("epochs")
        settings.stepsPerEpoch = values.integer("steps_per_epoch")
        settings.validationWindows = values.integer("validation_windows")
        settings.sampleTokens = values.integer("sample_tokens")
        settings.corpusFolder = values.text("corpus_folder")
        try settings.validate()

        let data = try FortuneTokens(folder: settings.corpusFolder, seed: context.seed)
        let generator = context.generator()
        let model = GPT(settings.model(data.tokenizer.vocabularySize), generator: generator)
        let optimizer = AdamW(model.parameters(), configuration: .init(learningRate: settings.learningRate))
        let task = CharGPTTrainingTask(model: model, optimizer: optimizer,
                                       training: TokenWindows(tokens: data.training, contextLength: settings.context),
                                       validation: TokenWindows(tokens: data.validation, contextLength: settings.context),
                                       validationWindows: settings.validationWindows, batchSize: settings.batchSize,
                                       stepsPerEpoch: settings.stepsPerEpoch, generator: generator)
        let outcome = try context.train(task, epochs: settings.epochs, stage: "gpt")
        guard outcome.isOver else { return .interrupted }
        try GPTRunFiles.save(model: model, tokenizer: data.tokenizer, to: context.folder.folder.path)

        let rows = outcome.state.metrics
        let trainingLoss = rows.compactMap { $0["train_loss"] }, validationLoss = rows.compactMap { $0["validation_loss"] }
        let unigram = Self.unigramLoss(training: data.training, validation: data.validation, vocabularySize: data.tokenizer.vocabularySize)
        let final = validationLoss.last ?? .nan
        let ratio = final / unigram
        context.log(String(format: "validation loss %.4f nats per character; unigram model %.4f; ratio %.4f", final, unigram, ratio))

        let steps = (1...Swift.max(rows.count, 1)).prefix(rows.count).map { Double($0 * settings.stepsPerEpoch) }
        let prompt = "The "
        let samples = try Self.samples(model, tokenizer: data.tokenizer, prompt: prompt, count: settings.sampleTokens,
                                       temperatures: [nil, 0.5, 0.8, 1.0, 1.3], seed: context.seed &+ 101)
        let sampleText = samples.map { "— \($0.label) —\n\($0.text)" }.joined(separator: "\n\n")
        let sections: [ReportSection] = [
            .lineChart("Loss curves", xLabel: "training step", yLabel: "cross-entropy (nats per character)",
                       series: [.init(name: "training", x: steps, y: trainingLoss),
                                .init(name: "validation", x: steps, y: validationLoss),
                                .init(name: "unigram model", x: steps, y: steps.map { _ in unigram })],
                       caption: "Mean training loss of each stretch of \(settings.stepsPerEpoch) steps and the validation loss after it; "
                           + "the flat line predicts characters by frequency alone."),
            .text("Samples at several temperatures",
                  "Continuations of \"\(prompt)\" (\(settings.sampleTokens) characters each; a line holding % ends a fortune). "
                      + "Greedy decoding soon loops; low temperatures keep to common words, high ones invent spellings.\n\n" + sampleText),
            .table("Result", headers: ["model", "validation nats per character"], rows: [
                ["GPT (\(settings.layers) layers, \(settings.heads) heads, embedding \(settings.embedding), context \(settings.context), \(model.parameterCount()) parameters)",
                 String(format: "%.4f", final)],
                ["unigram (character frequencies)", String(format: "%.4f", unigram)],
            ], caption: "\(data.entryCounts.training) training and \(data.entryCounts.validation) validation fortunes; "
                + "\(data.training.count) and \(data.validation.count) characters; vocabulary \(data.tokenizer.vocabularySize). "
                + "Continue the model with: nabla generate \(context.folder.folder.path) --prompt \"...\" --tokens 200"),
        ]
        return LabResult(headline: ratio, summary: [("validation_loss", final), ("unigram_loss", unigram),
                                                    ("train_loss", trainingLoss.last ?? .nan),
                                                    ("parameters", model.parameterCount())],
                         sections: sections)
    }
}
