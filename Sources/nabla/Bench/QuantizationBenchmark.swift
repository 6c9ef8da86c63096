import ArgumentParser
import Foundation
import Nabla
import NablaCompression
import NablaData
import NablaLabs
import NablaNN
import NablaTrust

/// `nabla bench quantization`: the plain fashion-cnn in float32 and after int8 post-training static
/// quantisation (per-channel weights, per-tensor activations calibrated on training images), timed on
/// the test set in batches of 256, as scripts/peers/torch_int8.py times torch.ao's x86 int8 model.
struct QuantizationBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantization",
        abstract: "Inference of the plain fashion-cnn in float32 and int8 (images/s, test accuracy).",
        discussion: "Prints one JSON object per precision. The weights come from --run (a fashion-cnn run folder with model=plain) or are freshly initialised (then accuracy means nothing, speed still does)."
    )

    @Option(name: .customLong("run"), help: "A fashion-cnn run folder (model=plain) whose weights to quantise.") var runFolder: String?
    @Option(help: "Write the float weights used to this safetensors file (for the peer).") var saveModel: String?
    @Option(parsing: .unconditional, help: "Images per batch (default 256).") var batchSize = 256
    @Option(parsing: .unconditional, help: "Training images used for calibration (default 512).") var calibrationImages = 512
    @Option(help: "Observer: minmax or percentile (99.99).") var observer = "minmax"
    @Option(help: "Folder holding the Fashion-MNIST files.") var dataFolder: String?
    @Flag(help: "1,024 test images and one repetition: checks the command works, measures little.") var quick = false

    func validate() throws {
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must lie in 1...10000, not \(batchSize)") }
        guard (0...60_000).contains(calibrationImages) else { throw ValidationError("--calibration-images must lie in 0...60000, not \(calibrationImages)") }
        guard ["minmax", "percentile"].contains(observer) else { throw ValidationError("--observer must be minmax or percentile, not \(observer)") }
    }

    func run() throws {
        let test: FashionMNIST, train: FashionMNIST
        do {
            test = try FashionMNIST(.test, folder: dataFolder)
            train = try FashionMNIST(.training, folder: dataFolder)
        } catch { throw failure("\(error)") }
        let model: Sequential, mean: Float, deviation: Float
        do {
            if let runFolder {
                let loaded = try RunFolderClassifier.load(runFolder)
                guard let sequential = loaded.classifier.model as? Sequential, loaded.architecture == .cnn else {
                    throw failure("\(runFolder) is not a plain fashion-cnn run (\(loaded.description)); train one with `nabla train fashion-cnn`")
                }
                (model, mean, deviation) = (sequential, loaded.classifier.mean[0], loaded.classifier.standardDeviation[0])
            } else {
                model = FashionArchitecture.cnn.makeModel(RandomGenerator(seed: 0)) as! Sequential
                (mean, deviation) = (FashionMNIST.mean, FashionMNIST.standardDeviation)
            }
            if let saveModel { try model.saveSafetensors(to: saveModel) }
        } catch let exit as ExitCode { throw exit } catch { throw failure("\(error)") }
        model.eval()
        func normalized(_ images: Tensor) -> Tensor { (images - mean) / deviation }
        let calibration = stride(from: 0, to: calibrationImages, by: batchSize).map { start in
            normalized(train.batch(at: Array(start..<min(start + batchSize, calibrationImages))).inputs)
        }
        let quantized: QuantizedSequential
        do {
            quantized = observer == "minmax"
                ? try QuantizedSequential(model, calibration: calibration) { MinMaxObserver() }
                : try QuantizedSequential(model, calibration: calibration) { try PercentileObserver(percentile: 99.99) }
        } catch { throw failure("\(error) (--calibration-images \(calibrationImages))") }
        // Sizes on disk: the float weights and the int8 model, as each is saved.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-quantization-\(getpid())")
        var sizes = (float: 0, int8: 0)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let floatPath = folder.appendingPathComponent("float32.safetensors").path, int8Path = folder.appendingPathComponent("int8.safetensors").path
            try model.saveSafetensors(to: floatPath)
            try QuantizedSafetensors.write(quantized, to: int8Path)
            let size = { (path: String) in ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.intValue ?? 0 }
            sizes = (size(floatPath), size(int8Path))
        } catch { throw failure("writing the models to measure their size: \(error)") }
        let count = quick ? min(1024, test.count) : test.count
        let batches = stride(from: 0, to: count, by: batchSize).map { start -> (Tensor, [Int]) in
            let batch = test.batch(at: Array(start..<min(start + batchSize, count)))
            return (normalized(batch.inputs), batch.labels.scalars)
        }
        let contenders: [(String, (Tensor) -> Tensor)] = [("float32", { input in withoutGradients { model(input) } }), ("int8", { quantized($0) })]
        // Warm-up pass of one batch each, then repetitions taking turns in a flipping order.
        for contender in contenders { _ = contender.1(batches[0].0) }
        let repetitions = quick ? 1 : 3
        var seconds = [[Double]](repeating: [], count: contenders.count)
        var correct = [Int](repeating: 0, count: contenders.count)
        for repetition in 0..<repetitions {
            let order = repetition.isMultiple(of: 2) ? Array(contenders.indices) : contenders.indices.reversed()
            for index in order {
                let start = DispatchTime.now().uptimeNanoseconds
                var right = 0
                for (inputs, labels) in batches {
                    let logits = contenders[index].1(inputs)
                    right += zip(logits.argmax(axis: 1).scalars, labels).filter { $0 == $1 }.count
                }
                seconds[index].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                correct[index] = right
            }
        }
        let best = seconds.map { $0.min()! }
        let workload = quick ? "fashion-cnn-quick" : "fashion-cnn"
        printJSONLine(["benchmark": "quantization", "workload": workload, "precision": "float32", "count": count, "batch_size": batchSize,
                       "seconds": best[0], "images_per_s": Double(count) / best[0], "test_acc": Double(correct[0]) / Double(count),
                       "bytes_on_disk": sizes.float])
        printJSONLine(["benchmark": "quantization", "workload": workload, "precision": "int8", "count": count, "batch_size": batchSize,
                       "seconds": best[1], "images_per_s": Double(count) / best[1], "test_acc": Double(correct[1]) / Double(count),
                       "speedup_vs_float32": best[0] / best[1], "kernel": Int8MatrixProduct.vnniAvailable ? "avx512-vnni" : "portable",
                       "observer": observer, "calibration_images": calibrationImages, "bytes_on_disk": sizes.int8])
    }
}
