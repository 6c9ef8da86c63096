import Nabla

/// Knowledge distillation's loss (Hinton et al., 2015): the student matches the teacher's softened
/// distribution, and the true labels.
///
///     L = α · T² · KL(softmax(t/T) ‖ softmax(s/T)) + (1 − α) · CE(s, y)
///
/// T² keeps the soft term's gradient the same size whatever the temperature.
public struct DistillationLoss: Sendable {
    public let temperature: Float
    /// The weight α of the soft (teacher) term; 1 − α goes to the hard labels.
    public let softWeight: Float

    /// Throws `invalidDistillationSetting` unless T > 0 and 0 ≤ α ≤ 1.
    public init(temperature: Float, softWeight: Float) throws {
        guard temperature > 0, temperature.isFinite else {
            throw CompressionError.invalidDistillationSetting("temperature must be positive, got \(temperature)")
        }
        guard softWeight >= 0, softWeight <= 1 else {
            throw CompressionError.invalidDistillationSetting("the soft-target weight must lie in [0, 1], got \(softWeight)")
        }
        self.temperature = temperature
        self.softWeight = softWeight
    }

    /// Shapes: `student` and `teacher` logits (N, C), `labels` (N). The teacher is not differentiated.
    public func callAsFunction(student: Tensor, teacher: Tensor, labels: IntTensor) -> Tensor {
        precondition(student.shape == teacher.shape && student.rank == 2,
                     "DistillationLoss: student logits \(student.shape) and teacher logits \(teacher.shape) must both be (N, C)")
        let teacherLogProbabilities = (teacher.detached() / temperature).logSoftmax(axis: 1)
        let studentLogProbabilities = (student / temperature).logSoftmax(axis: 1)
        let divergence = (teacherLogProbabilities.exp() * (teacherLogProbabilities - studentLogProbabilities)).sum(axis: 1).mean()
        let soft = divergence * (softWeight * temperature * temperature)
        guard softWeight < 1 else { return soft }
        return soft + crossEntropy(student, labels) * (1 - softWeight)
    }
}

/// Throws `studentOverBudget` when a student holds more than `budget` parameters.
public func checkParameterBudget(_ parameters: Int, budget: Int) throws {
    guard parameters <= budget else { throw CompressionError.studentOverBudget(parameters: parameters, budget: budget) }
}
