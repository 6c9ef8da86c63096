import Foundation
import Nabla
import NablaData
import NablaGenerative
import NablaNN
import NablaOptim
import NablaTrain

/// The feature extractor of the generative labs' Fréchet distance: a Fashion-MNIST classifier trained
/// by Nabla in the same run, whose penultimate activations (128 ReLU units) stand where FID puts
/// Inception's pool features. It is not Inception, so its distances are comparable with each other
/// (same run, same network), not with published FIDs.
///
///     x (N, 784) standardised → Linear 256 → ReLU → Linear 128 → ReLU → features → Linear 10 → logits
public final class FashionFeatureNetwork {
    public let network: Sequential
    public static let featureWidth = 128

    public init(generator: RandomGenerator) {
        network = Sequential([Linear(inputSize: 784, outputSize: 256, generator: generator), ReLU(),
                              Linear(inputSize: 256, outputSize: Self.featureWidth, generator: generator), ReLU(),
                              Linear(inputSize: Self.featureWidth, outputSize: 10, generator: generator)])
    }

    /// Grey levels in [0, 1] as the classifier's standardised rows (N, 784); any (N, …) shape of 784 values per image.
    public static func standardized(_ images: Tensor) -> Tensor {
        precondition(images.rank >= 2 && images.count == images.shape[0] * 784,
                     "FashionFeatureNetwork: images must be (N, …) with 784 grey levels each, got \(images.shape)")
        return ((images.reshaped([images.shape[0], 784]) - FashionMNIST.mean) / FashionMNIST.standardDeviation).contiguous()
    }

    /// The features (N, 128) of images in [0, 1].
    public func features(_ images: Tensor) -> Tensor {
        withoutGradients {
            var hidden = Self.standardized(images)
            for layer in network.layers.dropLast() { hidden = layer(hidden) }
            return hidden
        }
    }

    /// The classes the classifier assigns to images in [0, 1].
    public func predictions(_ images: Tensor) -> [Int] {
        withoutGradients { network(Self.standardized(images)).argmax(axis: 1).scalars.map { Int($0) } }
    }

    /// Mean and covariance of the features of images in [0, 1] (at least two).
    public func statistics(_ images: Tensor, name: String) throws -> GaussianStatistics {
        try GaussianStatistics(features: features(images).scalars, rows: images.shape[0], width: Self.featureWidth, name: name)
    }

    /// The Fréchet distance between the features of images in [0, 1] and `reference`.
    public func frechetDistance(images: Tensor, to reference: GaussianStatistics) throws -> Double {
        try NablaGenerative.frechetDistance(statistics(images, name: "the generated images"), reference)
    }

    /// Trains the classifier with Adam (1e-3, batch 128) on `training` images in [0, 1] with their labels,
    /// as the stage `features` of `trainer`, measuring accuracy on `test` after each epoch; returns the
    /// final test accuracy, or nil when the training was interrupted.
    public func train(training: Tensor, trainingLabels: [Int], test: Tensor, testLabels: [Int], epochs: Int,
                      generator: RandomGenerator, trainer: StageTrainer) throws -> Double? {
        let data = FashionSubset(trainingInputs: Self.standardized(training), trainingLabels: IntTensor(trainingLabels),
                                 validationInputs: Self.standardized(test), validationLabels: IntTensor(testLabels))
        let task = SubsetClassifierTask(network: network, optimizer: Adam(network.parameters(), configuration: .init(learningRate: 1e-3)),
                                        data: data, batchSize: 128, generator: generator)
        let outcome = try trainer.train(task, epochs: epochs, stage: "features")
        guard outcome.isOver else { return nil }
        return outcome.state.metrics.last?["val_accuracy"] ?? .nan
    }
}
