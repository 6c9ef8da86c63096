import Nabla

/// A preprocessing defence judged the way Athalye, Carlini and Wagner (2018) ask: by attacks that know
/// the defence. Four accuracies on the same images:
/// - clean, behind the defence (what the defence costs);
/// - transfer: adversarial images made against the undefended network, then shown to the defended one
///   (an attacker who ignores the defence);
/// - own gradient: the attack run on the defended pipeline with the defence's own gradient (zero
///   through a rounding, so the attack stalls);
/// - adaptive: BPDA through the non-differentiable parts and, for a random defence, the gradient averaged
///   over `expectationSamples` draws (EOT).
/// If the adaptive attack does much better than the own-gradient attack, the defence's apparent
/// strength came from masking the gradient, not from robustness.
public struct DefenceEvaluation {
    public let defence: String
    public let cleanAccuracy: Double
    public let transferAccuracy: Double
    public let ownGradientAccuracy: Double
    public let adaptiveAccuracy: Double
    public let seconds: Double

    /// The gap (in accuracy) above which the own-gradient figure is called gradient masking.
    public static let maskingGap = 0.10

    /// Whether the naive white-box attack was fooled by the defence's gradient.
    public var masksGradients: Bool { ownGradientAccuracy - adaptiveAccuracy > Self.maskingGap }

    /// What the figures say, in a few words.
    public var verdict: String {
        if masksGradients {
            return "masks gradients: the attack with the defence's own gradient leaves \(percent(ownGradientAccuracy)), BPDA/EOT \(percent(adaptiveAccuracy))"
        }
        return "no masking seen: the adaptive attack does no better than the naive one"
    }

    private func percent(_ value: Double) -> String { "\((value * 1000).rounded() / 10)%" }

    /// Evaluates `defence` in front of `classifier` against `attack` on `images`.
    public static func run(_ defence: any InputDefence, classifier: PixelClassifier, attack: GradientAttack, images: Tensor, labels: [Int],
                           expectationSamples: Int = 8, batchSize: Int = 250, generator: RandomGenerator) throws -> DefenceEvaluation {
        precondition(expectationSamples >= 1, "DefenceEvaluation: expectation samples \(expectationSamples) must be at least 1")
        let start = ContinuousClock.now
        let own = classifier.defended(by: defence, gradient: .own)
        let adaptive = classifier.defended(by: defence, gradient: .straightThrough)
        // Transfer: the undefended network's adversarials, judged behind the defence.
        var transferPredictions: [Int] = []
        for batch in images.split(size: batchSize, axis: 0).enumerated() {
            let range = (batch.offset * batchSize)..<(batch.offset * batchSize + batch.element.shape[0])
            let adversarial = attack.perturb(classifier, images: batch.element, labels: Array(labels[range]), goal: .untargeted, generator: generator)
            transferPredictions += own.predictions(adversarial)
        }
        let ownResult = try AttackEvaluation.run(attack, on: own, images: images, labels: labels, batchSize: batchSize, generator: generator)
        var adaptiveAttack = attack
        if defence.isRandom { adaptiveAttack.gradientSamples = expectationSamples }
        let adaptiveResult = try AttackEvaluation.run(adaptiveAttack, on: adaptive, images: images, labels: labels, batchSize: batchSize, generator: generator)
        let correct = zip(transferPredictions, labels).filter { $0 == $1 }.count
        let elapsed = start.duration(to: .now)
        return DefenceEvaluation(defence: defence.name, cleanAccuracy: own.accuracy(images, labels: labels),
                                 transferAccuracy: labels.isEmpty ? 0 : Double(correct) / Double(labels.count),
                                 ownGradientAccuracy: ownResult.adversarialAccuracy, adaptiveAccuracy: adaptiveResult.adversarialAccuracy,
                                 seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
}
