import Foundation
import Nabla
import NablaCheckpoint
import NablaData
import NablaNN
import NablaOptim
import Testing

/// A fresh folder, removed when the value is dropped.
final class ScratchFolder {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "/nabla-checkpoint-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
    var contents: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
}

/// Adds noise drawn from the loader's per-batch generator: a random augmentation.
struct Jitter: BatchTransform {
    var isRandom: Bool { true }
    func apply(_ inputs: Tensor, generator: RandomGenerator) -> Tensor { inputs + generator.normal(inputs.shape, standardDeviation: 0.1) }
}

/// A small classifier trained on synthetic data with everything that carries state between steps: a
/// shuffling loader with a random augmentation, dropout drawing from the same generator, batch-norm
/// buffers, Adam's moments and a cosine schedule.
final class SmallRun {
    let generator: RandomGenerator
    let model: Sequential
    let optimizer: Adam
    let scheduler: LearningRateScheduler
    let loader: DataLoader
    /// The generator's state when the current epoch started (its batch order is drawn from it).
    var epochStart: [UInt64] = []
    var step = 0

    static let epochs = 3

    init(seed: UInt64 = 11) {
        generator = RandomGenerator(seed: seed)
        let data = RandomGenerator(seed: 99)
        let features = data.normal([50, 6])
        let labels = IntTensor((0..<50).map { $0 % 3 })
        model = Sequential(Linear(inputSize: 6, outputSize: 8, generator: generator), BatchNorm1d(featureCount: 8), ReLU(),
                           Dropout(probability: 0.3, generator: generator), Linear(inputSize: 8, outputSize: 3, generator: generator))
        optimizer = Adam(model.parameters(), configuration: .init(learningRate: 0.01))
        loader = DataLoader(TensorDataset(features: features, labels: labels), batchSize: 8, shuffle: true,
                            transforms: [Jitter()], prefetch: 1, generator: generator)
        scheduler = LearningRateScheduler(optimizer, schedule: CosineAnnealingSchedule(period: loader.batchCount * Self.epochs))
    }

    /// Trains until `stopAfter` steps in all (or to the end); returns whether it finished.
    func train(stopAfter: Int? = nil, resumingInsideEpoch batchesDone: Int = 0) -> Bool {
        var skip = batchesDone
        while step < loader.batchCount * Self.epochs {
            var batches: DataLoader.Iterator
            if skip > 0 {
                // Rebuild the interrupted epoch's order from its starting state, then continue from now.
                let current = generator.state
                generator.state = epochStart
                batches = loader.makeIterator()
                generator.state = current
                for _ in 0..<skip { _ = batches.next() }
                skip = 0
            } else {
                epochStart = generator.state
                batches = loader.makeIterator()
            }
            while let (inputs, labels) = batches.next() {
                optimizer.zeroGradients()
                crossEntropy(model(inputs), labels).backward()
                optimizer.step()
                scheduler.step()
                step += 1
                if let stopAfter, step == stopAfter { return false }
            }
        }
        return true
    }

    var parameterBits: [String: [UInt32]] { model.stateDictionary().mapValues { $0.scalars.map(\.bitPattern) } }
}

@Suite struct TrainingCheckpointTests {
    @Test(arguments: [4, 7, 14, 20]) func resumedRunEndsBitForBitAsTheUninterruptedOne(stopAfter: Int) throws {
        let straight = SmallRun()
        #expect(straight.train())

        let folder = ScratchFolder()
        let path = folder.file("checkpoint.safetensors")
        let interrupted = SmallRun()
        #expect(!interrupted.train(stopAfter: stopAfter))
        var checkpoint = try TrainingCheckpoint(model: interrupted.model, optimizer: interrupted.optimizer,
                                                scheduler: interrupted.scheduler, generators: ["data": interrupted.generator])
        try checkpoint.setRecord(interrupted.step, forKey: "step")
        try checkpoint.setRecord(interrupted.epochStart, forKey: "epoch_start")
        try checkpoint.write(to: path)

        // A new process: everything built afresh from the same seed, then the checkpoint put in.
        let resumed = SmallRun()
        let saved = try TrainingCheckpoint.read(path)
        try saved.restore(model: resumed.model, optimizer: resumed.optimizer, scheduler: resumed.scheduler,
                          generators: ["data": resumed.generator], file: path)
        resumed.step = try #require(try saved.record(Int.self, forKey: "step"))
        resumed.epochStart = try #require(try saved.record([UInt64].self, forKey: "epoch_start"))
        #expect(resumed.train(resumingInsideEpoch: resumed.step % resumed.loader.batchCount))

        #expect(resumed.parameterBits == straight.parameterBits)
        #expect(resumed.optimizer.learningRates == straight.optimizer.learningRates)
        #expect(resumed.generator.state == straight.generator.state)
    }

