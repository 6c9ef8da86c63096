import ArgumentParser
import Foundation
import Nabla
import NablaData
import NablaLanguage

/// `nabla generate RUN_DIR --prompt "..." --tokens N`: continues a prompt with the GPT a `char-gpt` run
/// trained (the run folder holds gpt.json, tokenizer.json and model.safetensors).
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt with the GPT of a char-gpt run folder.",
        discussion: """
            Samples with --temperature (default 0.8), optionally restricted by --top-k and --top-p, or takes the \
            most likely character with --greedy; generation uses the key/value cache. The prompt may be at most \
            the model's context long (64 characters for the lab's model): a longer one is refused, since the \
            model cannot read it. Characters the model never saw are refused too, naming the character. Past \
            the context, the model reads the most recent half of the context when its cache is full.
            Prints the prompt and its continuation, or one JSON line with --json.
            """
    )

    @Argument(help: ArgumentHelp("A char-gpt run folder.", valueName: "RUN_DIR")) var runFolder: String
    @Option(help: "The text to continue.") var prompt = "\n"
    @Option(help: "Characters to generate.") var tokens = 200
    @Option(help: "Sampling temperature (> 0).") var temperature: Float = 0.8
    @Option(help: "Sample only among the k most likely characters.") var topK: Int?
    @Option(help: "Sample only among the most likely characters whose probabilities add up to p (0 < p ≤ 1).") var topP: Float?
    @Flag(help: "Take the most likely character at every step instead of sampling.") var greedy = false
    @Option(help: "Seed of the sampling.") var seed: UInt64 = 0
    @Flag(help: "Print one JSON line: prompt, text, tokens.") var json = false

    func validate() throws {
        guard (1...100_000).contains(tokens) else { throw ValidationError("--tokens must lie in 1...100000, not \(tokens)") }
        guard !prompt.isEmpty else { throw ValidationError("--prompt must hold at least one character") }
    }

    func run() throws {
        let decoding: Decoding = greedy ? .greedy : .sample(temperature: temperature, topK: topK, topP: topP)
        let text: String
        do {
            let (model, tokenizer) = try GPTRunFiles.load(from: runFolder)
            let promptTokens = try tokenizer.encode(prompt)
            let produced = try model.generate(prompt: promptTokens, count: tokens, decoding: decoding, generator: RandomGenerator(seed: seed))
            text = tokenizer.decode(produced)
        } catch let error as DataError {
            throw failure("\(error)")
        }
        if json {
            printJSONLine(["prompt": prompt, "text": text, "tokens": tokens])
        } else {
            print(prompt + text)
        }
    }
}
