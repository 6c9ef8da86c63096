import Foundation
import Nabla
import NablaData
import NablaNN
@testable import NablaTrust
import Testing

@Suite struct ActivationMaximizationTests {
    /// On the linear model whose class-1 logit is 4·x₀ − 2 (class 0: its negative), the picture for class 1
    /// brightens the first pixel and the one for class 0 darkens it; the other pixels carry no signal.
    @Test func classPicturesFollowTheWeights() throws {
        let (classifier, _) = QueryAttackTests.firstPixelModel()
        let search = ActivationMaximization(steps: 40, stepSize: 0.05, totalVariationWeight: 0, l2Weight: 0.01, blurEvery: 0)
        let (images, values) = try search.images(classifier, objectives: [.classScore(0), .classScore(1)], imageShape: [1, 2, 2],
                                                 generator: RandomGenerator(seed: 1))
        let pixels = images.scalars
        #expect(pixels[0] < 0.05 && pixels[4] > 0.95)
        #expect(values[0] > 0.9 && values[1] > 0.9)
        for index in [1, 2, 3, 5, 6, 7] { #expect(abs(pixels[index] - 0.5) < 0.05) }
    }

    /// A filter of the last layer is the class logit itself, so the two objectives give the same picture.
    @Test func aFilterObjectiveReadsTheLayersChannel() throws {
        let (classifier, _) = QueryAttackTests.firstPixelModel()
        let search = ActivationMaximization(steps: 10)
        let byClass = try search.images(classifier, objectives: [.classScore(1)], imageShape: [1, 2, 2], generator: RandomGenerator(seed: 2))
        let byFilter = try search.images(classifier, objectives: [.filter(layer: 1, channel: 1)], imageShape: [1, 2, 2], generator: RandomGenerator(seed: 2))
        for (a, b) in zip(byClass.images.scalars, byFilter.images.scalars) { #expect(abs(a - b) < 1e-6) }
        #expect(throws: TrustError.self) { _ = try search.images(classifier, objectives: [.classScore(2)], imageShape: [1, 2, 2], generator: RandomGenerator(seed: 3)) }
        #expect(throws: TrustError.self) { _ = try search.images(classifier, objectives: [.filter(layer: 5, channel: 0)], imageShape: [1, 2, 2], generator: RandomGenerator(seed: 3)) }
    }

    @Test(.enabled(if: TrustFixtures.fashionAvailable, "Fashion-MNIST not installed"))
    func classPicturesAreClassifiedAsTheirClass() throws {
        let classifier = TrustFixtures.trainedMLP
        let (images, _) = try ActivationMaximization(steps: 60).images(classifier, objectives: (0..<10).map { .classScore($0) },
                                                                       imageShape: [1, 28, 28], generator: RandomGenerator(seed: 4))
        let hits = zip(classifier.predictions(images), 0..<10).filter { $0 == $1 }.count
        #expect(hits >= 8)
    }
}
