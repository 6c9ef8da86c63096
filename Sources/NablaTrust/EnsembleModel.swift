import Nabla
import NablaNN

/// Several classifiers as one: the mean of their logits (Liu et al., 2017; Dong et al., 2018). An attack
/// on the ensemble climbs all the members' losses at once, so its perturbation exploits what they share
/// rather than one network's quirks — what makes it transfer to networks the attacker has never seen.
///
/// ```swift
/// let ensemble = PixelClassifier(model: EnsembleModel([cnn, mlp, lenet]), mean: [0.286], standardDeviation: [0.353], classCount: 10)
/// let adversarial = GradientAttack.dim(epsilon: 0.1, stepSize: 0.01, steps: 10, decay: 1).perturb(ensemble, ...)
/// ```
public final class EnsembleModel: Module, Layer {
    public let members: [any Layer]

    public init(_ members: [any Layer]) {
        precondition(!members.isEmpty, "EnsembleModel: no members")
        self.members = members
    }

    /// The members' mean logits, N × classes (they must agree on the input and the classes).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        members.dropFirst().reduce(members[0](input)) { $0 + $1(input) } / Float(members.count)
    }
}
