import Foundation
import Nabla
import NablaData
import NablaNN
@testable import NablaTrust
import Testing

@Suite struct QueryAttackTests {
    /// A two-class linear model on 2×2 images whose logit difference is 4·(x₀ − 0.5): class 1 exactly when
    /// the first pixel is above one half, whatever the other pixels are.
    static func firstPixelModel() -> (PixelClassifier, Linear) {
        let linear = Linear(inputSize: 4, outputSize: 2, generator: RandomGenerator(seed: 1))
        linear.weight.assign(Tensor([-2, 0, 0, 0, 2, 0, 0, 0], shape: [2, 4]))
        linear.bias!.assign(Tensor([1, -1]))
        return (PixelClassifier(model: Sequential(Flatten(), linear), classCount: 2), linear)
    }

    @Test func simbaChangesOnlyTheUsefulPixelAndCountsItsQueries() {
        let (classifier, _) = Self.firstPixelModel()
        // Class 0 images (first pixel 0.3); ε 0.25 moves it past 0.5 in one accepted step.
        let images = Tensor([0.3, 0.5, 0.5, 0.5, 0.3, 0.1, 0.9, 0.4], shape: [2, 1, 2, 2])
        let (adversarial, queries) = SimBA(epsilon: 0.25, maximumIterations: 4)
            .perturbCountingQueries(classifier, images: images, labels: [0, 0], goal: .untargeted, generator: RandomGenerator(seed: 2))
        #expect(classifier.predictions(adversarial) == [1, 1])
        let change = (adversarial - images).scalars
        for n in 0..<2 {
            #expect(abs(change[n * 4] - 0.25) < 1e-6)
            // The other pixels do not move the score, so no change there is ever accepted.
            #expect(change[(n * 4 + 1)..<(n * 4 + 4)].allSatisfy { $0 == 0 })
            // One initial query, then at most two per coordinate tried.
            #expect(queries[n] >= 2 && queries[n] <= 1 + 2 * 4)
        }
    }

    @Test func simbaStopsAtItsBudgetAndLeavesAnImageItCannotFool() {
        let (classifier, _) = Self.firstPixelModel()
        let images = Tensor([0.0, 0.5, 0.5, 0.5], shape: [1, 1, 2, 2])
        let (adversarial, queries) = SimBA(epsilon: 0.1, maximumIterations: 4)
            .perturbCountingQueries(classifier, images: images, labels: [0], goal: .untargeted, generator: RandomGenerator(seed: 3))
        #expect(classifier.predictions(adversarial) == [0])
        #expect((adversarial - images).abs().max().item <= 0.1 + 1e-6)
        #expect(queries[0] <= 1 + 2 * 4)
    }

    @Test func onePixelAttackFindsThePixelThatDecides() {
        let (classifier, _) = Self.firstPixelModel()
        let images = Tensor([0.1, 0.2, 0.3, 0.4, 0.2, 0.9, 0.9, 0.9], shape: [2, 1, 2, 2])
        let attack = OnePixelAttack(pixels: 1, populationSize: 10, generations: 20)
        let (adversarial, queries) = attack.perturbCountingQueries(classifier, images: images, labels: [0, 0], goal: .untargeted,
                                                                   generator: RandomGenerator(seed: 4))
        #expect(classifier.predictions(adversarial) == [1, 1])
        let change = (adversarial - images).scalars
        for n in 0..<2 {
            #expect(change[n * 4] > 0)
            #expect(change[(n * 4)..<(n * 4 + 4)].filter { $0 != 0 }.count == 1)
            // One query of the image itself, then whole generations of ten.
            #expect((queries[n] - 1) % 10 == 0 && queries[n] <= 1 + 10 * 21)
        }
    }

    @Test func attackEvaluationReportsTheMeanQueryCount() throws {
        let (classifier, _) = Self.firstPixelModel()
        let images = Tensor([0.3, 0.5, 0.5, 0.5, 0.4, 0.5, 0.5, 0.5], shape: [2, 1, 2, 2])
        let result = try AttackEvaluation.run(SimBA(epsilon: 0.25, maximumIterations: 4), on: classifier, images: images, labels: [0, 0],
                                              generator: RandomGenerator(seed: 5))
        #expect(result.adversarialAccuracy == 0)
        #expect((result.meanQueries ?? 0) >= 2)
        let gradient = try AttackEvaluation.run(GradientAttack.fgsm(epsilon: 0.25), on: classifier, images: images, labels: [0, 0],
                                                generator: RandomGenerator(seed: 5))
        #expect(gradient.meanQueries == nil)
    }

    /// On the linear model the best universal pattern raises the first pixel by ε on every image.
    @Test func universalPerturbationLearnsTheSharedDirection() throws {
        let (classifier, _) = Self.firstPixelModel()
        let generator = RandomGenerator(seed: 6)
        let training = generator.uniform([40, 1, 2, 2], low: 0.2, high: 0.45)
        let universal = try UniversalPerturbation.fit(classifier, images: training, labels: Array(repeating: 0, count: 40), epsilon: 0.1,
                                                      epochs: 3, batchSize: 10, generator: generator)
        #expect(abs(universal.perturbation.scalars[0] - 0.1) < 1e-6)
        #expect(universal.epsilon <= 0.1 + 1e-6)
        let unseen = Tensor([0.42, 0.1, 0.7, 0.3], shape: [1, 1, 2, 2])
        #expect(classifier.predictions(universal.perturb(classifier, images: unseen, labels: [0], goal: .untargeted, generator: generator)) == [1])
        #expect(throws: TrustError.self) {
            _ = try UniversalPerturbation.fit(classifier, images: training, labels: Array(repeating: 0, count: 40), epsilon: -1, generator: generator)
        }
    }

    @Test(.enabled(if: TrustFixtures.fashionAvailable, "Fashion-MNIST not installed"))
    func blackBoxAttacksFoolTheTrainedNetwork() throws {
        let classifier = TrustFixtures.trainedMLP
        let (images, labels) = try TrustFixtures.testImages(40)
        let clean = classifier.accuracy(images, labels: labels)
        let simba = try AttackEvaluation.run(SimBA(epsilon: 0.2, maximumIterations: 300), on: classifier, images: images, labels: labels,
                                             generator: RandomGenerator(seed: 7))
        #expect(simba.adversarialAccuracy < clean - 0.3)
        #expect(simba.meanLinfDistance <= 0.2 + 1e-5)
        let universal = try UniversalPerturbation.fit(classifier, images: try TrustFixtures.testImages(300).images.sliced(axis: 0, start: 100, end: 300),
                                                      labels: Array(try TrustFixtures.testImages(300).labels[100...]), epsilon: 0.15, epochs: 3,
                                                      batchSize: 50, generator: RandomGenerator(seed: 8))
        let fooled = classifier.accuracy(universal.perturb(classifier, images: images, labels: labels, goal: .untargeted, generator: RandomGenerator(seed: 9)), labels: labels)
        #expect(fooled < clean - 0.2)
    }
}
