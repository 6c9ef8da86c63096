import Foundation
import Nabla
import NablaCheckpoint
import NablaData
import NablaLanguage
import Testing
@testable import NablaLabs

/// The char-gpt lab on its tiny settings: a run stopped inside its second epoch and resumed ends
/// bit-identical to an uninterrupted one, and its folder holds a model `nabla generate` can load.
@Suite(.serialized) struct CharGPTLabTests {
    func run(_ folder: URL, stopAfterSteps: Int? = nil, resume: Bool = false) throws -> LabRunSummary {
        var options = LabRunOptions()
        options.quick = true
        options.overrides = resume ? [] : CharGPTLab().tinySettings
        if resume { options.resume = folder.path } else { options.output = folder.path }
        options.stopAfterSteps = stopAfterSteps
        return try LabRunner.run(CharGPTLab(), options: options)
    }

    @Test(.enabled(if: FileReading.isFolder(FortuneCorpus.defaultFolder), "Debian's fortunes package is not installed"))
    func resumedRunIsBitIdenticalAndTheModelLoads() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-char-gpt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let whole = try run(root.appendingPathComponent("whole"))
        let folder = root.appendingPathComponent("resumed")
        // Tiny settings: 2 epochs of 3 steps; step 4 is inside epoch 2.
        #expect(try run(folder, stopAfterSteps: 4).result.isInterrupted)
        let resumed = try run(folder, resume: true)
        #expect(resumed.result.headline.bitPattern == whole.result.headline.bitPattern)
        let a = try TrainingCheckpoint.read(whole.folder.appendingPathComponent("checkpoint.gpt.safetensors").path)
        let b = try TrainingCheckpoint.read(resumed.folder.appendingPathComponent("checkpoint.gpt.safetensors").path)
        #expect(!a.model.isEmpty)
        for (key, tensor) in a.model { #expect(b.model[key]?.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern), "\(key) differs") }

        let (model, tokenizer) = try GPTRunFiles.load(from: whole.folder.path)
        #expect(model.configuration.contextLength == 16 && model.configuration.embeddingSize == 16)
        let text = tokenizer.decode(try model.generate(prompt: try tokenizer.encode("The "), count: 10,
                                                       decoding: .sample(temperature: 0.8), generator: RandomGenerator(seed: 0)))
        #expect(text.unicodeScalars.count == 10)
        #expect { try model.generate(prompt: try tokenizer.encode(String(repeating: "a", count: 17)), count: 1, generator: RandomGenerator(seed: 0)) }
            throws: { "\($0)".contains("longer than the model's context of 16") }
        #expect { try GPTRunFiles.load(from: root.path) } throws: { "\($0)".contains("char-gpt run") }
    }

    @Test func unigramLossIsTheFrequencyCrossEntropy() {
        // Training frequencies with add-one smoothing: token 0 seen 3 times, token 1 once → counts 4 and 2.
        let loss = CharGPTLab.unigramLoss(training: [0, 0, 0, 1], validation: [0, 1], vocabularySize: 2)
        #expect(abs(loss - (-(log(4.0 / 6) + log(2.0 / 6)) / 2)) < 1e-12)
    }
}
