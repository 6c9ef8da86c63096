import Foundation
import Nabla
import NablaData
import NablaLabs
import NablaNN
import NablaOptim
import Testing
@testable import NablaTrain

/// Issue 12: a batch too large for memory is refused, with its estimate, before a step allocates it.
@Suite struct MemoryGuardTests {
    /// Per example, the plain CNN of PEERS.md keeps these outputs for backward (floats): conv1 and its
    /// ReLU 32×28×28 each, pool 32×14×14, conv2 and its ReLU 64×14×14 each, pool 64×7×7, Linear 128 and
    /// its ReLU, Linear 10; backward makes one gradient of each (and of the flattened view, 3,136 more).
    static let plainCNNFloatsPerExample = 2 * 25_088 + 6_272 + 2 * 12_544 + 3_136 + 2 * 128 + 10

    @Test func theEstimateFollowsTheLayerShapes() {
        let model = FashionArchitecture.cnn.makeModel(RandomGenerator(seed: 1))
        let estimate = TrainingMemoryEstimate(model: model, examples: Tensor.zeros([2, 1, 28, 28]))
        let activations = Self.plainCNNFloatsPerExample * 4
        let lower = 2 * activations + 3_136 * 4 + 784 * 4
        // Exactly what the graph holds, give or take a small intermediate of the loss.
        #expect(estimate.bytesPerExample >= lower && estimate.bytesPerExample <= lower + 4_096, "\(estimate.bytesPerExample) vs \(lower)")
        // Parameters' gradients and Adam's two moments: three copies of 421,642 floats, at least.
        #expect(estimate.fixedBytes >= 3 * 421_642 * 4)
        // 60,000 images: tens of GB, as the issue saw a process grow past 16 GB before it was killed.
        let full = estimate.bytes(batchSize: 60_000)
        #expect(full > 30 << 30 && full < 50 << 30, "\(MemoryBudget.describe(full))")
        #expect(estimate.bytes(batchSize: 64) < 64 << 20)
        #expect(estimate.bytes(batchSize: Int.max) == .max)
        // The batch said to fit does, and one more example of room per batch is all it leaves.
        let fitting = estimate.largestBatch(fitting: 1 << 30)
        #expect(estimate.bytes(batchSize: fitting) <= 1 << 30 && estimate.bytes(batchSize: fitting + 2) > 1 << 30)
    }

    @Test func theDryPassLeavesTheModelAsItWas() throws {
        let generator = RandomGenerator(seed: 2)
        let model = FashionArchitecture.residual.makeModel(generator)
        let examples = generator.normal([2, 1, 28, 28])
        let before = model.stateDictionary().mapValues(\.scalars), generatorState = generator.state
        model.eval()
        (model as! Sequential).namedModules()[1].module.train()
        let modes = model.namedModules().map(\.module.isTraining)
        _ = TrainingMemoryEstimate(model: model, examples: examples)
        #expect(model.namedModules().map(\.module.isTraining) == modes)
        #expect(model.stateDictionary().mapValues(\.scalars) == before)
        #expect(generator.state == generatorState)
    }

    /// A convolution with 256 channels at 128×128: about 64 MB a training example, so 600 examples in one
    /// batch need some 40 GB, over any default limit; 8 need half a GB.
    func wideConvolutionTask(batchSize: Int) -> ClassificationTask {
        let generator = RandomGenerator(seed: 3)
        let model = Sequential(Conv2d(inputChannels: 1, outputChannels: 256, kernelSize: 3, padding: 1, generator: generator), ReLU(),
                               MaxPool2d(kernelSize: 128), Flatten(), Linear(inputSize: 256, outputSize: 10, generator: generator))
        let data = TensorDataset(features: Tensor.zeros([600, 1, 128, 128]), labels: IntTensor([Int](repeating: 0, count: 600)))
        return ClassificationTask(model: model, optimizer: Adam(model.parameters(), configuration: .init(learningRate: 1e-3)),
                                  loader: DataLoader(data, batchSize: batchSize, generator: generator), dataGenerator: generator)
    }

    @Test func aBatchTooLargeIsRefusedBeforeTheFirstStep() throws {
        let folder = temporaryRunFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let writer = try RunFolderWriter(folder: folder, mode: .create(overwrite: false))
        var options = TrainerOptions(epochs: 1)
        options.log = { _ in }
        options.progress = ProgressDisplay(isTerminal: false)
        let error = #expect(throws: MemoryLimitError.self) { try Trainer(task: wideConvolutionTask(batchSize: 1000), folder: writer, options: options).fit() }
        let message = error?.description ?? ""
        for fragment in ["batch_size 1000", "batches of 600", "needs about", "memory limit of", "lower batch_size", "--memory-limit", "NABLA_MEMORY_LIMIT"] {
            #expect(message.contains(fragment), "\(fragment) in: \(message)")
        }
        #expect(error.map { $0.estimate > 30 << 30 } == true)
        // Nothing was trained or written.
        #expect(!FileManager.default.fileExists(atPath: writer.path("checkpoint.safetensors")))
        #expect(!FileManager.default.fileExists(atPath: writer.path("metrics.jsonl")))
        writer.release()
        // A batch that fits passes the check.
        #expect(throws: Never.self) { try wideConvolutionTask(batchSize: 4).checkMemory() }
    }

    @Test func aFashionLabWithAHugeBatchIsRefusedNamingTheSetting() throws {
        let folder = temporaryRunFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = LabRunOptions()
        options.output = folder.path
        options.overrides = ["batch_size=60000", "epochs=1", "model=plain", "augment=false"]
        let error = #expect(throws: MemoryLimitError.self) { try LabRunner.run(FashionClassifierLab.cnn, options: options) }
        let message = error?.description ?? ""
        #expect(message.contains("batch_size 60000") && message.contains("--memory-limit") && message.contains("at most about"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("checkpoint.safetensors").path))
    }
}
