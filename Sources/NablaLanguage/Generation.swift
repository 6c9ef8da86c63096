import Foundation
import Nabla
import NablaData

/// How the next token is chosen from the model's logits.
public enum Decoding: Equatable, Sendable {
    /// The most likely token (the first of equals).
    case greedy
    /// A draw from softmax(logits / temperature), restricted to the `topK` most likely tokens and to the
    /// smallest set of most likely tokens whose probabilities add up to at least `topP` (nucleus
    /// sampling), when given. Both filters keep at least one token.
    case sample(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil)

    /// Throws a `DataError` naming a temperature, top-k or top-p that is out of range.
    public func validate() throws {
        guard case .sample(let temperature, let topK, let topP) = self else { return }
        guard temperature > 0 && temperature.isFinite else {
            throw DataError(.invalidRequest, "sampling: temperature must be positive, got \(temperature) (for the most likely token use greedy decoding)")
        }
        if let topK, topK < 1 { throw DataError(.invalidRequest, "sampling: top-k must be at least 1, got \(topK)") }
        if let topP, !(topP > 0 && topP <= 1) { throw DataError(.invalidRequest, "sampling: top-p must lie in (0, 1], got \(topP)") }
    }

    /// The chosen token for one row of logits.
    public func choose(from logits: [Float], generator: RandomGenerator) -> Int {
        precondition(!logits.isEmpty, "Decoding.choose: empty logits")
        switch self {
        case .greedy:
            var best = 0
            for index in 1..<logits.count where logits[index] > logits[best] { best = index }
            return best
        case .sample(let temperature, let topK, let topP):
            return Self.probabilities(logits, temperature: temperature, topK: topK, topP: topP)
                .draw(generator.nextUnitFloat())
        }
    }

    /// The distribution a `.sample` decoding draws from: zero outside the kept tokens.
    public static func probabilities(_ logits: [Float], temperature: Float, topK: Int?, topP: Float?) -> [Float] {
        var scaled = logits.map { $0 / temperature }
        if let topK, topK < scaled.count {
            // Like nanoGPT: keep the logits at least as large as the k-th largest.
            let threshold = scaled.sorted(by: >)[topK - 1]
            for index in scaled.indices where scaled[index] < threshold { scaled[index] = -.infinity }
        }
        let largest = scaled.max()!
        var probabilities = scaled.map { $0 == -.infinity ? 0 : Foundation.exp($0 - largest) }
        var total = probabilities.reduce(0, +)
        if let topP, topP < 1 {
            // The most likely tokens until their share reaches topP; the rest are dropped.
            let order = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }
            var kept: Float = 0
            var keep = [Bool](repeating: false, count: probabilities.count)
            for index in order {
                keep[index] = true
                kept += probabilities[index] / total
                if kept >= topP { break }
            }
            for index in probabilities.indices where !keep[index] { probabilities[index] = 0 }
            total = probabilities.reduce(0, +)
        }
        return probabilities.map { $0 / total }
    }
}

extension Array where Element == Float {
    /// The index at which the running sum of these probabilities passes `u` ∈ [0, 1).
    func draw(_ u: Float) -> Int {
        var running: Float = 0
        var last = 0
        for (index, p) in enumerated() where p > 0 {
            running += p
            last = index
            if u < running { return index }
        }
        return last
    }
}

extension GPT {
    /// Continues `prompt` (token ids) by `count` tokens and returns only the new ones.
    ///
    /// - `useCache`: keep each layer's keys and values (`KeyValueCache`), so every new token costs one
    ///   position of work per layer; without it each step runs the whole sequence again. Both give the
    ///   same tokens while the sequence fits the context.
    /// - Past the context length, the model reads the most recent tokens only: without the cache the last
    ///   `contextLength` (nanoGPT's crop), with it the cache restarts from the last `contextLength / 2`
    ///   tokens whenever it is full, so the two may then differ.
    /// - `stopToken`: stop after producing it (it is included).
    ///
    /// Throws a `DataError` for an empty prompt, a prompt longer than the context (shorten it: the model
    /// cannot read more than `contextLength` tokens), token ids outside the vocabulary and bad sampling
    /// settings. Runs without gradients and in evaluation mode.
    public func generate(prompt: [Int], count: Int, decoding: Decoding = .greedy, generator: RandomGenerator,
                         useCache: Bool = true, stopToken: Int? = nil) throws -> [Int] {
        let context = configuration.contextLength
        guard !prompt.isEmpty else { throw DataError(.invalidRequest, "generate: the prompt is empty; give at least one token") }
        guard prompt.count <= context else {
            throw DataError(.invalidRequest, "generate: the prompt is \(prompt.count) tokens long, longer than the model's context of \(context) tokens; shorten it to at most \(context)")
        }
        if let outside = prompt.first(where: { !(0..<configuration.vocabularySize).contains($0) }) {
            throw DataError(.invalidRequest, "generate: token id \(outside) in the prompt is outside the vocabulary 0..<\(configuration.vocabularySize)")
        }
        guard count >= 0 else { throw DataError(.invalidRequest, "generate: the number of tokens must not be negative, got \(count)") }
        try decoding.validate()
        let wasTraining = isTraining
        eval()
        defer { if wasTraining { train() } }

        return withoutGradients {
            var sequence = prompt
            var produced: [Int] = []
            let cache = useCache ? makeCache() : nil
            var pending = sequence   // tokens the cache has not read yet
            while produced.count < count {
                let logits: Tensor
                if let cache {
                    if cache.length + pending.count > context {
                        cache.reset()
                        pending = Array(sequence.suffix(Swift.max(1, context / 2)))
                    }
                    logits = self.logits(IntTensor(pending, shape: [1, pending.count]), cache: cache)
                } else {
                    let window = Array(sequence.suffix(context))
                    logits = self(IntTensor(window, shape: [1, window.count]))
                }
                let vocabulary = configuration.vocabularySize
                let last = Array(logits.scalars.suffix(vocabulary))
                let next = decoding.choose(from: last, generator: generator)
                sequence.append(next)
                produced.append(next)
                pending = [next]
                if next == stopToken { break }
            }
            return produced
        }
    }
}
