import Foundation
import Nabla
import NablaData
import NablaNN
import NablaOptim
@testable import NablaTrust

/// Small classifiers trained in the test process (debug builds are slow, so an MLP on a few hundred
/// Fashion-MNIST images, or a linear model with known weights).
enum TrustFixtures {
    static let fashionAvailable: Bool = (try? FashionMNIST(.test)) != nil

    /// The first `count` test images and labels.
    static func testImages(_ count: Int) throws -> (images: Tensor, labels: [Int]) {
        let data = try FashionMNIST(.test)
        let batch = data.batch(at: Array(0..<count))
        return (batch.inputs, batch.labels.scalars)
    }

    /// A 784-32-10 MLP trained for 60 full-batch Adam steps on 500 training images, with the dataset's
    /// normalisation inside the classifier (≈ 75 % on held-out images). Built once per test run.
    nonisolated(unsafe) static let trainedMLP: PixelClassifier = {
        let data = try! FashionMNIST(.training)
        let batch = data.batch(at: Array(0..<500))
        let generator = RandomGenerator(seed: 7)
        let model = Sequential(Flatten(), Linear(inputSize: 784, outputSize: 32, generator: generator), ReLU(),
                               Linear(inputSize: 32, outputSize: 10, generator: generator))
        let optimizer = Adam(model.parameters(), configuration: .init(learningRate: 0.01))
        let normalized = (batch.inputs - FashionMNIST.mean) / FashionMNIST.standardDeviation
        for _ in 0..<60 {
            optimizer.zeroGradients()
            crossEntropy(model(normalized), batch.labels).backward()
            optimizer.step()
        }
        return PixelClassifier(model: model, mean: [FashionMNIST.mean], standardDeviation: [FashionMNIST.standardDeviation], classCount: 10)
    }()
}
