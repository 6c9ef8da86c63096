import ArgumentParser
import Foundation
import Nabla
import NablaData
import NablaLanguage
import NablaOptim

/// `nabla bench language`: GPT training on the character-level fortunes corpus with nanoGPT's CPU
/// configuration, as scripts/peers/torch_gpt.py times PyTorch, and greedy generation with and without the
/// key/value cache.
struct LanguageBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "language",
        abstract: "GPT training on character-level fortunes (iterations/s, validation loss, peak memory) and key/value-cache generation speed.",
        discussion: """
            Training: 4 layers, 4 heads, embedding 128, context 64, batch 12, dropout 0, AdamW (lr 1e-3, \
            PyTorch's other defaults), batches of random windows of the 90% training split; 3 warm-up \
            iterations, then the timed ones. The validation loss is the mean cross-entropy over 240 windows \
            spread evenly over the validation split. Prints one JSON line (benchmark "language").
            Generation: a model of the same size with a context of 320 continues a 64-token prompt by 256 \
            tokens greedily, once with the cache and once without; prints one JSON line (benchmark \
            "language-generation") with both speeds, the speed-up and whether the tokens agree.
            --export-data PATH writes the token streams as NPZ (train, validation, vocabulary_size) for the peer.
            """
    )

    @Option(parsing: .unconditional, help: "Timed training iterations (default 2000; 20 with --quick).") var iterations: Int?
    @Option(help: "Folder of fortune files.") var dataFolder = FortuneCorpus.defaultFolder
    @Option(help: "Write the training and validation tokens to this NPZ file (for scripts/peers/torch_gpt.py).") var exportData: String?
    @Option(parsing: .unconditional, help: "New tokens in the generation measurement (default 256; 32 with --quick).") var generatedTokens: Int?
    @Flag(help: "20 iterations and 32 generated tokens: checks the command works, measures little.") var quick = false

    func validate() throws {
        if let iterations, !(1...1_000_000).contains(iterations) { throw ValidationError("--iterations must lie in 1...1000000, not \(iterations)") }
        if let generatedTokens, !(1...256).contains(generatedTokens) { throw ValidationError("--generated-tokens must lie in 1...256, not \(generatedTokens)") }
    }

    func run() throws {
        let data: FortuneTokens
        do { data = try FortuneTokens(folder: dataFolder) } catch let error as DataError { throw failure("\(error)") }
        if let exportData {
            do {
                try NPZ.write([:], integers: ["train": IntTensor(data.training), "validation": IntTensor(data.validation),
                                              "vocabulary_size": IntTensor([data.tokenizer.vocabularySize])], to: exportData)
            } catch let error as DataError { throw failure("\(error)") }
        }
        try trainingLine(data)
        generationLine(vocabularySize: data.tokenizer.vocabularySize)
    }

    private func trainingLine(_ data: FortuneTokens) throws {
        let configuration = GPTConfiguration(vocabularySize: data.tokenizer.vocabularySize, contextLength: 64, layerCount: 4,
                                             headCount: 4, embeddingSize: 128, dropout: 0)
        let random = RandomGenerator(seed: 0)
        let model = GPT(configuration, generator: random)
        let optimizer = AdamW(model.parameters(), configuration: .init(learningRate: 1e-3))
        let training = TokenWindows(tokens: data.training, contextLength: 64)
        let validation = TokenWindows(tokens: data.validation, contextLength: 64)
        let timed = iterations ?? (quick ? 20 : 2000), warmUp = 3, batchSize = 12
        var lastLoss: Float = .nan
        var start = Date()
        for index in 0..<(warmUp + timed) {
            if index == warmUp { start = Date() }
            let (inputs, targets) = training.randomBatch(size: batchSize, generator: random)
            optimizer.zeroGradients()
            let loss = model.loss(inputs, targets)
            loss.backward()
            optimizer.step()
            lastLoss = loss.scalars[0]
        }
        let seconds = Date().timeIntervalSince(start)
        let validationLoss = model.meanLoss(validation, offsets: validation.evenOffsets(count: 240), batchSize: batchSize)
        printJSONLine(["benchmark": "language", "workload": quick ? "gpt-char-fortunes-quick" : "gpt-char-fortunes", "quick": quick,
                       "iterations": timed, "batch_size": batchSize, "iterations_per_s": Double(timed) / seconds,
                       "seconds": seconds, "train_loss": Double(lastLoss), "validation_loss": validationLoss,
                       "peak_rss_mb": TrainBenchmark.peakResidentMegabytes(), "parameters": model.parameterCount(),
                       "vocabulary_size": configuration.vocabularySize])
    }

    private func generationLine(vocabularySize: Int) {
        let count = generatedTokens ?? (quick ? 32 : 256), promptLength = 64
        let configuration = GPTConfiguration(vocabularySize: vocabularySize, contextLength: promptLength + count, layerCount: 4,
                                             headCount: 4, embeddingSize: 128, dropout: 0)
        let random = RandomGenerator(seed: 1)
        let model = GPT(configuration, generator: random)
        let prompt = (0..<promptLength).map { _ in random.integer(in: 0..<vocabularySize) }
        func timedRun(cache: Bool) -> (tokens: [Int], seconds: Double) {
            let start = Date()
            let tokens = try! model.generate(prompt: prompt, count: count, generator: RandomGenerator(seed: 2), useCache: cache)
            return (tokens, Date().timeIntervalSince(start))
        }
        _ = timedRun(cache: true)   // warm-up
        let cached = timedRun(cache: true), uncached = timedRun(cache: false)
        printJSONLine(["benchmark": "language-generation", "workload": quick ? "gpt-greedy-quick" : "gpt-greedy", "quick": quick,
                       "prompt_tokens": promptLength, "new_tokens": count,
                       "cached_tokens_per_s": Double(count) / cached.seconds, "uncached_tokens_per_s": Double(count) / uncached.seconds,
                       "speedup": uncached.seconds / cached.seconds, "same_tokens": cached.tokens == uncached.tokens])
    }
}
