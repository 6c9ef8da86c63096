import Nabla
import NablaData
import NablaNN
import NablaOptim
import NablaCheckpoint
import NablaTrain

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
    /// Mean loss over the examples of the last epoch trained (infinite when training diverged).
    public let finalTrainingLoss: Double
    /// True when a batch loss became NaN or infinite; training stopped there.
    public let diverged: Bool
    public var finalValidationAccuracy: Double { validationAccuracy.last ?? .nan }
}

/// Mini-batch training of a classifier on a `FashionSubset` with cross-entropy, as one stage of a lab's
/// run: batches drawn in a fresh random order each epoch (from `generator`, which also made the
/// network's weights), the mean batch loss recorded four times an epoch for the lab's curves, and the
/// validation loss and accuracy (in evaluation mode) after each epoch. The trainer stops it at the first
/// non-finite loss. The curve's points and the step count are saved in the stage's checkpoint, so a
/// resumed stage draws exactly the curve of an uninterrupted one.
final class SubsetClassifierTask: TrainingTask {
    let network: Sequential
    let optimizer: any Optimizer
    let data: FashionSubset
    let batchSize: Int
    let generator: RandomGenerator
    /// The curve so far: steps at which a point was taken and the mean batch loss since the previous one.
    private(set) var steps: [Double] = []
    private(set) var losses: [Double] = []
    private var pendingSum = 0.0
    private var pendingCount = 0
    private var step = 0

    init(network: Sequential, optimizer: any Optimizer, data: FashionSubset, batchSize: Int, generator: RandomGenerator) {
        self.network = network
        self.optimizer = optimizer
        self.data = data
        self.batchSize = batchSize
        self.generator = generator
    }

    var models: KeyValuePairs<String, Module> { ["network": network] }
    var optimizers: KeyValuePairs<String, any Optimizer> { ["optimizer": optimizer] }
    var generators: KeyValuePairs<String, RandomGenerator> { ["data": generator] }
    var batchesPerEpoch: Int { (data.trainingCount + batchSize - 1) / batchSize }

    func epochBatches(epoch: Int) -> AnyIterator<(inputs: Tensor, labels: IntTensor)> {
        let order = generator.permutation(data.trainingCount)
        var start = 0
        return AnyIterator { [data, batchSize] in
            guard start < order.count else { return nil }
            defer { start += batchSize }
            return data.trainingBatch(order[start..<min(order.count, start + batchSize)])
        }
    }

    func trainStep(_ batch: (inputs: Tensor, labels: IntTensor)) throws -> StepResult {
        let loss = crossEntropy(network(batch.inputs), batch.labels)
        minimize(loss, with: optimizer)
        let value = Double(loss.item), count = batch.labels.count
        // Every epoch has the same number of batches, so the batch's place in its epoch follows from the step.
        let position = step % batchesPerEpoch, pointsPerEpoch = min(4, batchesPerEpoch)
        step += 1
        // A non-finite loss ends the training (the trainer stops there); the curve keeps the finite points.
        guard value.isFinite else { return StepResult(loss: value, count: count) }
        pendingSum += value
        pendingCount += 1
        // A point at each quarter of the epoch (equal shares of its batches, the last one included).
        if (position + 1) * pointsPerEpoch / batchesPerEpoch != position * pointsPerEpoch / batchesPerEpoch {
            steps.append(Double(step))
            losses.append(pendingSum / Double(pendingCount))
            (pendingSum, pendingCount) = (0, 0)
        }
        return StepResult(loss: value, count: count)
    }

    func evaluate(epoch: Int) throws -> [(key: String, value: Double)] {
        withoutGradients {
            let logits = network(data.validationInputs)
            return [("val_loss", Double(crossEntropy(logits, data.validationLabels).item)),
                    ("val_accuracy", accuracy(logits, data.validationLabels))]
        }
    }

    /// Doubles are kept as their bits: the curve must come back exactly, infinities included.
    private struct Curve: Codable {
        var steps: [UInt64], losses: [UInt64], pendingSum: UInt64, pendingCount: Int, step: Int
    }

    func saveState(into checkpoint: inout TrainingCheckpoint) throws {
        try checkpoint.setRecord(Curve(steps: steps.map(\.bitPattern), losses: losses.map(\.bitPattern), pendingSum: pendingSum.bitPattern,
                                       pendingCount: pendingCount, step: step), forKey: "curve")
    }

    func restoreState(from checkpoint: TrainingCheckpoint) throws {
        guard let curve = try checkpoint.record(Curve.self, forKey: "curve"), curve.steps.count == curve.losses.count else {
            throw RunFolderError("cannot resume: the checkpoint has no loss curve record ('curve') for this training")
        }
        steps = curve.steps.map(Double.init(bitPattern:))
        losses = curve.losses.map(Double.init(bitPattern:))
        (pendingSum, pendingCount, step) = (Double(bitPattern: curve.pendingSum), curve.pendingCount, curve.step)
    }

    /// The curve of a finished (or diverged) training, from the trainer's epoch rows.
    func curve(_ outcome: TrainingOutcome) -> TrainingCurve {
        let diverged: Bool
        if case .diverged = outcome.stop { diverged = true } else { diverged = false }
        let rows = outcome.state.metrics
        return TrainingCurve(steps: steps, trainingLoss: losses, validationAccuracy: rows.compactMap { $0["val_accuracy"] },
                             finalTrainingLoss: diverged ? .infinity : rows.last?["train_loss"] ?? .nan, diverged: diverged)
    }
}
