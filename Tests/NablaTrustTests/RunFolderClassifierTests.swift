import Foundation
import Nabla
import NablaCheckpoint
import NablaLabs
import NablaNN
import NablaTrust
import Testing

/// A fresh folder, removed when dropped.
final class TrustTemporaryFolder {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "/nabla-trust-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
    func write(_ name: String, _ text: String) { try! text.write(toFile: file(name), atomically: true, encoding: .utf8) }
}

@Suite struct RunFolderClassifierTests {
    static let mlpConfig = """
        {"lab": "fashion-mlp", "settings": {"epochs": 1},
         "input_normalization": {"pixel_scale": "value / 255", "mean": 0.286, "standard_deviation": 0.353}}
        """

    @Test func loadsTheWeightsAndTheNormalisationOfAnMLPRun() throws {
        let folder = TrustTemporaryFolder()
        folder.write("config.json", Self.mlpConfig)
        let model = FashionArchitecture.mlp.makeModel(RandomGenerator(seed: 11))
        try model.saveSafetensors(to: folder.file("model.safetensors"))
        let (classifier, architecture, description) = try RunFolderClassifier.load(folder.path)
        #expect(architecture == .mlp && description.hasPrefix("fashion-mlp"))
        #expect(classifier.mean == [0.286] && classifier.standardDeviation == [0.353])
        let pixels = RandomGenerator(seed: 12).uniform([3, 1, 28, 28])
        let expected = model((pixels - 0.286) / 0.353).scalars
        for (a, b) in zip(classifier.logits(pixels).scalars, expected) { #expect(abs(a - b) < 1e-4) }
    }

    @Test func refusesFoldersWithoutAClassifier() throws {
        func message(_ path: String) -> String {
            do { _ = try RunFolderClassifier.load(path); return "loaded" } catch { return "\(error)" }
        }
        let folder = TrustTemporaryFolder()
        #expect(message(folder.file("missing")).contains("no such folder"))
        #expect(message(folder.path).contains("no config.json"))
        folder.write("config.json", #"{"lab": "optimizers", "settings": {}}"#)
        #expect(message(folder.path).contains("no image classifier"))
        folder.write("config.json", Self.mlpConfig)
        #expect(message(folder.path).contains("no model.safetensors"))
        folder.write("model.safetensors", "not a safetensors file")
        #expect(message(folder.path).contains("does not hold the weights"))
        folder.write("config.json", "[1, 2]")
        #expect(message(folder.path).contains("not a JSON object"))
    }
}
