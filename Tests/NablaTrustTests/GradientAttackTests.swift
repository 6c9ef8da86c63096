import Foundation
import Nabla
import NablaData
import NablaNN
@testable import NablaTrust
import Testing

@Suite struct PixelClassifierTests {
    @Test func appliesTheModelsNormalisationInPixelSpace() {
        let generator = RandomGenerator(seed: 1)
        let model = Sequential(Flatten(), Linear(inputSize: 4, outputSize: 3, generator: generator))
        let classifier = PixelClassifier(model: model, mean: [0.25], standardDeviation: [0.5], classCount: 3)
        let pixels = generator.uniform([2, 1, 2, 2])
        let expected = model((pixels - 0.25) / 0.5)
        let seen = classifier.logits(pixels)
        for (a, b) in zip(seen.scalars, expected.scalars) { #expect(abs(a - b) < 1e-6) }
    }

    @Test func inputGradientLeavesTheModelsParametersAlone() {
        let generator = RandomGenerator(seed: 2)
        let model = Sequential(Flatten(), Linear(inputSize: 4, outputSize: 3, generator: generator))
        let classifier = PixelClassifier(model: model, classCount: 3)
        let result = classifier.inputGradient(at: generator.uniform([2, 1, 2, 2])) { crossEntropy($0, IntTensor([0, 1])) }
        #expect(result.gradient.shape == [2, 1, 2, 2])
        #expect(model.parameters().allSatisfy { $0.grad == nil && $0.requiresGrad })
    }
}

@Suite struct GradientAttackTests {
    /// A linear two-class model: the cross-entropy gradient of class y's image is (p − onehot(y)) · W, whose
    /// sign is that of W[other] − W[y]; FGSM must step ε along it and clip to [0, 1].
    @Test func fgsmStepsAlongTheSignOfTheLossGradient() {
        let generator = RandomGenerator(seed: 3)
        let linear = Linear(inputSize: 6, outputSize: 2, generator: generator)
        let classifier = PixelClassifier(model: Sequential(Flatten(), linear), classCount: 2)
        let images = generator.uniform([3, 1, 2, 3])
        let labels = [0, 1, 1]
        let adversarial = GradientAttack.fgsm(epsilon: 0.1).perturb(classifier, images: images, labels: labels, goal: .untargeted, generator: generator)
        let weights = linear.weight.scalars
        for image in 0..<3 {
            for pixel in 0..<6 {
                let toward = weights[(1 - labels[image]) * 6 + pixel] - weights[labels[image] * 6 + pixel]
                let expected = min(1, max(0, images.scalars[image * 6 + pixel] + 0.1 * (toward > 0 ? 1 : -1)))
                #expect(abs(adversarial.scalars[image * 6 + pixel] - expected) < 1e-6)
            }
        }
    }

    @Test(.enabled(if: TrustFixtures.fashionAvailable, "Fashion-MNIST not installed"))
    func iterativeAttacksStayInTheirBudgetAndLowerAccuracy() throws {
        let classifier = TrustFixtures.trainedMLP
        let (images, labels) = try TrustFixtures.testImages(200)
        let clean = classifier.accuracy(images, labels: labels)
        #expect(clean > 0.6)
        let attacks: [GradientAttack] = [
            .fgsm(epsilon: 0.1), .bim(epsilon: 0.1, stepSize: 0.025, steps: 10), .pgd(epsilon: 0.1, stepSize: 0.01, steps: 20),
            .miFGSM(epsilon: 0.1, stepSize: 0.01, steps: 10), .dim(epsilon: 0.1, stepSize: 0.01, steps: 10, decay: 1),
            .pgd(epsilon: 1.5, stepSize: 0.3, steps: 10, norm: .l2), .fgsm(epsilon: 1.5, norm: .l2)]
        for attack in attacks {
            let adversarial = attack.perturb(classifier, images: images, labels: labels, goal: .untargeted, generator: RandomGenerator(seed: 4))
            let change = adversarial - images
            let size = attack.norm == .linf ? change.abs().max().item : imageNorms(change).max().item
            #expect(size <= attack.epsilon * (1 + 1e-5), "\(attack.name) \(attack.norm): perturbation \(size) beyond ε \(attack.epsilon)")
            #expect(adversarial.min().item >= 0 && adversarial.max().item <= 1)
            let robust = classifier.accuracy(adversarial, labels: labels)
            #expect(robust < clean - 0.3, "\(attack.name) \(attack.norm): accuracy \(robust) against clean \(clean)")
        }
    }

