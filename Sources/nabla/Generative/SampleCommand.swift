import ArgumentParser
import Foundation
import Nabla
import NablaCheckpoint
import NablaData
import NablaGenerative
import NablaViz

/// `nabla sample RUN_DIR --count N`: new images from the generator of a finished `gan` lab run, as a PNG
/// grid and an NPY array.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Write new samples of a trained generative model (a gan lab run) as a PNG grid and an NPY array.",
        discussion: """
        Reads RUN_DIR/checkpoint.gan.safetensors (written by nabla lab run gan), draws COUNT noise vectors \
        from N(0, I) with --seed, and writes OUTPUT.png (at most 100 images, 10 to a row) and OUTPUT.npy \
        ((COUNT, 1, 28, 28) float32 grey levels in [0, 1]). The generator runs in evaluation mode.
        """
    )

    @Argument(help: ArgumentHelp("The folder of a gan lab run.", valueName: "RUN_DIR")) var runFolder: String
    @Option(help: "How many images to draw.") var count = 64
    @Option(help: "Seed of the noise.") var seed: UInt64 = 0
    @Option(help: "Path of the outputs without extension (default RUN_DIR/samples).") var output: String?

    func validate() throws {
        guard (1...1_000_000).contains(count) else { throw ValidationError("--count must lie in 1...1000000, not \(count)") }
    }

    func run() throws {
        let path = URL(fileURLWithPath: runFolder).appendingPathComponent("checkpoint.gan.safetensors").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw failure("\(runFolder) holds no checkpoint.gan.safetensors, so it is not a run of a generative model; "
                          + "train one with nabla lab run gan --output \(runFolder)")
        }
        let checkpoint: TrainingCheckpoint
        do { checkpoint = try TrainingCheckpoint.read(path) } catch { throw failure("\(path): \(error)") }
        let generator = DCGANGenerator(generator: RandomGenerator(seed: 0))
        let prefix = "generator."
        let state = Dictionary(uniqueKeysWithValues: checkpoint.model.filter { $0.key.hasPrefix(prefix) }
            .map { (String($0.key.dropFirst(prefix.count)), $0.value) })
        do { _ = try generator.loadStateDictionary(state) } catch { throw failure("\(path): the generator does not load: \(error)") }
        generator.eval()
        let random = RandomGenerator(seed: seed)
        var parts: [Tensor] = []
        for start in stride(from: 0, to: count, by: 500) {
            parts.append(withoutGradients { (generator(random.normal([min(500, count - start), generator.latentSize])) + 1) * 0.5 })
        }
        let images = Tensor.concat(parts, axis: 0).contiguous()
        let stem = output ?? URL(fileURLWithPath: runFolder).appendingPathComponent("samples").path
        try NPY.write(images, to: stem + ".npy")
        let shown = min(count, 100)
        try ImageGrid(batch: images.sliced(axis: 0, start: 0, end: shown).contiguous(), columns: min(10, shown), upscale: 2)
            .writePNG(to: URL(fileURLWithPath: stem + ".png"))
        print("wrote \(stem).png (\(shown) of \(count) images) and \(stem).npy \(images.shape)")
    }
}
