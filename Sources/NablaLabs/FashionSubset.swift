import Nabla
import NablaData
import NablaNN
import NablaOptim

/// A small random part of Fashion-MNIST as flat, standardised feature rows: what the optimiser and
/// batch-normalisation labs train their multi-layer perceptrons on.
///
/// Training examples come from the training split, validation examples from the test split (so the two
/// never share an image); pixels are standardised with the training set's published mean and deviation.
public struct FashionSubset {
    /// (count, 784) standardised pixels.
    public let trainingInputs: Tensor
    public let trainingLabels: IntTensor
    public let validationInputs: Tensor
    public let validationLabels: IntTensor

    public init(trainingInputs: Tensor, trainingLabels: IntTensor, validationInputs: Tensor, validationLabels: IntTensor) {
        self.trainingInputs = trainingInputs
        self.trainingLabels = trainingLabels
        self.validationInputs = validationInputs
        self.validationLabels = validationLabels
    }

    /// Draws `training` and `validation` examples at random (from `generator`) out of the two splits.
    /// Throws `DataError` with installation advice when the files are missing.
    public static func load(training: Int, validation: Int, generator: RandomGenerator, folder: String? = nil) throws -> FashionSubset {
        let trainingSplit = try FashionMNIST(.training, folder: folder)
        let testSplit = try FashionMNIST(.test, folder: folder)
        func draw(_ data: FashionMNIST, _ count: Int) -> (Tensor, IntTensor) {
            let picked = Array(generator.permutation(data.count).prefix(count))
            let (images, labels) = data.batch(at: picked)
            let flat = (images.reshaped([picked.count, 784]) - FashionMNIST.mean) / FashionMNIST.standardDeviation
            return (flat.contiguous(), labels)
        }
        let (trainingInputs, trainingLabels) = draw(trainingSplit, min(training, trainingSplit.count))
        let (validationInputs, validationLabels) = draw(testSplit, min(validation, testSplit.count))
        return FashionSubset(trainingInputs: trainingInputs, trainingLabels: trainingLabels,
                             validationInputs: validationInputs, validationLabels: validationLabels)
    }

    public var trainingCount: Int { trainingLabels.count }
    public var featureCount: Int { trainingInputs.shape[1] }

    /// The training rows at `indices` with their labels.
    func trainingBatch(_ indices: ArraySlice<Int>) -> (inputs: Tensor, labels: IntTensor) {
        let rows = Array(indices)
        return (gatherRows(trainingInputs, rows), IntTensor(rows.map { trainingLabels.scalars[$0] }))
    }
}

/// The share of rows of `logits` whose largest entry is at the label.
func accuracy(_ logits: Tensor, _ labels: IntTensor) -> Double {
    let predicted = logits.argmax(axis: 1).scalars
    return Double(zip(predicted, labels.scalars).filter { $0 == $1 }.count) / Double(max(labels.count, 1))
}

/// A classifier's training record: the loss a few times per epoch and the validation accuracy per epoch.
public struct TrainingCurve: Sendable {
    /// Optimiser steps at which `trainingLoss` was recorded (the mean batch loss since the previous point).
    public let steps: [Double]
    public let trainingLoss: [Double]
    /// Validation accuracy after each epoch.
    public let validationAccuracy: [Double]
    /// Mean batch loss over the last epoch trained (infinite when training diverged).
    public let finalTrainingLoss: Double
    /// True when a batch loss became NaN or infinite; training stopped there.
    public let diverged: Bool
    public var finalValidationAccuracy: Double { validationAccuracy.last ?? .nan }
}

/// Mini-batch training of `network` with cross-entropy: batches drawn in a fresh random order each epoch
/// (from `generator`), the loss recorded four times an epoch, the validation accuracy (in evaluation
/// mode) after each epoch. Stops at the first non-finite loss.
func trainClassifier(_ network: any Layer, optimizer: any Optimizer, data: FashionSubset, epochs: Int, batchSize: Int,
                     generator: RandomGenerator, afterEpoch: (_ epoch: Int, _ loss: Double) -> Void = { _, _ in }) -> TrainingCurve {
    let batchesPerEpoch = (data.trainingCount + batchSize - 1) / batchSize
    let pointsPerEpoch = min(4, batchesPerEpoch)
    var steps: [Double] = [], losses: [Double] = [], accuracies: [Double] = []
    var finalLoss = Double.nan, step = 0
    for epoch in 1...epochs {
        network.train()
        let order = generator.permutation(data.trainingCount)
        var pending: [Double] = [], epochLosses: [Double] = []
        for batch in 0..<batchesPerEpoch {
            let (inputs, labels) = data.trainingBatch(order[(batch * batchSize)..<min(order.count, (batch + 1) * batchSize)])
            optimizer.zeroGradients()
            let loss = crossEntropy(network(inputs), labels)
            let value = Double(loss.item)
            guard value.isFinite else {
                return TrainingCurve(steps: steps, trainingLoss: losses, validationAccuracy: accuracies,
                                     finalTrainingLoss: .infinity, diverged: true)
            }
            loss.backward()
            optimizer.step()
            step += 1
            pending.append(value)
            epochLosses.append(value)
            // A point at each quarter of the epoch (equal shares of its batches, the last one included).
            if (batch + 1) * pointsPerEpoch / batchesPerEpoch != batch * pointsPerEpoch / batchesPerEpoch {
                steps.append(Double(step))
                losses.append(pending.reduce(0, +) / Double(pending.count))
                pending = []
            }
        }
        finalLoss = epochLosses.reduce(0, +) / Double(epochLosses.count)
        network.eval()
        accuracies.append(withoutGradients { accuracy(network(data.validationInputs), data.validationLabels) })
        network.train()
        afterEpoch(epoch, finalLoss)
    }
    return TrainingCurve(steps: steps, trainingLoss: losses, validationAccuracy: accuracies, finalTrainingLoss: finalLoss, diverged: false)
}