    @Test(.enabled(if: TrustFixtures.fashionAvailable, "Fashion-MNIST not installed"))
    func iteratingBeatsOneStepAndTargetedPGDReachesItsTarget() throws {
        let classifier = TrustFixtures.trainedMLP
        let (images, labels) = try TrustFixtures.testImages(200)
        let evaluate = { (attack: GradientAttack) in
            try AttackEvaluation.run(attack, on: classifier, images: images, labels: labels, generator: RandomGenerator(seed: 5)).adversarialAccuracy
        }
        #expect(try evaluate(.pgd(epsilon: 0.05, stepSize: 0.005, steps: 20)) < evaluate(.fgsm(epsilon: 0.05)))
        let targets = labels.map { ($0 + 3) % 10 }
        let targeted = try AttackEvaluation.run(GradientAttack.pgd(epsilon: 0.3, stepSize: 0.02, steps: 30), on: classifier,
                                                images: images, labels: labels, goal: .targeted(targets), generator: RandomGenerator(seed: 6))
        #expect(targeted.successRate > 0.9, "targeted PGD reached its target on \(targeted.successRate) of the images")
    }

    @Test func targetsOutOfRangeAndMiscountedAreRefused() {
        let classifier = PixelClassifier(model: Sequential(Flatten(), Linear(inputSize: 4, outputSize: 3, generator: RandomGenerator(seed: 1))), classCount: 3)
        let images = Tensor.zeros([2, 1, 2, 2])
        #expect(throws: TrustError.self) {
            try AttackEvaluation.run(GradientAttack.fgsm(epsilon: 0.1), on: classifier, images: images, labels: [0, 1], goal: .targeted([0, 3]), generator: RandomGenerator(seed: 1))
        }
        #expect(throws: TrustError.self) {
            try AttackEvaluation.run(GradientAttack.fgsm(epsilon: 0.1), on: classifier, images: images, labels: [0, 1], goal: .targeted([0]), generator: RandomGenerator(seed: 1))
        }
    }

    @Test func inputDiversityKeepsTheSizeAndPassesGradients() {
        let diversity = InputDiversity(resizeRate: 0.8, probability: 1)
        let generator = RandomGenerator(seed: 9)
        let draw = diversity.draw(size: 10, width: 10, generator: generator)
        #expect(draw != nil && (8..<10).contains(draw!.size))
        let input = generator.uniform([1, 1, 10, 10])
        let g = gradient(at: input) { diversity.apply($0, draw).sum() }
        #expect(diversity.apply(input, draw).shape == [1, 1, 10, 10])
        #expect(g.abs().sum().item > 0)
    }
}

@Suite struct MinimalPerturbationAttackTests {
    @Test(.enabled(if: TrustFixtures.fashionAvailable, "Fashion-MNIST not installed"))
    func deepFoolAndCarliniWagnerFoolTheModelWithSmallChanges() throws {
        let classifier = TrustFixtures.trainedMLP
        let (images, labels) = try TrustFixtures.testImages(100)
        let fgsm = try AttackEvaluation.run(GradientAttack.fgsm(epsilon: 2, norm: .l2), on: classifier, images: images, labels: labels, generator: RandomGenerator(seed: 1))
        for attack in [DeepFool() as any AdversarialAttack, CarliniWagnerL2(c: 1, steps: 100, learningRate: 0.05)] {
            let result = try AttackEvaluation.run(attack, on: classifier, images: images, labels: labels, generator: RandomGenerator(seed: 1))
            #expect(result.successRate > 0.9, "\(attack.name) fooled \(result.successRate)")
            // Far smaller than the L2 FGSM budget that fools fewer images.
            #expect(result.meanL2Distance < 1.0, "\(attack.name): mean L2 \(result.meanL2Distance) (FGSM L2 ε 2 fooled \(fgsm.successRate))")
            #expect(result.keptAdversarial == nil)
        }
        let targets = labels.map { ($0 + 1) % 10 }
        let targeted = try AttackEvaluation.run(DeepFool(), on: classifier, images: images, labels: labels, goal: .targeted(targets), generator: RandomGenerator(seed: 1))
        #expect(targeted.successRate > 0.9, "targeted DeepFool reached \(targeted.successRate)")
    }
}
