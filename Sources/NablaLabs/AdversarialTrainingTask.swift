import Nabla
import NablaData
import NablaNN
import NablaOptim
import NablaTrain
import NablaTrust

/// Adversarial training as a training task: the batches, optimiser, schedule and validation of a
/// `ClassificationTask`, with each batch replaced by its adversarial version against the model of that
/// step (`AdversarialTraining`), and after each epoch the robust accuracy under a fixed PGD attack beside
/// the clean accuracy.
public final class AdversarialTrainingTask: TrainingTask {
    /// The plain task: its loader yields pixels in [0, 1] and its `inputTransform` is the model's normalisation.
    public let plain: ClassificationTask
    /// Nil trains on the clean batches (the standard network, for comparison).
    public let training: AdversarialTraining?
    /// The attack the robust accuracy is measured with, and the images it is measured on.
    public let evaluationAttack: GradientAttack
    public let evaluationImages: Tensor
    public let evaluationLabels: [Int]
    /// Draws the random starts of the training attack; saved in checkpoints with the data order.
    let attackGenerator: RandomGenerator

    public init(plain: ClassificationTask, training: AdversarialTraining?, evaluationAttack: GradientAttack,
                evaluationImages: Tensor, evaluationLabels: [Int], attackGenerator: RandomGenerator) {
        precondition(plain.inputTransform != nil, "AdversarialTrainingTask: the plain task needs its input normalisation")
        self.plain = plain
        self.training = training
        self.evaluationAttack = evaluationAttack
        self.evaluationImages = evaluationImages
        self.evaluationLabels = evaluationLabels
        self.attackGenerator = attackGenerator
    }

    public var models: KeyValuePairs<String, Module> { plain.models }
    public var optimizers: KeyValuePairs<String, any Optimizer> { plain.optimizers }
    public var schedulers: KeyValuePairs<String, LearningRateScheduler> { plain.schedulers }
    public var generators: KeyValuePairs<String, RandomGenerator> { ["data": plain.dataGenerator, "attack": attackGenerator] }
    public var batchesPerEpoch: Int { plain.batchesPerEpoch }

    public func epochBatches(epoch: Int) -> AnyIterator<Batch> { plain.epochBatches(epoch: epoch) }

    public func checkMemory() throws { try plain.checkMemory() }

    /// The model seen from pixel space, as attacks see it.
    public var classifier: PixelClassifier {
        let normalization = plain.inputTransform!
        return PixelClassifier(model: plain.model, mean: normalization.mean, standardDeviation: normalization.standardDeviation, classCount: 10)
    }

    public func trainStep(_ batch: Batch) throws -> StepResult {
        let normalization = plain.inputTransform!
        let labels = batch.labels.scalars
        let inputs = training.map {
            $0.examples(for: plain.model, mean: normalization.mean, standardDeviation: normalization.standardDeviation, classCount: 10,
                        images: batch.inputs, labels: labels, generator: attackGenerator)
        } ?? batch.inputs
        plain.optimizer.zeroGradients()
        let logits = plain.model(normalization.apply(inputs, generator: RandomGenerator(seed: 0)))
        let loss = crossEntropy(logits, batch.labels)
        loss.backward()
        plain.optimizer.step()
        let correct = zip(withoutGradients { logits.argmax(axis: 1).scalars }, labels).filter { $0 == $1 }.count
        return StepResult(loss: loss, count: labels.count, metrics: [("accuracy", Double(correct) / Double(max(1, labels.count)))])
    }

    /// Clean loss and accuracy on the validation set, and `val_robust_accuracy` under the evaluation
    /// attack, whose random start is drawn from a generator seeded by the epoch (so a resumed run repeats it).
    public func evaluate(epoch: Int) throws -> [(key: String, value: Double)] {
        var metrics = try plain.evaluate(epoch: epoch)
        defer { plain.model.train() }
        let result = try AttackEvaluation.run(evaluationAttack, on: classifier, images: evaluationImages, labels: evaluationLabels,
                                              generator: RandomGenerator(seed: 0xA77AC4 &+ UInt64(epoch)))
        metrics.append(("val_robust_accuracy", result.adversarialAccuracy))
        return metrics
    }
}
