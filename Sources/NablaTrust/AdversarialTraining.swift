import Nabla
import NablaNN

/// Adversarial training: minimise the loss on adversarial versions of each batch instead of the batch
/// itself, min_θ E[max_{‖δ‖∞ ≤ ε} loss(f_θ(x + δ), y)] (Madry et al., 2018). The inner maximum is
/// approximated by an attack on the model as it is at that step:
/// - PGD adversarial training: several projected steps from a random start (Madry et al.);
/// - fast FGSM adversarial training: one FGSM step of 1.25 ε from a uniformly random start ("Fast is
///   better than free", Wong et al., 2020), about as robust at a fraction of PGD's cost; without the random
///   start the network learns to mask FGSM's gradient ("catastrophic overfitting").
///
/// ```swift
/// let training = AdversarialTraining.pgd(epsilon: 0.1, stepSize: 0.025, steps: 7)
/// let adversarial = training.examples(for: model, mean: [0.286], standardDeviation: [0.353], classCount: 10,
///                                     images: batch, labels: labels, generator: generator)
/// let loss = crossEntropy(model(normalize(adversarial)), IntTensor(labels))
/// ```
public struct AdversarialTraining: Sendable {
    /// A name for tables and stages ("fgsm-rs", "pgd").
    public let name: String
    public let epsilon: Float
    public let stepSize: Float
    public let steps: Int

    public init(name: String, epsilon: Float, stepSize: Float, steps: Int) {
        precondition(epsilon >= 0 && stepSize >= 0 && steps >= 1,
                     "AdversarialTraining: epsilon \(epsilon) and step size \(stepSize) must not be negative, steps \(steps) at least 1")
        self.name = name
        self.epsilon = epsilon
        self.stepSize = stepSize
        self.steps = steps
    }

    /// FGSM from a random start with step 1.25 ε (Wong et al.'s α), projected back into the ε-ball.
    public static func fastFGSM(epsilon: Float, stepSize: Float? = nil) -> AdversarialTraining {
        AdversarialTraining(name: "fgsm-rs", epsilon: epsilon, stepSize: stepSize ?? 1.25 * epsilon, steps: 1)
    }

    /// PGD with a random start: `steps` steps of `stepSize`.
    public static func pgd(epsilon: Float, stepSize: Float, steps: Int) -> AdversarialTraining {
        AdversarialTraining(name: "pgd", epsilon: epsilon, stepSize: stepSize, steps: steps)
    }

    /// The attack that makes the training examples (L∞, random start).
    public var attack: GradientAttack {
        GradientAttack(name: name, epsilon: epsilon, stepSize: stepSize, steps: steps, randomStart: true)
    }

    /// Adversarial versions (pixels in [0, 1], N×C×H×W) of `images` against `model` as it is now, which sees
    /// `(x − mean) / standardDeviation`. The attack runs in evaluation mode (dropout off, batch norm on running
    /// statistics, so the attack does not move them); the model is left in training mode afterwards.
    public func examples(for model: any Layer, mean: [Float], standardDeviation: [Float], classCount: Int,
                         images: Tensor, labels: [Int], generator: RandomGenerator) -> Tensor {
        let classifier = PixelClassifier(model: model, mean: mean, standardDeviation: standardDeviation, classCount: classCount)
        defer { model.train() }
        return attack.perturb(classifier, images: images, labels: labels, goal: .untargeted, generator: generator)
    }
}
