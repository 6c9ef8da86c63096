import Foundation
import Nabla
import NablaCheckpoint
import NablaData
import NablaNN
import Testing

@Suite struct ModuleSafetensorsTests {
    @Test func savesAndLoadsAModuleBitForBit() throws {
        let folder = NSTemporaryDirectory() + "/nabla-checkpoint-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let generator = RandomGenerator(seed: 1)
        let model = Sequential(Linear(inputSize: 4, outputSize: 3, generator: generator), ReLU(),
                               Linear(inputSize: 3, outputSize: 2, generator: generator))
        try model.saveSafetensors(to: folder + "/model.safetensors")
        let copy = Sequential(Linear(inputSize: 4, outputSize: 3, generator: generator), ReLU(),
                              Linear(inputSize: 3, outputSize: 2, generator: generator))
        let report = try copy.loadSafetensors(from: folder + "/model.safetensors")
        #expect(report.missingKeys.isEmpty && report.unexpectedKeys.isEmpty)
        for (key, tensor) in model.stateDictionary() {
            #expect(copy.stateDictionary()[key]!.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern))
        }
    }

    @Test func reportsMissingUnexpectedAndMismatchedKeysByName() throws {
        let folder = ScratchFolder()
        let generator = RandomGenerator(seed: 2)
        // A PyTorch-style file for Linear(4, 3) → BatchNorm1d(3): num_batches_tracked is int64 there,
        // weights in half precision; plus a key this model lacks.
        let path = folder.file("torch.safetensors")
        try Safetensors.write([
            "0.weight": .float(Tensor((0..<12).map { Float($0) / 8 }, shape: [3, 4]), as: .float16), "0.bias": .float(Tensor([1, 2, 3])),
            "1.weight": .float(Tensor([1, 1, 1])), "1.bias": .float(Tensor([0, 0, 0])), "1.running_mean": .float(Tensor([0.5, 0, -0.5])),
            "1.running_var": .float(Tensor([2, 2, 2])), "1.num_batches_tracked": .integer(IntTensor([7], shape: [])),
            "extra.scale": .float(Tensor([9])),
        ], to: path)
        let model = Sequential(Linear(inputSize: 4, outputSize: 3, generator: generator), BatchNorm1d(featureCount: 3))
        do {
            try model.loadSafetensors(from: path)
            Issue.record("strict loading accepted an unexpected key")
        } catch let error as CheckpointError {
            #expect(error.description.contains("torch.safetensors") && error.description.contains("unexpected keys (in the file, not in the model): extra.scale"))
        }
        #expect(model.stateDictionary()["0.bias"]!.scalars == model.stateDictionary()["0.bias"]!.scalars)
        let report = try model.loadSafetensors(from: path, strict: false)
        #expect(report.missingKeys == [] && report.unexpectedKeys == ["extra.scale"])
        #expect(model.stateDictionary()["0.weight"]!.scalars == (0..<12).map { Float($0) / 8 })
        #expect(model.stateDictionary()["1.num_batches_tracked"]!.item == 7)
        #expect(model.stateDictionary()["1.running_var"]!.scalars == [2, 2, 2])

        let bigger = Sequential(Linear(inputSize: 5, outputSize: 3, generator: generator), BatchNorm1d(featureCount: 3), Linear(inputSize: 3, outputSize: 1, generator: generator))
        for strict in [true, false] {
            do {
                try bigger.loadSafetensors(from: path, strict: strict)
                Issue.record("a shape mismatch was accepted")
            } catch let error as CheckpointError {
                #expect(error.description.contains("'0.weight' is 3×4 in the file but 3×5 in the model"), "\(error)")
                #expect(error.description.contains("missing keys") == strict, "\(error)")
            }
        }
        let partial = try Sequential(Linear(inputSize: 4, outputSize: 3, generator: generator), BatchNorm1d(featureCount: 3),
                                     Linear(inputSize: 3, outputSize: 2, generator: generator)).loadSafetensors(from: path, strict: false)
        #expect(partial.missingKeys == ["2.bias", "2.weight"] && partial.unexpectedKeys == ["extra.scale"])
    }

    /// Freezing is the module's, not the file's: loading values into a partly frozen model keeps which
    /// parameters train, and a fresh model loads every parameter trainable (as PyTorch does).
    @Test func loadingKeepsFrozenParametersFrozen() throws {
        let folder = ScratchFolder()
        let generator = RandomGenerator(seed: 3)
        let model = Sequential(Linear(inputSize: 4, outputSize: 3, generator: generator), ReLU(),
                               Linear(inputSize: 3, outputSize: 2, generator: generator))
        (model.layers[0] as! Linear).freeze()
        try model.saveSafetensors(to: folder.file("model.safetensors"))
        try model.loadSafetensors(from: folder.file("model.safetensors"))
        model.eval()
        model.train()
        #expect(model.namedParameters().map { $0.tensor.requiresGrad } == [false, false, true, true])

        let fresh = Sequential(Linear(inputSize: 4, outputSize: 3, generator: generator), ReLU(),
                               Linear(inputSize: 3, outputSize: 2, generator: generator))
        try fresh.loadSafetensors(from: folder.file("model.safetensors"))
        #expect(fresh.parameters().allSatisfy { $0.requiresGrad })
    }
}
