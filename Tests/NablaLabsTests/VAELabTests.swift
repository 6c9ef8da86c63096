import Foundation
import Nabla
import NablaViz
import NablaCheckpoint
import Testing
@testable import NablaLabs

@Suite struct VAELabTests {
    /// Stand-in images in [0, 1]: each of four classes is a bright band at its own place, with noise,
    /// so a VAE has structure to find in a few seconds of a debug build.
    static func bandImages(count: Int, seed: UInt64) -> VAELab.Images {
        let generator = RandomGenerator(seed: seed)
        let noise = generator.uniform([count, 784], low: 0, high: 0.2).scalars
        var pixels = [Float](repeating: 0, count: count * 784), labels: [Int] = []
        for image in 0..<count {
            let label = image % 4
            labels.append(label)
            for row in 0..<28 {
                for column in 0..<28 {
                    let lit = (row / 7) == label
                    pixels[image * 784 + row * 28 + column] = lit ? 0.9 : noise[image * 784 + row * 28 + column]
                }
            }
        }
        return VAELab.Images(pixels: Tensor(pixels, shape: [count, 784]), labels: labels)
    }

    /// A quick run on stand-in images: the test bound falls, ends below the mean-image model's exact
    /// −log p(x), and every figure renders with the expected number of images.
    @Test func quickRunLearnsAndDrawsEveryFigure() throws {
        var settings = VAELab.Settings.quick
        settings.trainingExamples = 128
        settings.testExamples = 64
        settings.batchSize = 32
        settings.epochs = 3
        settings.learningRate = 3e-3
        let training = Self.bandImages(count: 128, seed: 1), test = Self.bandImages(count: 64, seed: 2)
        let result = try #require(try VAELab.run(settings: settings, generator: RandomGenerator(seed: 3), training: training, test: test))
        #expect(result.testNegativeELBO.count == 3)
        #expect(result.testNegativeELBO.allSatisfy { $0.isFinite })
        #expect(result.testNegativeELBO.last! < result.testNegativeELBO.first!, "\(result.testNegativeELBO)")
        #expect(result.ratioToMeanImage < 1, "-ELBO \(result.finalNegativeELBO), mean image \(result.meanImageNegativeLogLikelihood)")
        for (bound, (reconstruction, kl)) in zip(result.testNegativeELBO, zip(result.testReconstruction, result.testKL)) {
            #expect(abs(bound - (reconstruction + kl)) < 1e-3 * abs(bound) && kl >= 0)
        }
        let (pairs, columns) = VAELab.reconstructions(result, test: test, count: 20, columns: 10)
        #expect(pairs.count == 40 && columns == 10 && pairs[0].width == 28)
        #expect(VAELab.priorSamples(result, count: 16, generator: RandomGenerator(seed: 4)).count == 16)
        #expect(VAELab.manifold(result, side: 5).count == 25)
        let scatter = VAELab.latentScatter(result, test: test)
        #expect(scatter.x.count == 64 && scatter.x.allSatisfy { $0.isFinite })
        #expect(scatter.rendered().width > 0 && VAELab.boundChart(result).rendered().width > 0)
    }

    /// The mean-image baseline against the formula by hand: one pixel with training mean 0.25.
    @Test func meanImageNegativeLogLikelihoodIsTheBernoulliFormula() {
        let training = Tensor([0, 0.5, 0.5, 0], shape: [4, 1])
        let test = Tensor([1, 0], shape: [2, 1])
        let expected = (-log(0.25) - log(0.75)) / 2
        #expect(abs(VAELab.meanImageNegativeLogLikelihood(training: training, test: test) - expected) < 1e-9)
    }

    @Test func normalQuantileMatchesTables() {
        #expect(abs(VAELab.normalQuantile(0.5)) < 1e-9)
        #expect(abs(VAELab.normalQuantile(0.975) - 1.959963985) < 1e-7)
        #expect(abs(VAELab.normalQuantile(0.01) + 2.326347874) < 1e-7)
        #expect(abs(VAELab.normalQuantile(0.05) + 1.644853627) < 1e-7)
    }

    @Test func badSettingsNameTheKey() {
        var settings = VAELab.Settings.quick
        settings.latentSize = 0
        #expect { try settings.validate() } throws: { "\($0)".contains("'latent'") }
        settings = .quick
        settings.beta = -1
        #expect { try settings.validate() } throws: { "\($0)".contains("'beta'") }
    }
}

/// Stop the tiny Fashion-MNIST run at a step inside its second epoch, resume, and end bit-identical to
/// an uninterrupted run: the model and optimiser in the checkpoint, the headline, metrics.jsonl and
/// every figure file.
@Suite(.serialized) struct VAELabResumeTests {
    func run(_ folder: URL, stopAfterSteps: Int? = nil, resume: Bool = false) throws -> LabRunSummary {
        var options = LabRunOptions()
        options.quick = true
        options.overrides = resume ? [] : VAELab().tinySettings
        if resume { options.resume = folder.path } else { options.output = folder.path }
        options.stopAfterSteps = stopAfterSteps
        return try LabRunner.run(VAELab(), options: options)
    }

    @Test func resumedRunIsBitIdentical() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-vae-resume-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let whole = try run(root.appendingPathComponent("whole"))
        let folder = root.appendingPathComponent("resumed")
        // Tiny settings: 256 images in batches of 64 for 2 epochs, 8 steps; step 5 is inside epoch 2.
        let interrupted = try run(folder, stopAfterSteps: 5)
        #expect(interrupted.result.isInterrupted)
        let resumed = try run(folder, resume: true)
        #expect(resumed.result.headline.bitPattern == whole.result.headline.bitPattern)
        let checkpoint = "checkpoint.vae.safetensors"
        let wholeState = try TrainingCheckpoint.read(whole.folder.appendingPathComponent(checkpoint).path)
        let resumedState = try TrainingCheckpoint.read(resumed.folder.appendingPathComponent(checkpoint).path)
        #expect(!wholeState.model.isEmpty && wholeState.model.count == resumedState.model.count)
        for (key, tensor) in wholeState.model {
            #expect(resumedState.model[key]?.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern), "\(key) differs")
        }
        func metrics(_ folder: URL) throws -> [String] {
            try String(contentsOf: folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").map {
                String($0).replacingOccurrences(of: #",?"(seconds|samples_per_s)":[^,}]*"#, with: "", options: .regularExpression)
            }
        }
        #expect(try metrics(whole.folder) == (try metrics(resumed.folder)))
        for figure in ["section-2-1.png", "section-3-1.png", "section-4-1.png", "section-5-1.png", "section-6-1.png"] {
            let wholeBytes = try Data(contentsOf: whole.folder.appendingPathComponent(figure))
            #expect(wholeBytes.count > 1000, "\(figure) is missing or empty")
            #expect(try Data(contentsOf: resumed.folder.appendingPathComponent(figure)) == wholeBytes, "\(figure) differs")
        }
    }
}
