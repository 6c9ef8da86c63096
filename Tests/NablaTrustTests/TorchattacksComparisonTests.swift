import Foundation
import Nabla
import NablaCheckpoint
import NablaNN
import NablaTrust
import Testing

/// The peers' virtual environment (.build/peers, made by scripts/bench-peers.sh) with torch, torchattacks
/// and captum; the tests that compare against them are skipped without it.
enum PeerPython {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = root.appendingPathComponent(".build/peers/bin/python").path
    static let script = root.appendingPathComponent("scripts/peers/torch_trust.py").path

    static func has(_ modules: String) -> Bool {
        FileManager.default.isExecutableFile(atPath: python) && TrustFixtures.fashionAvailable
            && ((try? run(["-c", "import \(modules)"]).status) == 0)
    }
    static let hasTorchattacks = has("torch, torchattacks")
    static let hasCaptum = has("torch, captum")

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// The JSON objects among the script's output lines.
    static func jsonLines(_ output: String) -> [[String: Any]] {
        output.split(separator: "\n").compactMap { line in
            line.hasPrefix("{") ? (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] : nil
        }
    }

    /// The small CNN the peer script's `fixture` mode trains (`--arch small`), in Nabla.
    static func smallCNN() -> Sequential {
        let generator = RandomGenerator(seed: 0)
        return Sequential(Conv2d(inputChannels: 1, outputChannels: 8, kernelSize: 3, padding: 1, generator: generator), ReLU(),
                          MaxPool2d(kernelSize: 2),
                          Conv2d(inputChannels: 8, outputChannels: 16, kernelSize: 3, padding: 1, generator: generator), ReLU(),
                          MaxPool2d(kernelSize: 2), Flatten(),
                          Linear(inputSize: 784, outputSize: 32, generator: generator), ReLU(),
                          Linear(inputSize: 32, outputSize: 10, generator: generator))
    }
}

/// Same weights, same attack, same numbers: a small CNN trained by PyTorch (with input normalisation),
/// its weights read by Nabla from safetensors, FGSM and BIM (no random start, 10 steps of ε/4) at
/// ε = 0.05 and 0.1 on the first 400 test images; adversarial accuracy within 0.5 points of torchattacks'.
@Suite(.serialized, .enabled(if: PeerPython.hasTorchattacks, "the peers' venv (.build/peers with torch, torchattacks) or Fashion-MNIST is missing"))
struct TorchattacksComparisonTests {
    @Test func fgsmAndBIMMatchTorchattacksOnTheSameWeights() throws {
        let folder = TrustTemporaryFolder()
        let weights = folder.file("model.safetensors")
        let count = 400
        let result = try PeerPython.run([PeerPython.script, "fixture", "--weights", weights, "--arch", "small",
                                         "--mean", "0.286", "--std", "0.353", "--count", "\(count)"])
        try #require(result.status == 0, "the peer failed:\n\(result.output)")
        let peer = PeerPython.jsonLines(result.output)
        #expect(peer.count == 4)
        let model = PeerPython.smallCNN()
        try model.loadSafetensors(from: weights)
        let classifier = PixelClassifier(model: model, mean: [0.286], standardDeviation: [0.353], classCount: 10)
        let (images, labels) = try TrustFixtures.testImages(count)
        for line in peer {
            let name = line["attack"] as! String, epsilon = Float(line["epsilon"] as! Double)
            let attack: GradientAttack = name == "fgsm" ? .fgsm(epsilon: epsilon) : .bim(epsilon: epsilon, stepSize: epsilon / 4, steps: 10)
            let ours = try AttackEvaluation.run(attack, on: classifier, images: images, labels: labels, batchSize: 200, generator: RandomGenerator(seed: 0))
            let theirs = line["adversarial_accuracy"] as! Double
            #expect(abs(ours.cleanAccuracy - (line["clean_accuracy"] as! Double)) < 1e-9)
            #expect(abs(ours.adversarialAccuracy - theirs) <= 0.005 + 1e-9,
                    "\(name) ε \(epsilon): Nabla \(ours.adversarialAccuracy), torchattacks \(theirs)")
            print("torchattacks comparison: \(name) eps \(epsilon): nabla \(ours.adversarialAccuracy) torchattacks \(theirs) (\(count) images)")
        }
    }
}
