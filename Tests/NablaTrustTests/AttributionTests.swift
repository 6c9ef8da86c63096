import Foundation
import Nabla
import NablaCheckpoint
import NablaNN
@testable import NablaTrust
import Testing

@Suite struct AttributionTests {
    /// For a linear model the class score's gradient is its weight row, whatever the image.
    @Test func saliencyOfALinearModelIsItsWeightRowAndSmoothGradWithoutNoiseIsSaliency() {
        let generator = RandomGenerator(seed: 21)
        let linear = Linear(inputSize: 6, outputSize: 3, generator: generator)
        let classifier = PixelClassifier(model: Sequential(Flatten(), linear), mean: [0.5], standardDeviation: [0.25], classCount: 3)
        let images = generator.uniform([2, 1, 2, 3])
        let saliency = Attribution.saliency(classifier, images: images, classes: [2, 0]).scalars
        let weights = linear.weight.scalars
        for (n, k) in [2, 0].enumerated() {
            for p in 0..<6 { #expect(abs(saliency[n * 6 + p] - weights[k * 6 + p] / 0.25) < 1e-5) }
        }
        let smooth = Attribution.smoothGrad(classifier, images: images, classes: [2, 0], samples: 3, noise: 0, generator: generator).scalars
        for (a, b) in zip(smooth, saliency) { #expect(abs(a - b) < 1e-5) }
        // Occlusion with 1×1 windows on a linear model: the drop is w·(x − fill) / std per pixel.
        let occlusion = Attribution.occlusion(classifier, images: images, classes: [2, 0], window: 1, stride: 1, fill: 0).scalars
        for (n, k) in [2, 0].enumerated() {
            for p in 0..<6 {
                #expect(abs(occlusion[n * 6 + p] - weights[k * 6 + p] * images.scalars[n * 6 + p] / 0.25) < 1e-4)
            }
        }
    }

    @Test(.enabled(if: TrustFixtures.fashionAvailable, "Fashion-MNIST not installed"))
    func integratedGradientsAreCompleteOnATrainedNetwork() throws {
        let classifier = TrustFixtures.trainedMLP
        let (images, labels) = try TrustFixtures.testImages(8)
        let (attributions, errors) = Attribution.integratedGradients(classifier, images: images, classes: labels, steps: 200)
        let logits = classifier.logits(images).scalars, baseline = classifier.logits(Tensor.zeros(images.shape)).scalars
        for (n, label) in labels.enumerated() {
            let difference = abs(logits[n * 10 + label] - baseline[n * 10 + label])
            #expect(errors[n] < 1e-2 * difference, "image \(n): completeness error \(errors[n]) for a score change \(difference)")
        }
        #expect(attributions.shape == images.shape)
    }

    @Test func gradCAMGivesANonNegativeMapOfTheImageSize() {
        let model = PeerPython.smallCNN()
        let classifier = PixelClassifier(model: model, classCount: 10)
        let images = RandomGenerator(seed: 3).uniform([2, 1, 28, 28])
        let map = Attribution.gradCAM(classifier, images: images, classes: [1, 4], layer: 4)
        #expect(map.shape == [2, 1, 28, 28])
        #expect(map.min().item >= 0)
    }
}

/// Integrated gradients equal captum's (zero baseline, 50 steps, its riemann_trapezoid weights) within 1e-3 relative.
@Suite(.serialized, .enabled(if: PeerPython.hasCaptum, "the peers' venv (.build/peers with torch, captum) or Fashion-MNIST is missing"))
struct CaptumComparisonTests {
    @Test func integratedGradientsMatchCaptum() throws {
        let folder = TrustTemporaryFolder()
        let classifier = TrustFixtures.trainedMLP
        try classifier.model.saveSafetensors(to: folder.file("model.safetensors"))
        let indices = [0, 1, 2, 3]
        let result = try PeerPython.run([PeerPython.script, "ig", "--weights", folder.file("model.safetensors"), "--arch", "tiny-mlp",
                                         "--mean", "\(classifier.mean[0])", "--std", "\(classifier.standardDeviation[0])",
                                         "--indices", indices.map(String.init).joined(separator: ","), "--steps", "50", "--count", "10"])
        try #require(result.status == 0, "the peer failed:\n\(result.output)")
        let peer = try #require(PeerPython.jsonLines(result.output).first)
        let theirs = (peer["attributions"] as! [[Double]]).flatMap { $0.map(Float.init) }
        let (images, labels) = try TrustFixtures.testImages(4)
        let ours = Attribution.integratedGradients(classifier, images: images, classes: labels, steps: 50, rule: .captumTrapezoid).attributions.scalars
        let difference = zip(ours, theirs).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
        let size = theirs.map { $0 * $0 }.reduce(0, +).squareRoot()
        #expect(difference / size < 1e-3, "relative difference \(difference / size)")
        print("captum comparison: integrated gradients relative difference \(difference / size) over \(indices.count) images, 50 steps")
    }
}
