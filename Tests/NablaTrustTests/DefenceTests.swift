import Foundation
import Nabla
import NablaData
import NablaNN
@testable import NablaTrust
import Testing

@Suite struct InputDefenceTests {
    @Test func bitDepthReductionRoundsToItsLevels() {
        let images = Tensor([0, 0.1, 0.2, 0.49, 0.51, 0.8, 0.95, 1], shape: [1, 1, 2, 4])
        let squeezed = BitDepthReduction(bits: 1).transform(images).scalars
        #expect(squeezed == [0, 0, 0, 0, 1, 1, 1, 1])
        let three = BitDepthReduction(bits: 2).transform(images).scalars
        let levels: [Float] = [0, 1.0 / 3, 2.0 / 3, 1]
        for value in three { #expect(levels.contains { level in abs(level - value) < 1e-6 }) }
    }

    /// A single bright pixel in a dark image is removed; an edge stays where it was.
    @Test func medianSmoothingRemovesASpikeAndKeepsAnEdge() {
        var values = [Float](repeating: 0, count: 36)
        values[14] = 1
        let smoothed = MedianSmoothing(size: 3).transform(Tensor(values, shape: [1, 1, 6, 6])).scalars
        #expect(smoothed.allSatisfy { $0 == 0 })
        let edge = Tensor((0..<36).map { $0 % 6 < 3 ? 0 : 1 }, shape: [1, 1, 6, 6])
        #expect(MedianSmoothing(size: 3).transform(edge).scalars == edge.scalars)
    }

    /// The kernel sums to one (a flat interior stays flat) and the transformation is recorded.
    @Test func gaussianSmoothingKeepsAFlatInteriorAndHasAGradient() {
        let flat = Tensor.zeros([2, 1, 12, 12]) + 0.5
        let smoothed = GaussianSmoothing(sigma: 1).transform(flat)
        #expect(smoothed.shape == flat.shape)
        #expect(abs(smoothed.scalars[6 * 12 + 6] - 0.5) < 1e-5)
        let gradient = Nabla.gradient(at: flat) { GaussianSmoothing(sigma: 1).transform($0).sum() }
        #expect(gradient.scalars[6 * 12 + 6] > 0.99 && gradient.scalars[6 * 12 + 6] < 1.01)
    }

    @Test func jpegDefenceKeepsTheImageRoughly() throws {
        let (images, _) = try #require(TrustFixtures.fashionAvailable ? try TrustFixtures.testImages(3) : nil)
        let squeezed = JPEGDefence(quality: 75).transform(images)
        #expect(squeezed.shape == images.shape)
        let meanError = zip(images.scalars, squeezed.scalars).map { abs($0 - $1) }.reduce(0, +) / Float(images.count)
        #expect(meanError < 0.05 && meanError > 0, "mean error \(meanError)")
    }

    /// Through a rounding, the defence's own gradient is zero; BPDA passes the identity's, which equals
    /// the undefended network's gradient at the rounded point.
    @Test func straightThroughPassesTheGradientTheRoundingBlocks() {
        let generator = RandomGenerator(seed: 4)
        let model = Sequential(Flatten(), Linear(inputSize: 16, outputSize: 3, generator: generator))
        let plain = PixelClassifier(model: model, classCount: 3)
        let images = generator.uniform([2, 1, 4, 4])
        let loss: (Tensor) -> Tensor = { crossEntropy($0, IntTensor([0, 2])) }
        let own = plain.defended(by: BitDepthReduction(bits: 3), gradient: .own).inputGradient(at: images, of: loss).gradient
        #expect(own.scalars.allSatisfy { $0 == 0 })
        let bpda = plain.defended(by: BitDepthReduction(bits: 3), gradient: .straightThrough).inputGradient(at: images, of: loss).gradient
        let atRounded = plain.inputGradient(at: BitDepthReduction(bits: 3).transform(images), of: loss).gradient
        for (a, b) in zip(bpda.scalars, atRounded.scalars) { #expect(abs(a - b) < 1e-5) }
    }

    @Test func defenceNamesParseAndBadOnesAreExplained() throws {
        let generator = RandomGenerator(seed: 0)
        #expect(try InputDefences.named("jpeg-75", generator: generator).name == "jpeg-75")
        #expect(try InputDefences.named("bits-3", generator: generator).name == "bits-3")
        #expect(try InputDefences.named("resize-pad-0.8", generator: generator).isRandom)
        for bad in ["jpeg-0", "median-4", "blur-1", "bits-9"] {
            #expect { try InputDefences.named(bad, generator: generator) } throws: { "\($0)".contains(bad) && "\($0)".contains("jpeg-Q") }
        }
    }

    /// On a trained MLP, bit-depth reduction looks robust to PGD through its own (zero) gradient; BPDA
    /// finds that it is not: the evaluation says it masks gradients.
    @Test(.enabled(if: TrustFixtures.fashionAvailable, "Fashion-MNIST not installed"))
    func bitDepthReductionIsCaughtMaskingGradients() throws {
        let (images, labels) = try TrustFixtures.testImages(60)
        let result = try DefenceEvaluation.run(BitDepthReduction(bits: 2), classifier: TrustFixtures.trainedMLP,
                                               attack: .pgd(epsilon: 0.1, stepSize: 0.025, steps: 10), images: images, labels: labels,
                                               generator: RandomGenerator(seed: 1))
        #expect(result.ownGradientAccuracy > result.adaptiveAccuracy + 0.2, "\(result)")
        #expect(result.masksGradients)
        #expect(result.adaptiveAccuracy < 0.35)
    }

    /// Random resize-and-pad: EOT with several draws per step is at least as strong as one draw.
    @Test func randomResizePaddingIsRandomAndKeepsTheSize() {
        let defence = RandomResizePadding(smallestScale: 0.8, generator: RandomGenerator(seed: 3))
        let images = RandomGenerator(seed: 5).uniform([2, 1, 28, 28])
        let first = defence.transform(images), second = defence.transform(images)
        #expect(first.shape == images.shape)
        #expect(first.scalars != second.scalars)
    }
}

@Suite struct AdversarialTrainingTests {
    /// The training examples lie in the ε-ball and in [0, 1], and the model is back in training mode.
    @Test func examplesStayInTheBallAndTheModelTrainsAfterwards() {
        let generator = RandomGenerator(seed: 6)
        let model = Sequential(Flatten(), Linear(inputSize: 16, outputSize: 3, generator: generator), Dropout(probability: 0.5, generator: generator))
        let images = generator.uniform([4, 1, 4, 4])
        for training in [AdversarialTraining.fastFGSM(epsilon: 0.1), .pgd(epsilon: 0.1, stepSize: 0.03, steps: 3)] {
            let adversarial = training.examples(for: model, mean: [0.5], standardDeviation: [0.25], classCount: 3, images: images,
                                                labels: [0, 1, 2, 0], generator: generator)
            let change = zip(adversarial.scalars, images.scalars).map { abs($0 - $1) }
            #expect(change.max()! <= 0.1 + 1e-6 && change.max()! > 0.05)
            #expect(adversarial.scalars.allSatisfy { (0...1).contains($0) })
            #expect(model.isTraining)
        }
        #expect(AdversarialTraining.fastFGSM(epsilon: 0.1).stepSize == 0.125)
    }
}

@Suite struct EnsembleAndProbeTests {
    @Test func ensembleLogitsAreTheMembersMean() {
        let generator = RandomGenerator(seed: 8)
        let a = Sequential(Flatten(), Linear(inputSize: 4, outputSize: 3, generator: generator))
        let b = Sequential(Flatten(), Linear(inputSize: 4, outputSize: 3, generator: generator))
        let input = generator.uniform([2, 1, 2, 2])
        let expected = ((a(input) + b(input)) / 2).scalars
        for (x, y) in zip(EnsembleModel([a, b])(input).scalars, expected) { #expect(abs(x - y) < 1e-6) }
        #expect(EnsembleModel([a, b]).parameters().count == 4)
    }

    @Test func probeFeaturesArePooledAndFlattened() {
        let generator = RandomGenerator(seed: 9)
        let model = Sequential(Conv2d(inputChannels: 1, outputChannels: 4, kernelSize: 3, padding: 1, generator: generator), ReLU(),
                               Flatten(), Linear(inputSize: 4 * 28 * 28, outputSize: 10, generator: generator))
        let classifier = PixelClassifier(model: model, classCount: 10)
        let images = generator.uniform([3, 1, 28, 28])
        #expect(LayerProbe.features(classifier, images: images, layer: -1).shape == [3, 784])
        #expect(LayerProbe.features(classifier, images: images, layer: 1).shape == [3, 4 * 7 * 7])
        #expect(LayerProbe.features(classifier, images: images, layer: 3).shape == [3, 10])
    }

    /// On the trained MLP, the hidden layer's probe is far above chance.
    @Test(.enabled(if: TrustFixtures.fashionAvailable, "Fashion-MNIST not installed"))
    func probesOnATrainedNetworkBeatChance() throws {
        let data = try FashionMNIST(.training)
        let training = data.batch(at: Array(1000..<1300))
        let (testImages, testLabels) = try TrustFixtures.testImages(200)
        let results = try LayerProbe.run(TrustFixtures.trainedMLP, layers: [-1, 2], names: ["pixels", "hidden"], trainingImages: training.inputs,
                                         trainingLabels: training.labels.scalars, testImages: testImages, testLabels: testLabels)
        #expect(results.map(\.featureCount) == [784, 32])
        #expect(results.allSatisfy { $0.accuracy > 0.5 }, "\(results.map(\.accuracy))")
    }
}
