import Nabla
import NablaData
@testable import NablaLanguage
import NablaNN
import NablaTestSupport
import Testing

// The GPT: parameter names, causality, gradients against finite differences, the key/value cache
// against the full forward pass, and generation.

@Suite struct GPTTests {
    static let tiny = GPTConfiguration(vocabularySize: 7, contextLength: 6, layerCount: 2, headCount: 2, embeddingSize: 4)

    /// A tiny model with weights large enough that every part of it shapes the output.
    static func model(_ configuration: GPTConfiguration = tiny, seed: UInt64 = 0) -> GPT {
        let generator = RandomGenerator(seed: seed)
        let model = GPT(configuration, generator: generator)
        for parameter in model.parameters() { parameter.assign(generator.normal(parameter.shape, standardDeviation: 0.5)) }
        return model
    }

    @Test func parameterNamesFollowNanoGPT() {
        let names = GPT(Self.tiny, generator: RandomGenerator(seed: 0)).namedParameters().map(\.name)
        #expect(names.prefix(3) == ["wte.weight", "wpe.weight", "h.0.ln_1.weight"])
        #expect(names.contains("h.1.attn.c_attn.weight") && names.contains("h.1.mlp.c_proj.bias") && names.last == "ln_f.bias")
        #expect(!names.contains("lm_head.weight"))
        var untied = Self.tiny
        untied.tiesWeights = false
        #expect(GPT(untied, generator: RandomGenerator(seed: 0)).namedParameters().last?.name == "lm_head.weight")
    }

    @Test func aCausalModelCannotSeeTheFuture() {
        let model = Self.model()
        let tokens = [3, 1, 4, 1, 5, 2, 6, 0, 2, 2, 3, 5]
        let logits = model(IntTensor(tokens, shape: [2, 6]))
        var changed = tokens
        changed[4] = 6; changed[5] = 0      // the first sequence's positions 4 and 5
        changed[10] = 0                     // the second sequence's position 4
        let other = model(IntTensor(changed, shape: [2, 6]))
        let v = Self.tiny.vocabularySize
        for sequence in 0..<2 {
            for position in 0..<6 {
                let range = (sequence * 6 + position) * v..<(sequence * 6 + position + 1) * v
                let same = Array(logits.scalars[range]) == Array(other.scalars[range])
                #expect(same == (position < 4), "sequence \(sequence) position \(position)")
            }
        }
    }

    @Test func gradientsMatchFiniteDifferences() {
        let model = Self.model(seed: 3)
        let inputs = IntTensor([3, 1, 4, 1, 5, 2, 6, 0], shape: [2, 4])
        let targets = IntTensor([1, 4, 1, 5, 2, 6, 0, 2], shape: [2, 4])
        model.zeroGradients()
        model.loss(inputs, targets).backward()
        let step: Float = 1e-2
        let tolerance = Tolerance(absolute: 2e-3, relative: 1e-2)
        for (name, parameter) in model.namedParameters() {
            let analytic = (parameter.grad ?? Tensor.zeros(parameter.shape)).scalars.map(Double.init)
            let base = parameter.scalars
            let numeric = base.indices.map { element -> Double in
                func loss(_ value: Float) -> Double {
                    var shifted = base
                    shifted[element] = value
                    parameter.assign(Tensor(shifted, shape: parameter.shape))
                    return Double(withoutGradients { model.loss(inputs, targets) }.scalars[0])
                }
                let (plus, minus) = (base[element] + step, base[element] - step)
                let difference = (loss(plus) - loss(minus)) / (Double(plus) - Double(minus))
                parameter.assign(Tensor(base, shape: parameter.shape))
                return difference
            }
            expectClose(analytic, numeric, "gradient of \(name)", tolerance: tolerance)
        }
    }

    @Test func theCacheGivesTheLogitsOfTheFullForward() {
        let model = Self.model(seed: 5)
        let tokens = [3, 1, 4, 1, 5, 2, 6, 0, 2, 2, 3, 5]
        let full = model(IntTensor(tokens, shape: [2, 6]))
        let cache = model.makeCache()
        func columns(_ range: Range<Int>) -> IntTensor {
            IntTensor(range.map { tokens[$0] } + range.map { tokens[6 + $0] }, shape: [2, range.count])
        }
        // Three tokens at once, then one, then two: causal among the new ones, all of the cached ones.
        let pieces = [model.logits(columns(0..<3), cache: cache), model.logits(columns(3..<4), cache: cache),
                      model.logits(columns(4..<6), cache: cache)]
        #expect(cache.length == 6)
        let stitched = Tensor.concat(pieces, axis: 1)
        expectClose(stitched, full, "cached logits", tolerance: Tolerance(absolute: 1e-5, relative: 1e-5))
    }

