import Nabla
import NablaCompression
import NablaData
import NablaNN
import NablaOptim
import NablaTrain

/// The student's training in knowledge distillation: the batches, optimiser, schedule and validation of
/// a `ClassificationTask` over the student, with the loss replaced by `DistillationLoss` against a
/// frozen teacher's logits on the same (normalised) batch. Only the student is saved in checkpoints:
/// the teacher does not change.
public final class DistillationTask: TrainingTask {
    /// The student's plain task; its evaluation (cross-entropy, accuracy) is the student's.
    public let student: ClassificationTask
    /// Frozen, run in evaluation mode without recording gradients.
    public let teacher: any Layer
    public let loss: DistillationLoss

    public init(student: ClassificationTask, teacher: any Layer, loss: DistillationLoss) {
        self.student = student
        self.teacher = teacher
        self.loss = loss
    }

    public var models: KeyValuePairs<String, Module> { student.models }
    public var optimizers: KeyValuePairs<String, any Optimizer> { student.optimizers }
    public var schedulers: KeyValuePairs<String, LearningRateScheduler> { student.schedulers }
    public var generators: KeyValuePairs<String, RandomGenerator> { student.generators }
    public var batchesPerEpoch: Int { student.batchesPerEpoch }

    public func epochBatches(epoch: Int) -> AnyIterator<Batch> { student.epochBatches(epoch: epoch) }

    public func checkMemory() throws { try student.checkMemory() }

    public func trainStep(_ batch: Batch) throws -> StepResult {
        let inputs = student.inputTransform.map { $0.apply(batch.inputs, generator: RandomGenerator(seed: 0)) } ?? batch.inputs
        teacher.eval()
        let teacherLogits = withoutGradients { teacher(inputs) }
        student.optimizer.zeroGradients()
        let value = loss(student: student.model(inputs), teacher: teacherLogits, labels: batch.labels)
        value.backward()
        student.optimizer.step()
        return StepResult(loss: value, count: batch.labels.count)
    }

    public func evaluate(epoch: Int) throws -> [(key: String, value: Double)] { try student.evaluate(epoch: epoch) }
}
