import Foundation
import Nabla
import NablaNN
@testable import NablaTrust
import Testing

@Suite struct SurrogateAttributionTests {
    /// A linear model's logit is a sum over segments, so its Shapley values are exact: Σ_{p in segment} w_p (x_p − fill).
    static func linearCase() -> (classifier: PixelClassifier, images: Tensor, exact: [Float], segmentation: ImageSegmentation) {
        let generator = RandomGenerator(seed: 11)
        let linear = Linear(inputSize: 64, outputSize: 2, generator: generator)
        let classifier = PixelClassifier(model: Sequential(Flatten(), linear), classCount: 2)
        let images = generator.uniform([1, 1, 8, 8])
        let segmentation = ImageSegmentation.grid(height: 8, width: 8, cell: 4)
        let weights = linear.weight.scalars, pixels = images.scalars
        var exact = [Float](repeating: 0, count: 4)
        for p in 0..<64 { exact[segmentation.labels[p]] += weights[p] * pixels[p] }   // class 0's row, fill 0
        return (classifier, images, exact, segmentation)
    }

    @Test func gridSegmentsNumberTheCells() {
        let grid = ImageSegmentation.grid(height: 6, width: 5, cell: 4)
        #expect(grid.count == 4)
        #expect(grid.labels[0] == 0 && grid.labels[4] == 1 && grid.labels[4 * 5] == 2 && grid.labels[29] == 3)
    }

    @Test func kernelSHAPRecoversShapleyValuesOfALinearModel() throws {
        let (classifier, images, exact, segmentation) = Self.linearCase()
        let values = try Attribution.kernelSHAP(classifier, images: images, classes: [0], segmentation: segmentation, samples: 64,
                                                output: .logit, generator: RandomGenerator(seed: 1)).scalars
        let perSegment = (0..<4).map { segment in values[segmentation.labels.firstIndex(of: segment)!] }
        for (found, expected) in zip(perSegment, exact) { #expect(abs(found - expected) < 1e-3 * max(1, abs(expected)), "\(perSegment) vs \(exact)") }
    }

    /// LIME's ridge penalty shrinks the coefficients a little, but their order and signs follow the truth.
    @Test func limeFollowsTheSegmentContributions() throws {
        let (classifier, images, exact, segmentation) = Self.linearCase()
        let values = try Attribution.lime(classifier, images: images, classes: [0], segmentation: segmentation, samples: 400,
                                          output: .logit, generator: RandomGenerator(seed: 2)).scalars
        let perSegment = (0..<4).map { segment in values[segmentation.labels.firstIndex(of: segment)!] }
        for (found, expected) in zip(perSegment, exact) { #expect(abs(found - expected) < 0.25 * abs(expected) + 0.05, "\(perSegment) vs \(exact)") }
    }

    /// On a trained network the probabilities' Shapley values still add up to p(x) − p(all black).
    @Test(.enabled(if: TrustFixtures.fashionAvailable, "Fashion-MNIST not installed"))
    func kernelSHAPValuesAddUpOnTheTrainedMLP() throws {
        let (images, labels) = try TrustFixtures.testImages(2)
        let classifier = TrustFixtures.trainedMLP
        let segmentation = ImageSegmentation.grid(height: 28, width: 28, cell: 7)
        let values = try Attribution.kernelSHAP(classifier, images: images, classes: labels, segmentation: segmentation, samples: 200,
                                                generator: RandomGenerator(seed: 3))
        let full = classifier.logits(images).softmax(axis: 1).scalars, empty = classifier.logits(Tensor.zeros(images.shape)).softmax(axis: 1).scalars
        for n in 0..<2 {
            let perSegment = (0..<segmentation.count).map { values.scalars[n * 784 + segmentation.labels.firstIndex(of: $0)!] }
            let total = perSegment.reduce(0, +), expected = full[n * 10 + labels[n]] - empty[n * 10 + labels[n]]
            #expect(abs(total - expected) < 1e-3, "sum \(total), expected \(expected)")
        }
    }
}