    @Test func generationWithAndWithoutTheCacheAgrees() throws {
        let model = Self.model(GPTConfiguration(vocabularySize: 7, contextLength: 12, layerCount: 2, headCount: 2, embeddingSize: 8), seed: 9)
        let cached = try model.generate(prompt: [1, 2, 3], count: 9, generator: RandomGenerator(seed: 0))
        let uncached = try model.generate(prompt: [1, 2, 3], count: 9, generator: RandomGenerator(seed: 0), useCache: false)
        #expect(cached.count == 9 && cached == uncached)
        let sampledA = try model.generate(prompt: [1], count: 8, decoding: .sample(temperature: 0.8, topK: 4, topP: 0.9),
                                          generator: RandomGenerator(seed: 4))
        let sampledB = try model.generate(prompt: [1], count: 8, decoding: .sample(temperature: 0.8, topK: 4, topP: 0.9),
                                          generator: RandomGenerator(seed: 4), useCache: false)
        #expect(sampledA == sampledB)
        // Past the context both keep going (the cache restarts from the last half of the context).
        #expect(try model.generate(prompt: [1, 2], count: 30, generator: RandomGenerator(seed: 0)).count == 30)
        #expect(try model.generate(prompt: [1, 2, 3], count: 5, generator: RandomGenerator(seed: 0), stopToken: cached[0]) == [cached[0]])
    }

    @Test func badPromptsAndSettingsAreClearErrors() {
        let model = Self.model()
        let generator = RandomGenerator(seed: 0)
        #expect { try model.generate(prompt: Array(repeating: 1, count: 7), count: 1, generator: generator) } throws: {
            "\($0)".contains("7 tokens long") && "\($0)".contains("context of 6")
        }
        #expect { try model.generate(prompt: [], count: 1, generator: generator) } throws: { "\($0)".contains("prompt is empty") }
        #expect { try model.generate(prompt: [9], count: 1, generator: generator) } throws: { "\($0)".contains("outside the vocabulary") }
        #expect { try model.generate(prompt: [1], count: 1, decoding: .sample(temperature: 0), generator: generator) } throws: {
            "\($0)".contains("temperature")
        }
        #expect(throws: DataError.self) { try model.generate(prompt: [1], count: 1, decoding: .sample(topP: 1.5), generator: generator) }
    }

    @Test func samplingFilters() {
        let logits: [Float] = [2, 1, 0, -1]
        let greedy = Decoding.greedy.choose(from: logits, generator: RandomGenerator(seed: 0))
        #expect(greedy == 0)
        let generator = RandomGenerator(seed: 1)
        #expect((0..<20).allSatisfy { _ in Decoding.sample(topK: 1).choose(from: logits, generator: generator) == 0 })
        let topK = Decoding.probabilities(logits, temperature: 1, topK: 2, topP: nil)
        #expect(topK[2] == 0 && topK[3] == 0 && abs(topK[0] - 0.7311) < 1e-4)
        // Softmax gives 0.644, 0.237, 0.087, 0.032: top-p 0.85 keeps the first two (0.881 ≥ 0.85).
        let nucleus = Decoding.probabilities(logits, temperature: 1, topK: nil, topP: 0.85)
        #expect(nucleus[0] > 0 && nucleus[1] > 0 && nucleus[2] == 0 && nucleus[3] == 0)
        let cold = Decoding.probabilities(logits, temperature: 0.1, topK: nil, topP: nil)
        #expect(cold[0] > 0.9999)
        let counts = (0..<4000).reduce(into: [0, 0, 0, 0]) { counts, _ in
            counts[Decoding.sample().choose(from: logits, generator: generator)] += 1
        }
        #expect(abs(Double(counts[0]) / 4000 - 0.644) < 0.03 && abs(Double(counts[3]) / 4000 - 0.032) < 0.015)
    }

    @Test func tokenWindowsShiftTargetsByOne() {
        let windows = TokenWindows(tokens: Array(0..<10), contextLength: 3)
        let (inputs, targets) = windows.batch(offsets: [0, 6])
        #expect(inputs.scalars == [0, 1, 2, 6, 7, 8] && targets.scalars == [1, 2, 3, 7, 8, 9])
        #expect(windows.evenOffsets(count: 4) == [0, 1, 3, 5])
    }
}
