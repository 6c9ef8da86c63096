import Nabla

/// The distance an attack's perturbation is measured by: the largest change of any pixel (L∞) or the
/// Euclidean length of the whole change (L2).
public enum PerturbationNorm: String, CaseIterable, Sendable {
    case linf, l2
}

/// What an attack aims for: any wrong class, or a chosen class per image.
public enum AttackGoal: Equatable, Sendable {
    case untargeted
    /// One target class per image.
    case targeted([Int])

    /// The target of every image, or nil when untargeted.
    public var targets: [Int]? {
        if case .targeted(let targets) = self { return targets }
        return nil
    }

    /// Whether `prediction` of an image with true class `label` (and target, if any, at `index`) counts as a success.
    func succeeded(prediction: Int, label: Int, index: Int) -> Bool {
        switch self {
        case .untargeted: return prediction != label
        case .targeted(let targets): return prediction == targets[index]
        }
    }
}

/// An attack that turns clean images (pixels in [0, 1], N×C×H×W) into adversarial ones for a classifier.
public protocol AdversarialAttack {
    /// A short name for tables and file names ("pgd", "cw").
    var name: String { get }
    /// Adversarial images of the same shape, pixels in [0, 1]. `labels` are the true classes; a targeted
    /// goal gives one target per image. Random choices (random start, input diversity) come from `generator`.
    func perturb(_ classifier: PixelClassifier, images: Tensor, labels: [Int], goal: AttackGoal,
                 generator: RandomGenerator) -> Tensor
}

/// Bad settings of an attack or explanation (a negative ε, a target class out of range): the message says
/// which value and what is allowed.
public struct TrustError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension AttackGoal {
    /// Checks the targets against the batch and the classifier's classes.
    public func validate(count: Int, classCount: Int) throws {
        guard let targets else { return }
        guard targets.count == count else { throw TrustError("targeted attack: \(targets.count) targets for \(count) images; give one target per image") }
        if let bad = targets.first(where: { !(0..<classCount).contains($0) }) {
            throw TrustError("target class \(bad) is out of range; the classifier has classes 0...\(classCount - 1)")
        }
    }
}

/// The loss a gradient attack climbs: cross-entropy from the true class (untargeted), or minus
/// cross-entropy to the target (targeted), each the batch mean as in torchattacks.
func attackLoss(_ logits: Tensor, labels: [Int], goal: AttackGoal) -> Tensor {
    if let targets = goal.targets { return -crossEntropy(logits, IntTensor(targets)) }
    return crossEntropy(logits, IntTensor(labels))
}

/// Per-image Euclidean norm over every axis but the first, kept as N×1×1×1 (N×1… for other ranks) so it broadcasts.
func imageNorms(_ tensor: Tensor) -> Tensor {
    tensor.norm(p: 2, axes: Array(1..<tensor.rank), keepDims: true)
}