    @Test func roundTripsEveryPartThroughTheFile() throws {
        let run = SmallRun()
        _ = run.train(stopAfter: 9)
        let plateau = ReduceLearningRateOnPlateau(run.optimizer)
        plateau.step(1.5)
        var checkpoint = try TrainingCheckpoint(model: run.model, optimizer: run.optimizer, scheduler: run.scheduler,
                                                plateau: plateau, generators: ["data": run.generator])
        let generatorState = run.generator.state
        let doubles: [Double] = (0..<200).map { _ in Double(bitPattern: run.generator.next() >> 2 | 0x3000_0000_0000_0000) } + [.nan, .infinity, 1e-300, 0.1]
        try checkpoint.setRecord(doubles, forKey: "doubles")
        try checkpoint.setRecord(["loss": [0.5, .nan]], forKey: "metrics")
        let folder = ScratchFolder()
        try checkpoint.write(to: folder.file("c.safetensors"))
        let read = try TrainingCheckpoint.read(folder.file("c.safetensors"))

        #expect(read.model.mapValues { $0.scalars.map(\.bitPattern) } == run.parameterBits)
        #expect(read.scheduler == run.scheduler.stateDictionary())
        #expect(read.plateau == plateau.stateDictionary())
        #expect(read.generators == ["data": generatorState])
        let original = run.optimizer.stateDictionary(), loaded = try #require(read.optimizer)
        #expect(loaded.optimizer == "Adam" && loaded.parameterGroups == original.parameterGroups)
        #expect(loaded.state.keys.sorted() == original.state.keys.sorted())
        for (index, state) in original.state {
            #expect(loaded.state[index]!.scalars == state.scalars)
            #expect(loaded.state[index]!.tensors.mapValues { $0.scalars.map(\.bitPattern) } == state.tensors.mapValues { $0.scalars.map(\.bitPattern) })
        }
        // Doubles come back bit for bit (learning rates, loss sums), non-finite ones included.
        let back = try #require(try read.record([Double].self, forKey: "doubles"))
        #expect(back.map(\.bitPattern).dropLast(4) == doubles.map(\.bitPattern).dropLast(4))
        #expect(back[back.count - 4].isNaN && back.suffix(3).elementsEqual(doubles.suffix(3)))
        #expect(try read.record(Int.self, forKey: "absent") == nil)
        #expect(throws: CheckpointError.self) { try read.record(String.self, forKey: "doubles") }

        // Python sees plain safetensors: model tensors under "model.", optimiser buffers under "optimizer.state.".
        let file = try Safetensors.read(folder.file("c.safetensors"))
        #expect(file.metadata["format"] == TrainingCheckpoint.formatName)
        #expect(file.names.contains("model.1.running_mean") && file.names.contains("optimizer.state.0.exp_avg"))
    }

    @Test func refusesCheckpointsThatDoNotFit() throws {
        let run = SmallRun()
        _ = run.train(stopAfter: 3)
        let folder = ScratchFolder()
        let path = folder.file("c.safetensors")
        try TrainingCheckpoint(model: run.model, optimizer: run.optimizer, scheduler: run.scheduler,
                               generators: ["data": run.generator]).write(to: path)
        let saved = try TrainingCheckpoint.read(path)
        func expectRefusal(_ fragment: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
            do {
                try body()
                Issue.record("no error; expected one about \(fragment)", sourceLocation: sourceLocation)
            } catch let error as CheckpointError {
                #expect(error.description.contains(fragment), "\(error)", sourceLocation: sourceLocation)
            } catch {
                Issue.record("unexpected \(type(of: error)): \(error)", sourceLocation: sourceLocation)
            }
        }
        let generator = RandomGenerator(seed: 0)
        let wider = Sequential(Linear(inputSize: 6, outputSize: 9, generator: generator), BatchNorm1d(featureCount: 9), ReLU(),
                               Dropout(probability: 0.3, generator: generator), Linear(inputSize: 9, outputSize: 3, generator: generator))
        expectRefusal("'0.weight' is 8×6 in the checkpoint but 9×6 in the model") {
            try saved.restore(model: wider, optimizer: Adam(wider.parameters()), scheduler: nil, generators: ["data": generator], file: path)
        }
        let fresh = SmallRun()
        expectRefusal("holds generators [\"data\"]") {
            try saved.restore(model: fresh.model, optimizer: fresh.optimizer, scheduler: fresh.scheduler, generators: [:])
        }
        expectRefusal("no scheduler was given") {
            try saved.restore(model: fresh.model, optimizer: fresh.optimizer, generators: ["data": fresh.generator])
        }
        expectRefusal("optimiser state does not fit") {
            try saved.restore(model: fresh.model, optimizer: SGD(fresh.model.parameters()), scheduler: fresh.scheduler,
                              generators: ["data": fresh.generator])
        }
        // Nothing was changed by the refused attempts.
        #expect(fresh.optimizer.stateDictionary().state.isEmpty)
        #expect(fresh.parameterBits == SmallRun().parameterBits)

        // A model's weights alone are not a training checkpoint; a truncated checkpoint is a DataError.
        try run.model.saveSafetensors(to: folder.file("model.safetensors"))
        expectRefusal("not a Nabla training checkpoint") { _ = try TrainingCheckpoint.read(folder.file("model.safetensors")) }
        let bytes = try FileReading.bytes(at: path)
        try writeFileAtomically(Array(bytes.prefix(bytes.count - 3)), to: folder.file("cut.safetensors"))
        #expect(throws: DataError.self) { _ = try TrainingCheckpoint.read(folder.file("cut.safetensors")) }
        #expect(folder.contents == ["c.safetensors", "cut.safetensors", "model.safetensors"])
    }

    @Test func findsTheGeneratorsAModelKeeps() {
        let shared = RandomGenerator(seed: 1), own = RandomGenerator(seed: 2)
        let model = Sequential(Linear(inputSize: 2, outputSize: 2, generator: shared), Dropout(generator: shared), Dropout(generator: own))
        #expect(Set(TrainingCheckpoint.generators(of: model).keys) == ["1.generator", "2.generator"])
        #expect(Array(TrainingCheckpoint.generators(of: model, excluding: [shared]).keys) == ["2.generator"])
    }
}
