import Nabla

/// A universal adversarial perturbation (Moosavi-Dezfooli et al., 2017): one pattern v, the same for
/// every image, with ‖v‖∞ ≤ ε, that fools the network on most images it was never fitted on. Fitted here
/// by stochastic gradient ascent on the batch loss (Shafahi et al., 2020): v ← clip(v + α·sign(∇ᵥ L)),
/// with each image's cross-entropy capped at `lossCap` so images already fooled stop pulling and v
/// turns to the ones still right.
///
/// ```swift
/// let universal = try UniversalPerturbation.fit(classifier, images: trainingImages, labels: trainingLabels,
///                                               epsilon: 0.1, generator: generator)
/// let fooled = universal.perturb(classifier, images: testImages, labels: testLabels, goal: .untargeted, generator: generator)
/// ```
public struct UniversalPerturbation: AdversarialAttack {
    public let name = "universal"
    /// The pattern, 1×C×H×W, added to every image (then clipped to [0, 1]).
    public let perturbation: Tensor

    public init(perturbation: Tensor) {
        precondition(perturbation.rank == 4 && perturbation.shape[0] == 1, "UniversalPerturbation: the pattern must be 1×C×H×W, got \(perturbation.shape)")
        self.perturbation = perturbation.detached().contiguous()
    }

    public var epsilon: Float { withoutGradients { perturbation.abs().max().item } }

    /// The images plus the pattern, clipped to [0, 1]; `labels`, `goal` and `generator` play no part,
    /// which is the point: the pattern was fixed before these images were seen.
    public func perturb(_ classifier: PixelClassifier, images: Tensor, labels: [Int], goal: AttackGoal, generator: RandomGenerator) -> Tensor {
        precondition(images.rank == 4 && Array(images.shape.dropFirst()) == Array(perturbation.shape.dropFirst()),
                     "universal: images \(images.shape) do not match the pattern \(perturbation.shape)")
        return withoutGradients { (images + perturbation).clamped(min: 0, max: 1).contiguous() }
    }

    /// Fits a pattern of L∞ radius `epsilon` on `images` (N×C×H×W in [0, 1]): `epochs` passes over
    /// shuffled batches of `batchSize`, each one signed step of `stepSize` (default ε/10).
    public static func fit(_ classifier: PixelClassifier, images: Tensor, labels: [Int], epsilon: Float, epochs: Int = 5,
                           batchSize: Int = 100, stepSize: Float? = nil, lossCap: Float = 9,
                           goal: AttackGoal = .untargeted, generator: RandomGenerator) throws -> UniversalPerturbation {
        guard epsilon >= 0, epsilon.isFinite else { throw TrustError("universal perturbation: epsilon \(epsilon) must be a finite number ≥ 0") }
        guard epochs >= 0, batchSize >= 1 else { throw TrustError("universal perturbation: epochs \(epochs) must be ≥ 0 and batch size \(batchSize) ≥ 1") }
        guard images.rank == 4, images.shape[0] == labels.count, !labels.isEmpty else {
            throw TrustError("universal perturbation: images \(images.shape) must be N×C×H×W with one label each (\(labels.count) labels), N ≥ 1")
        }
        try goal.validate(count: labels.count, classCount: classifier.classCount)
        let alpha = stepSize ?? epsilon / 10
        var pattern = Tensor.zeros([1] + Array(images.shape.dropFirst()))
        guard epsilon > 0 else { return UniversalPerturbation(perturbation: pattern) }
        for _ in 0..<epochs {
            let order = generator.permutation(labels.count)
            for start in stride(from: 0, to: order.count, by: batchSize) {
                let indices = Array(order[start..<min(order.count, start + batchSize)])
                let batch = images.indexSelected(axis: 0, indices: IntTensor(indices))
                let classes = IntTensor(indices.map { goal.targets?[$0] ?? labels[$0] })
                let gradient = classifier.gradient(at: pattern) { pattern in
                    let logits = classifier.logits((batch + pattern).clamped(min: 0, max: 1))
                    let perImage = -(logits.logSoftmax(axis: 1) * Tensor.oneHot(classes, classes: classifier.classCount)).sum(axis: 1)
                    let capped = minimum(perImage, Tensor(scalar: lossCap)).mean()
                    return goal.targets == nil ? capped : -capped
                }.gradient
                pattern = withoutGradients { (pattern + gradient.sign() * alpha).clamped(min: -epsilon, max: epsilon) }
            }
        }
        return UniversalPerturbation(perturbation: pattern)
    }
}
