import Nabla
import NablaNN

/// A named model with the training settings it is meant to be trained with.
///
/// The two Fashion-MNIST recipes build exactly the models of ../shared/reference/PEERS.md, so a
/// one-epoch run with the reference settings (`nabla bench train`) compares like with like against
/// PyTorch. The defaults for `nabla train` add what reaches the accuracy bars in ten epochs or fewer:
/// inputs normalised to zero mean and unit variance and a cosine learning-rate decay.
struct Recipe {
    let name: String
    let summary: String
    let makeModel: (RandomGenerator) -> any Layer
    let defaults: TrainingSettings

    static let all: [Recipe] = [fashionMLP, fashionCNN]

    static func named(_ name: String) -> Recipe? { all.first { $0.name == name } }

    /// Flatten → Linear(784, 256) → ReLU → Linear(256, 256) → ReLU → Linear(256, 10).
    static let fashionMLP = Recipe(
        name: "fashion-mlp",
        summary: "a three-layer perceptron (784-256-256-10) on Fashion-MNIST",
        makeModel: { generator in
            Sequential(Flatten(),
                       Linear(inputSize: 784, outputSize: 256, generator: generator), ReLU(),
                       Linear(inputSize: 256, outputSize: 256, generator: generator), ReLU(),
                       Linear(inputSize: 256, outputSize: 10, generator: generator))
        },
        defaults: TrainingSettings(epochs: 10, batchSize: 64, learningRate: 1e-3, optimizer: .adam, schedule: .cosine,
                                   normalizeInputs: true))

    /// Conv(1→32, 3, pad 1) → ReLU → MaxPool 2 → Conv(32→64, 3, pad 1) → ReLU → MaxPool 2 → Flatten →
    /// Linear(3136, 128) → ReLU → Linear(128, 10).
    static let fashionCNN = Recipe(
        name: "fashion-cnn",
        summary: "a two-convolution network (32 and 64 channels) on Fashion-MNIST",
        makeModel: { generator in
            Sequential(Conv2d(inputChannels: 1, outputChannels: 32, kernelSize: 3, padding: 1, generator: generator), ReLU(),
                       MaxPool2d(kernelSize: 2),
                       Conv2d(inputChannels: 32, outputChannels: 64, kernelSize: 3, padding: 1, generator: generator), ReLU(),
                       MaxPool2d(kernelSize: 2),
                       Flatten(),
                       Linear(inputSize: 64 * 7 * 7, outputSize: 128, generator: generator), ReLU(),
                       Linear(inputSize: 128, outputSize: 10, generator: generator))
        },
        defaults: TrainingSettings(epochs: 8, batchSize: 64, learningRate: 1e-3, optimizer: .adam, schedule: .cosine,
                                   normalizeInputs: true))
}

/// Everything that decides how a run trains, recorded in the run's config.json.
struct TrainingSettings: Codable {
    enum OptimizerKind: String, Codable, CaseIterable { case adam, adamw, sgd }
    enum ScheduleKind: String, Codable, CaseIterable { case constant, cosine, step, onecycle }

    var epochs: Int
    var batchSize: Int
    var learningRate: Double
    var optimizer: OptimizerKind
    var schedule: ScheduleKind
    /// Scale inputs to the training set's mean and standard deviation.
    var normalizeInputs: Bool
    var validationFraction: Double = 0.1
    var seed: UInt64 = 0
}
